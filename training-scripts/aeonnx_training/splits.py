"""The train / validation / test splits of a config, as sources that feed DataLoaders.

Fashion-MNIST (70k small images) is held in memory. An image folder is streamed: only the
sorted file list is held; DataLoader workers decode each file when its batch is built, through
data.load_pixels (the same preprocessing as .NET), so a folder of any size trains in bounded
memory. A file that cannot be decoded is left out of its batch and reported (skipped_files).
"""
from __future__ import annotations

import contextlib
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, Sampler

from . import data as data_mod
from .config import TrainConfig
from .data import DatasetError, InputSpec

DECODE_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


@dataclass
class Source:
    """Images of one split: uint8 pixels in memory, or files under a root decoded on demand."""

    spec: InputSpec
    pixels: Optional[np.ndarray] = None  # [N, C, H, W] uint8 (in memory)
    root: Optional[Path] = None
    files: Tuple[str, ...] = ()  # relative posix paths (streamed)
    labels: Optional[np.ndarray] = None
    class_names: Tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.pixels.shape[0]) if self.pixels is not None else len(self.files)

    @property
    def streamed(self) -> bool:
        return self.pixels is None

    def subset(self, idx: np.ndarray) -> "Source":
        idx = np.asarray(idx, dtype=np.int64)
        return Source(
            self.spec,
            None if self.pixels is None else self.pixels[idx],
            self.root,
            tuple(self.files[i] for i in idx) if self.files else (),
            None if self.labels is None else self.labels[idx],
            self.class_names,
        )

    def label_name(self, i: int) -> Optional[str]:
        if self.labels is None or self.labels[i] < 0:
            return None
        return self.class_names[int(self.labels[i])]

    def load(self, i: int) -> np.ndarray:
        """uint8 [C, H, W] of item i (decodes a streamed file; raises the decode error)."""
        if self.pixels is not None:
            return self.pixels[i]
        return data_mod.load_pixels(self.root / self.files[i], self.spec)

    def dataset(self) -> "SourceDataset":
        return SourceDataset(self)


class SourceDataset(Dataset):
    """(index, uint8 tensor [C,H,W] or None, name) per item; None marks an undecodable file."""

    def __init__(self, source: Source):
        self.source = source

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, i: int):
        try:
            px = self.source.load(i)
        except DECODE_ERRORS as e:
            return i, None, f"{self.source.files[i]} ({type(e).__name__}: {e})"
        return i, torch.from_numpy(np.ascontiguousarray(px)), None


@dataclass
class Batch:
    index: torch.Tensor  # [n] item indices into the source
    pixels: torch.Tensor  # [n, C, H, W] uint8
    skipped: List[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.index.shape[0])


def collate(items) -> Batch:
    ok = [(i, p) for i, p, _ in items if p is not None]
    skipped = [why for _, p, why in items if p is None]
    if not ok:
        return Batch(torch.zeros(0, dtype=torch.int64), torch.zeros(0, dtype=torch.uint8), skipped)
    return Batch(torch.tensor([i for i, _ in ok], dtype=torch.int64), torch.stack([p for _, p in ok]), skipped)


def loader(source: Source, batch_size: int, workers: int, sampler: Sampler) -> DataLoader:
    """Batches in sampler order. Workers only decode, so the batches and hence the results do not
    depend on their number."""
    w = default_workers(source) if workers < 0 else workers
    return DataLoader(
        source.dataset(),
        batch_size=batch_size,
        sampler=sampler,
        num_workers=w,
        collate_fn=collate,
        persistent_workers=False,
        prefetch_factor=4 if w > 0 else 2,
        worker_init_fn=_worker_ignores_ctrl_c if w > 0 else None,
    )


