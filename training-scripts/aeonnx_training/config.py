"""The training configuration (saved into checkpoints and manifests), its command line, and the
torch/process settings that make a run reproducible."""
from __future__ import annotations

import argparse
import os
import platform
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import torch

from . import data as data_mod
from .data import InputSpec
from .models import ARCHS, UPSAMPLING, ModelConfigError, ModelSpec

#: augmentations train.py knows (--augment, comma-separated)
AUGMENTATIONS = ("hflip", "vflip", "shift", "rot90", "channels")
#: what --keep-best and --patience compare between epochs: the validation loss (a VAE's -ELBO per pixel, an AE's
#: MSE + SSIM/latent terms) or the validation reconstruction MSE
KEEP_BEST_BY = ("loss", "mse")
#: what a saved config without these fields was trained with (the first trainer had none of them),
#: so an old checkpoint still describes its own training; new runs get the dataclass defaults
LEGACY_TRAINING = dict(
    arch="plain",
    upsample="nearest",
    pca_residual=False,
    ssim_weight=0.0,
    augment="none",
    weight_decay=0.0,
    keep_best=False,
    patience=0,
    channels_last=False,
)


class UsageError(Exception):
    """Bad arguments; printed as `error: ...` with exit code 2."""


@dataclass
class TrainConfig:
    dataset: str = "fashion-mnist"
    data_dir: str = data_mod.DEFAULT_DATA_DIR
    model: str = "ae"
    latent_dim: int = 16
    epochs: int = 10
    batch_size: int = 128  # per process; the global batch is batch_size x world size
    lr: float = 2e-3
    lr_schedule: str = "cosine"
    warmup_steps: int = 0  # linear learning-rate warmup over this many steps (0 = none)
    beta: float = 1.0
    latent_penalty: float = 0.0
    widths: Tuple[int, ...] = (32, 64)
    decoder_widths: Tuple[int, ...] = ()  # the decoder's channels per stage; () = the same as widths
    arch: str = "bn"
    upsample: str = "nearest"
    pca_residual: bool = False
    ssim_weight: float = 0.0
    augment: str = "hflip"  # comma-separated AUGMENTATIONS, or "none"
    weight_decay: float = 0.0  # AdamW's decoupled weight decay (0: Adam)
    keep_best: bool = True  # the checkpoint holds the epoch with the lowest validation loss (or MSE: keep_best_by)
    # "mse": keep-best and patience compare the validation MSE. A VAE's loss (-ELBO) rises late in a run as the
    # learned sigma shrinks, while its reconstructions still improve (docs/TRAINING.md)
    keep_best_by: str = "loss"
    # exponential moving average of the weights (decay per optimizer step; 0: off): validation, keep-best and
    # the checkpoint use the averaged weights, the optimizer trains the live ones (docs/TRAINING.md)
    ema: float = 0.0
    patience: int = 0  # stop after N epochs without a better validation loss (0: never)
    # convolutions on NHWC tensors: 1.2-2.7x faster CPU steps (docs/TRAINING.md), other float32 sums
    channels_last: bool = True
    image_size: Tuple[int, int] = (28, 28)
    channels: int = 1
    mean: Tuple[float, ...] = ()
    std: Tuple[float, ...] = ()
    seed: int = 1
    threads: int = 2
    limit: int = 0
    val_fraction: float = 0.1
    amp: str = "none"
    name: str = ""
    normal_class: str = ""  # train on this class only (one-class / anomaly detection); "" = all
    # not saved: where the run goes and how this process runs (bytes must not depend on them)
    out: str = ""
    device: str = "auto"
    workers: int = -1

    UNSAVED = ("out", "device", "workers")

    def input_spec(self) -> InputSpec:
        mean = tuple(self.mean) or (0.0,) * self.channels
        std = tuple(self.std) or (1.0,) * self.channels
        return InputSpec(self.channels, self.image_size[0], self.image_size[1], mean=mean, std=std)

    def model_spec(self) -> ModelSpec:
        return ModelSpec(
            self.model,
            self.channels,
            self.image_size[0],
            self.image_size[1],
            self.latent_dim,
            tuple(int(w) for w in self.widths),
            self.beta,
            self.latent_penalty if self.model == "ae" else 0.0,
            tuple(float(m) for m in self.mean),
            tuple(float(s) for s in self.std),
            self.arch,
            self.ssim_weight if self.model == "ae" else 0.0,
            self.upsample,
            bool(self.pca_residual),
            decoder_widths=tuple(int(w) for w in self.decoder_widths),
        )

    def augmentations(self) -> Tuple[str, ...]:
        return tuple(a for a in (p.strip() for p in self.augment.split(",")) if a and a != "none")

    def to_saved(self) -> dict:
        """Plain data (lists, not tuples) for the checkpoint and the manifest; run-local fields left out."""
        d = asdict(self)
        for k in self.UNSAVED:
            d.pop(k)
        for k in ("widths", "image_size", "decoder_widths"):
            d[k] = [int(w) for w in d[k]]
        if not d["decoder_widths"]:
            # left out when the decoder mirrors the encoder, as in every run before it
            del d["decoder_widths"]
        for k in ("mean", "std"):
            d[k] = [float(v) for v in d[k]]
        if not d["warmup_steps"]:
            del d["warmup_steps"]
        if not d["channels_last"]:
            # left out when off, as every run before it was, so their configs keep their bytes
            del d["channels_last"]
        if not d["ema"]:
            # left out when off (every run before the option), so earlier configs keep their bytes
            del d["ema"]
        if d["keep_best_by"] == "loss":
            # left out when it is the default (every run before the option compared the loss)
            del d["keep_best_by"]
        if not d["normal_class"]:
            # left out when unused, so configs (and checkpoints, manifests) of other runs keep their bytes
            del d["normal_class"]
        return d

    @classmethod
    def from_saved(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        kw = {**LEGACY_TRAINING, **{k: v for k, v in d.items() if k in known}}
        for k, default in (
            ("widths", (32, 64)),
            ("decoder_widths", ()),
            ("image_size", (28, 28)),
            ("mean", ()),
            ("std", ()),
        ):
            kw[k] = tuple(kw.get(k, default))
        return cls(**kw)

    def validate(self) -> "TrainConfig":
        if self.epochs < 1:
            raise UsageError(f"--epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise UsageError(f"--batch-size must be >= 1, got {self.batch_size}")
        if not (self.lr > 0):
            raise UsageError(f"--lr must be > 0, got {self.lr}")
        if self.threads < 1:
            raise UsageError(f"--threads must be >= 1, got {self.threads}")
        if self.limit < 0:
            raise UsageError(f"--limit must be >= 0 (0 = all), got {self.limit}")
        if not (0.0 < self.val_fraction < 1.0):
            raise UsageError(f"--val-fraction must be between 0 and 1, got {self.val_fraction}")
        if self.warmup_steps < 0:
            raise UsageError(f"--warmup-steps must be >= 0, got {self.warmup_steps}")
        if self.lr_schedule not in ("cosine", "none"):
            raise UsageError(f"--lr-schedule must be cosine or none, got {self.lr_schedule}")
        unknown = [a for a in self.augmentations() if a not in AUGMENTATIONS]
        if unknown:
            raise UsageError(f"--augment: unknown {', '.join(unknown)}; known: none, {', '.join(AUGMENTATIONS)}")
        if "rot90" in self.augmentations() and self.image_size[0] != self.image_size[1]:
            h, w = self.image_size
            raise UsageError(f"--augment rot90 needs a square --image-size, got {h}x{w}")
        if "channels" in self.augmentations() and self.channels != 3:
            raise UsageError(f"--augment channels reorders colour channels: it needs --channels 3, got {self.channels}")
        if self.weight_decay < 0:
            raise UsageError(f"--weight-decay must be >= 0, got {self.weight_decay}")
        if self.keep_best_by not in KEEP_BEST_BY:
            raise UsageError(f"--keep-best-by must be one of {', '.join(KEEP_BEST_BY)}, got {self.keep_best_by}")
        if not 0.0 <= self.ema < 1.0:
            raise UsageError(f"--ema must be in [0, 1) (a decay per step such as 0.999; 0 = off), got {self.ema}")
        if self.patience < 0:
            raise UsageError(f"--patience must be >= 0 (0 = never stop early), got {self.patience}")
        if self.arch not in ARCHS:
            raise UsageError(f"--arch must be one of {', '.join(ARCHS)}, got {self.arch}")
        if self.upsample not in UPSAMPLING:
            raise UsageError(f"--upsample must be one of {', '.join(UPSAMPLING)}, got {self.upsample}")
        if self.amp not in ("none", "bf16", "fp16"):
            raise UsageError(f"--amp must be none, bf16 or fp16, got {self.amp}")
        for k in ("mean", "std"):
            v = getattr(self, k)
            if v and len(v) != self.channels:
                raise UsageError(f"--{k} needs {self.channels} value(s) (one per channel), got {list(v)}")
        try:
            self.model_spec().validate()
        except ModelConfigError as e:
            raise UsageError(str(e)) from None
        if self.dataset != "fashion-mnist" and not Path(self.dataset).is_dir():
            raise UsageError(f"--dataset: not 'fashion-mnist' and not a folder: {self.dataset}")
        return self


def parse_size(text: str) -> Tuple[int, int]:
    try:
        h, w = text.lower().split("x")
        return int(h), int(w)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW such as 28x28, got {text!r}") from None


def parse_ints(text: str) -> Tuple[int, ...]:
    try:
        ws = tuple(int(v) for v in text.replace(",", " ").split())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers such as 32,64, got {text!r}") from None
    if not ws:
        raise argparse.ArgumentTypeError(f"expected integers such as 32,64, got {text!r}")
    return ws


def parse_floats(text: str) -> Tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.replace(",", " ").split())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers such as 0.5,0.5,0.5, got {text!r}") from None


# ---------------------------------------------------------------------------------------------
# Process settings
# ---------------------------------------------------------------------------------------------


def setup_torch(threads: int, seed: int, device: Optional[torch.device] = None) -> None:
    """Threads, seeds and deterministic algorithms. On CUDA: cuBLAS workspace config (must be
    set before the first cuBLAS call), no cuDNN autotuning; ops without a deterministic CUDA
    kernel warn instead of failing (warn_only), so the run says which op was not deterministic."""
    torch.set_num_threads(threads)
    if device is not None and device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)


def versions() -> dict:
    import onnx  # noqa: F401  (recorded so the export is attributable)

    return {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "onnx": onnx.__version__,
        "python": platform.python_version(),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts(threads: Optional[int] = None) -> dict:
    """The CPU/BLAS facts that decide float32 rounding (kernels differ by ISA and BLAS), so a
    number that differs between machines can be traced to them."""
    cfg = torch.__config__.show()
    blas = next(
        (
            p.split("=", 1)[1]
            for line in cfg.splitlines()
            for p in line.replace(",", " ").split()
            if p.startswith("BLAS_INFO=")
        ),
        "unknown",
    )
    facts = {
        "cpu": _cpu_model(),
        "machine": platform.machine(),
        "torch_cpu_capability": _cpu_capability(),
        "blas": blas,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "threads": int(threads if threads is not None else torch.get_num_threads()),
    }
    return facts


def _cpu_capability() -> str:
    get = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", None)
    if get is not None:
        return str(get())
    # torch 1.x: parallel_info/show do not name the dispatched ISA; ATen honours this variable
    return os.environ.get("ATEN_CPU_CAPABILITY", "default")