def _worker_ignores_ctrl_c(_worker_id: int) -> None:
    """Ctrl+C reaches the whole process group: the workers leave it to the main process, which
    stops them as it unwinds (otherwise each prints its own KeyboardInterrupt traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def ctrl_c_held():
    """Ctrl+C waits until the block is done. DataLoader's iterator starts and stops its workers in
    its constructor and __del__: interrupted there, it leaves a half-built object or a half-joined
    pool and prints a traceback; held back, the interrupt is raised right after the block. (A
    handler, not a signal mask: the signal may be delivered to any of the process's threads.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        if pending and callable(old):
            old(signal.SIGINT, None)


def default_workers(source: Source) -> int:
    import os

    if not source.streamed:
        return 0
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def normalize(
    pixels: torch.Tensor, spec: InputSpec, device: torch.device, channels_last: bool = False
) -> Tuple[torch.Tensor, torch.Tensor]:
    """uint8 [N,C,H,W] -> (encoder input (p/scale - mean)/std, target in [0,1] pixels), float32.
    Elementwise IEEE float32 ops: the same values as data.normalize_pixels. channels_last: both
    in NHWC memory order (the same values), for a model trained that way."""
    if channels_last:
        pixels = pixels.contiguous(memory_format=torch.channels_last)
    p01 = pixels.to(device=device, dtype=torch.float32) / torch.tensor(spec.scale, dtype=torch.float32)
    mean = torch.tensor(spec.mean, dtype=torch.float32, device=device).reshape(1, -1, 1, 1)
    std = torch.tensor(spec.std, dtype=torch.float32, device=device).reshape(1, -1, 1, 1)
    return (p01 - mean) / std, p01


# ---------------------------------------------------------------------------------------------
# Splits
# ---------------------------------------------------------------------------------------------


def _holdout(n: int, fraction: float, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """The same deterministic split as data.split_holdout: (rest, held out) sorted indices."""
    if n < 2:
        raise DatasetError(f"need at least 2 images to split, got {n}")
    k = min(max(1, int(round(n * fraction))), n - 1)
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[k:]), np.sort(perm[:k])


def folder_source(root, spec: InputSpec) -> Source:
    """Every image file under root (sorted relative paths); immediate subfolder = label."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder not found: {root}")
    files = data_mod.list_image_files(root)
    if not files:
        raise DatasetError(f"no images ({', '.join(data_mod.IMAGE_EXTENSIONS)}) found under {root}")
    rel = [p.relative_to(root) for p in files]
    dirs = [r.parts[0] if len(r.parts) > 1 else None for r in rel]
    class_names = tuple(sorted({d for d in dirs if d is not None}))
    labels = None
    if class_names:
        index = {n: i for i, n in enumerate(class_names)}
        labels = np.array([index[d] if d is not None else -1 for d in dirs], dtype=np.int64)
    return Source(spec, None, root, tuple(r.as_posix() for r in rel), labels, class_names)


def class_index(source: Source, name: str) -> int:
    """The label index of class `name` (exact name), or DatasetError naming the classes there are."""
    if source.labels is None or not source.class_names:
        raise DatasetError(
            f"--normal-class {name}: the images have no classes; a labelled dataset is needed "
            "(fashion-mnist, or a folder with one subfolder per class: DATASET/<class>/<image>)"
        )
    if name not in source.class_names:
        raise DatasetError(f"--normal-class {name}: no such class; the classes are: {', '.join(source.class_names)}")
    return source.class_names.index(name)


def only_class(source: Source, name: str) -> Source:
    """The images labelled `name` (in source order): a one-class (normal-only) split."""
    c = class_index(source, name)
    return source.subset(np.nonzero(source.labels == c)[0])


def load_splits(cfg: TrainConfig) -> Tuple[Source, Source, Source]:
    """(train, val, test) as the config defines them (deterministic). With cfg.normal_class all three
    hold that class's images only: the images of other classes are not used at all (score them
    with the exported model; bench/anomaly.py does for Fashion-MNIST's whole test set)."""
    spec = cfg.input_spec()
    if cfg.dataset == "fashion-mnist":
        fm = data_mod.load_fashion_mnist(cfg.data_dir, spec)
        train = Source(spec, fm.train.pixels, labels=fm.train.labels, class_names=fm.train.class_names)
        test = Source(spec, fm.test.pixels, labels=fm.test.labels, class_names=fm.test.class_names)
        if cfg.normal_class:
            train, test = only_class(train, cfg.normal_class), only_class(test, cfg.normal_class)
    else:
        whole = folder_source(cfg.dataset, spec)
        if cfg.normal_class:
            whole = only_class(whole, cfg.normal_class)
        rest, held = _holdout(len(whole), cfg.val_fraction, cfg.seed + 1)
        train, test = whole.subset(rest), whole.subset(held)
    rng = np.random.default_rng(cfg.seed)
    if cfg.limit:
        if len(train) > cfg.limit:
            train = train.subset(np.sort(rng.permutation(len(train))[: cfg.limit]))
        if len(test) > cfg.limit:
            test = test.subset(np.arange(cfg.limit))
    rest, held = _holdout(len(train), cfg.val_fraction, cfg.seed)
    return train.subset(rest), train.subset(held), test


def first_images(source: Source, count: int) -> Tuple[np.ndarray, List[int]]:
    """The first `count` decodable images of a source (uint8 [n,C,H,W]) and their indices."""
    out, idx = [], []
    for i in range(len(source)):
        if len(out) >= count:
            break
        try:
            out.append(source.load(i))
        except DECODE_ERRORS:
            continue
        idx.append(i)
    if not out:
        raise DatasetError("no decodable image in the split")
    return np.stack(out), idx


def report_skipped(skipped: Sequence[str], path: Optional[Path], log) -> None:
    """Write the undecodable files (sorted, unique) to `path` and say how many on the log."""
    names = sorted(set(skipped))
    if not names:
        return
    if path is not None:
        path.write_text("".join(n + "\n" for n in names))
    shown = "; ".join(names[:5]) + (f"; ... ({len(names) - 5} more)" if len(names) > 5 else "")
    log(
        f"warning: skipped {len(names)} undecodable image file(s)"
        + (f" (list in {path})" if path else "")
        + f": {shown}"
    )


def batches(source: Source, batch_size: int, workers: int, order: Optional[Sequence[int]] = None):
    """Batches of `source` in `order` (default: source order). In memory: slices of the array;
    streamed: a DataLoader whose workers decode the files. Same batches either way."""
    order = list(range(len(source))) if order is None else [int(i) for i in order]
    if not source.streamed:
        for s in range(0, len(order), batch_size):
            idx = np.asarray(order[s : s + batch_size], dtype=np.int64)
            yield Batch(torch.from_numpy(idx), torch.from_numpy(np.ascontiguousarray(source.pixels[idx])))
        return
    dl = loader(source, batch_size, workers, _Fixed(order))
    with ctrl_c_held():
        it = iter(dl)
    try:
        yield from it
    finally:
        with ctrl_c_held():
            del it


class _Fixed(Sampler):
    def __init__(self, order: Sequence[int]):
        self.order = list(order)

    def __iter__(self):
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)
