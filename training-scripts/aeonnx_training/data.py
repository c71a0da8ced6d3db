"""Datasets (Fashion-MNIST idx files, folders of images) and THE preprocessing function.

`preprocess_image` is the single implementation of the preprocessing in docs/MODEL-FORMAT.md;
everything that turns an image file into encoder input goes through it (training on folders,
fixtures, evaluation), so Python and .NET agree on the pixels.

Run as a script to inspect a dataset:  data.py --dataset fashion-mnist|PATH
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import struct
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from PIL import Image

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# The image-format registry shared with .NET (docs/image-formats.json): the extensions a folder listing takes.
IMAGE_FORMATS_FILE = Path(__file__).resolve().parents[2] / "docs" / "image-formats.json"
IMAGE_EXTENSIONS = tuple(
    ext for fmt in json.loads(IMAGE_FORMATS_FILE.read_text(encoding="utf-8"))["formats"] for ext in fmt["extensions"]
)
RESAMPLERS = {
    "nearest": Image.NEAREST,
    "bilinear": Image.BILINEAR,
    "bicubic": Image.BICUBIC,
}


class DatasetError(Exception):
    """A dataset that cannot be used (missing files, no readable images); message names the cause."""


@dataclass(frozen=True)
class InputSpec:
    """The manifest's `input` object: what the encoder expects."""

    channels: int
    height: int
    width: int
    scale: float = 255.0
    mean: Tuple[float, ...] = ()
    std: Tuple[float, ...] = ()
    resize: str = "bilinear"
    gray: str = "bt601"
    alpha: str = "ignore"
    # JPEG DCT-domain downscaling (PIL draft) before the resize; new exports write true, and a
    # manifest without the field means false (decode at full size), as models exported before it.
    jpeg_draft: bool = True

    def __post_init__(self):
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if not self.mean:
            object.__setattr__(self, "mean", (0.0,) * self.channels)
        if not self.std:
            object.__setattr__(self, "std", (1.0,) * self.channels)
        if len(self.mean) != self.channels or len(self.std) != self.channels:
            raise ValueError("mean and std need one value per channel")
        if self.resize not in RESAMPLERS:
            raise ValueError(f"resize must be one of {sorted(RESAMPLERS)}, got {self.resize!r}")
        if self.gray != "bt601" or self.alpha != "ignore":
            raise ValueError("only gray='bt601' and alpha='ignore' are defined by aeonnx.model/1")

    @property
    def color(self) -> str:
        return "gray" if self.channels == 1 else "rgb"

    def to_manifest(self) -> dict:
        """Fixed key order; this object is also written into the ONNX metadata_props."""
        return {
            "channels": self.channels,
            "height": self.height,
            "width": self.width,
            "color": self.color,
            "layout": "NCHW",
            "scale": float(self.scale),
            "mean": [float(m) for m in self.mean],
            "std": [float(s) for s in self.std],
            "resize": self.resize,
            "gray": self.gray,
            "alpha": self.alpha,
            "jpeg_draft": bool(self.jpeg_draft),
        }


# ---------------------------------------------------------------------------------------------
# Preprocessing (docs/MODEL-FORMAT.md, "Preprocessing")
# ---------------------------------------------------------------------------------------------


def bt601_gray(rgb: np.ndarray) -> np.ndarray:
    """uint8 [..., 3] -> uint8 [...]: (R*19595 + G*38470 + B*7471 + 32768) >> 16."""
    r = rgb[..., 0].astype(np.uint32)
    g = rgb[..., 1].astype(np.uint32)
    b = rgb[..., 2].astype(np.uint32)
    return ((r * 19595 + g * 38470 + b * 7471 + 32768) >> 16).astype(np.uint8)


def _decoded_to_uint8(img: Image.Image) -> np.ndarray:
    """A decoded PIL image (first frame) -> uint8 array HxW (gray) or HxWx3 (color), alpha dropped.

    Alpha rule (docs/MODEL-FORMAT.md): alpha is dropped, the stored color counts, except a GIF's
    transparent palette index, which has no color of its own in GIF and reads as black (0, 0, 0).
    """
    mode = img.mode
    transparent = img.info.get("transparency") if img.format == "GIF" else None
    if mode in ("P", "L") and isinstance(transparent, int):
        index = np.asarray(img, dtype=np.uint8)
        out = np.asarray(img.convert("RGB") if mode == "P" else img, dtype=np.uint8).copy()
        out[index == transparent] = 0
        return out
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit gray (PNG 16-bit opens as I;16 or I): v >> 8.
        a = np.asarray(img, dtype=np.int64)
        return np.clip(a >> 8, 0, 255).astype(np.uint8)
    if mode == "F":
        raise ValueError("floating-point images are not supported")
    if mode in ("L", "1"):
        return np.asarray(img.convert("L"), dtype=np.uint8)
    if mode == "LA":
        return np.asarray(img, dtype=np.uint8)[..., 0]
    if mode in ("RGB", "RGBA", "RGBX"):
        return np.asarray(img, dtype=np.uint8)[..., :3]
    # P, PA, CMYK, YCbCr, LAB, HSV, RGBa...: let PIL produce RGB (palette alpha is dropped).
    return np.asarray(img.convert("RGB"), dtype=np.uint8)


MAX_JPEG_SCANS = 200  # the .NET default (ImageLimits.MaxJpegScans); libjpeg's own progressive script has 10


def _check_jpeg_scans(img: Image.Image, src) -> None:
    """Bounds decoding work: a progressive JPEG repeating a tiny scan thousands of times (a scan
    bomb) would hold a worker for minutes. 0xFF 0xDA cannot occur inside entropy-coded data (an
    0xFF there is followed by 0x00 or RSTn), so counting it is an upper bound on the scans."""
    fp = getattr(img, "fp", None)
    if fp is None:
        return
    pos = fp.tell()
    fp.seek(0)
    scans = fp.read().count(b"\xff\xda")
    fp.seek(pos)
    if scans > MAX_JPEG_SCANS:
        raise ValueError(
            f"{src}: the JPEG has more than {MAX_JPEG_SCANS} scans (the limit that bounds decoding work per image)"
        )


def load_pixels(src: Union[str, os.PathLike, Image.Image, np.ndarray], spec: InputSpec) -> np.ndarray:
    """Steps 1-3 of the preprocessing: decode, first frame, convert color, resize only if needed.

    Returns uint8 [C, H, W] at model size. Raises OSError/ValueError for unreadable files.
    """
    if isinstance(src, np.ndarray):
        a = src
        if a.dtype == np.uint16:
            a = (a >> 8).astype(np.uint8)
        if a.dtype != np.uint8:
            raise ValueError(f"pixel arrays must be uint8 or uint16, got {a.dtype}")
    else:
        if isinstance(src, Image.Image):
            img = src
        else:
            img = Image.open(src)
        try:
            img.seek(0)
        except EOFError:
            pass
        if img.format == "JPEG":
            _check_jpeg_scans(img, src)
        if spec.jpeg_draft and img.format == "JPEG":
            # libjpeg scales by 1/2, 1/4 or 1/8 while decoding: the largest s with W >= s*w and
            # H >= s*h (PIL's rule; .NET applies the same through Skia), then the usual resize.
            img.draft(img.mode, (spec.width, spec.height))
        img.load()
        a = _decoded_to_uint8(img)
    if a.ndim == 3 and a.shape[2] == 4:
        a = a[..., :3]
    if a.ndim == 3 and a.shape[2] == 2:
        a = a[..., 0]
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if spec.channels == 1 and a.ndim == 3:
        a = bt601_gray(a)
    elif spec.channels == 3 and a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    h, w = a.shape[:2]
    if (h, w) != (spec.height, spec.width):
        mode = "L" if a.ndim == 2 else "RGB"
        resized = Image.fromarray(np.ascontiguousarray(a), mode=mode).resize(
            (spec.width, spec.height), RESAMPLERS[spec.resize]
        )
        a = np.asarray(resized, dtype=np.uint8)
    if a.ndim == 2:
        a = a[None, :, :]
    else:
        a = a.transpose(2, 0, 1)
    return np.ascontiguousarray(a)


def normalize_pixels(pixels: np.ndarray, spec: InputSpec) -> np.ndarray:
    """Step 4: uint8 [..., C, H, W] -> float32 (p / scale - mean[c]) / std[c]."""
    x = pixels.astype(np.float32) / np.float32(spec.scale)
    mean = np.asarray(spec.mean, dtype=np.float32).reshape(-1, 1, 1)
    std = np.asarray(spec.std, dtype=np.float32).reshape(-1, 1, 1)
    return ((x - mean) / std).astype(np.float32)


def preprocess_image(src: Union[str, os.PathLike, Image.Image, np.ndarray], spec: InputSpec) -> np.ndarray:
    """THE preprocessing of docs/MODEL-FORMAT.md: image file -> float32 [C, H, W] encoder input."""
    return normalize_pixels(load_pixels(src, spec), spec)


def postprocess_image(y: np.ndarray, spec: InputSpec) -> np.ndarray:
    """Decoder output [..., C, H, W] -> uint8, round half to even (numpy's rint), clamped."""
    mean = np.asarray(spec.mean, dtype=np.float32).reshape(-1, 1, 1)
    std = np.asarray(spec.std, dtype=np.float32).reshape(-1, 1, 1)
    p = (y.astype(np.float32) * std + mean) * np.float32(spec.scale)
    return np.clip(np.rint(p), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------------------------


@dataclass
class ImageSet:
    """Images as uint8 [N, C, H, W] at model size, optional integer labels and label names."""

    pixels: np.ndarray
    labels: Optional[np.ndarray] = None
    class_names: Tuple[str, ...] = ()
    files: Tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.pixels.shape[0])

    def subset(self, idx: np.ndarray) -> "ImageSet":
        return ImageSet(
            pixels=self.pixels[idx],
            labels=None if self.labels is None else self.labels[idx],
            class_names=self.class_names,
            files=tuple(self.files[i] for i in idx) if self.files else (),
        )

    def label_name(self, i: int) -> Optional[str]:
        if self.labels is None or self.labels[i] < 0:
            return None
        return self.class_names[int(self.labels[i])]


@dataclass
class Splits:
    train: ImageSet
    test: ImageSet
    name: str
    skipped: List[str] = field(default_factory=list)


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise DatasetError(f"{path}: not an idx file")
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise DatasetError(f"{path}: not an unsigned-byte idx file")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise DatasetError(f"{path}: truncated idx file")
    return arr.reshape(dims)


def _find_idx(data_dir: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        p = data_dir / name
        if p.is_file():
            return p
    raise DatasetError(
        f"Fashion-MNIST file {stem}(.gz) not found in {data_dir} " f"(install dataset-fashion-mnist or pass --data-dir)"
    )


def load_fashion_mnist(data_dir: Union[str, os.PathLike], spec: InputSpec) -> Splits:
    """Fashion-MNIST train (60000) and test (10000) splits with labels."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DatasetError(f"Fashion-MNIST directory not found: {data_dir} (pass --data-dir)")
    sets = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = _read_idx(_find_idx(data_dir, f"{prefix}-images-idx3-ubyte"))
        labels = _read_idx(_find_idx(data_dir, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
        if images.shape[0] != labels.shape[0]:
            raise DatasetError(f"{data_dir}: {split} images and labels differ in count")
        if (spec.height, spec.width) == images.shape[1:] and spec.channels == 1:
            pixels = np.ascontiguousarray(images[:, None, :, :])
        else:
            pixels = np.stack([load_pixels(im, spec) for im in images])
        sets[split] = ImageSet(pixels, labels, FASHION_MNIST_CLASSES)
    return Splits(sets["train"], sets["test"], "fashion-mnist")


def list_image_files(root: Union[str, os.PathLike]) -> List[Path]:
    """Image files under root, recursively, sorted by relative path (deterministic order)."""
    root = Path(root)
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def load_image_folder(root: Union[str, os.PathLike], spec: InputSpec) -> ImageSet:
    """Every image under root at model size. Immediate subfolder names become labels (files
    directly in root get label -1). Unreadable files are skipped with one warning naming them."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder not found: {root}")
    files = list_image_files(root)
    if not files:
        raise DatasetError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) found under {root}")
    pixels, label_dirs, names, skipped = [], [], [], []
    for p in files:
        rel = p.relative_to(root)
        try:
            pixels.append(load_pixels(p, spec))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
            skipped.append(f"{rel.as_posix()} ({type(e).__name__}: {e})")
            continue
        label_dirs.append(rel.parts[0] if len(rel.parts) > 1 else None)
        names.append(rel.as_posix())
    if skipped:
        msg = f"skipped {len(skipped)} unreadable image file(s) under {root}: " + "; ".join(skipped)
        warnings.warn(msg, stacklevel=2)
        print(f"warning: {msg}", file=sys.stderr)
    if not pixels:
        raise DatasetError(f"none of the {len(files)} image files under {root} could be read")
    class_names = tuple(sorted({d for d in label_dirs if d is not None}))
    labels = None
    if class_names:
        index = {n: i for i, n in enumerate(class_names)}
        labels = np.array([index[d] if d is not None else -1 for d in label_dirs], dtype=np.int64)
    out = ImageSet(np.stack(pixels), labels, class_names, tuple(names))
    out.skipped = skipped  # type: ignore[attr-defined]
    return out


def split_holdout(images: ImageSet, fraction: float, seed: int) -> Tuple[ImageSet, ImageSet]:
    """Deterministic random split: (rest, held out). At least one image on each side."""
    n = len(images)
    if n < 2:
        raise DatasetError(f"need at least 2 images to split, got {n}")
    k = min(max(1, int(round(n * fraction))), n - 1)
    perm = np.random.default_rng(seed).permutation(n)
    return images.subset(np.sort(perm[k:])), images.subset(np.sort(perm[:k]))


def load_dataset(
    dataset: str, spec: InputSpec, data_dir: str = DEFAULT_DATA_DIR, test_fraction: float = 0.1, seed: int = 0
) -> Splits:
    """`fashion-mnist` (official train/test) or a folder (a seeded held-out part is the test split)."""
    if dataset == "fashion-mnist":
        return load_fashion_mnist(data_dir, spec)
    folder = load_image_folder(dataset, spec)
    train, test = split_holdout(folder, test_fraction, seed + 1)
    return Splits(train, test, Path(dataset).name, list(getattr(folder, "skipped", [])))


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--dataset", default="fashion-mnist", help="fashion-mnist or an image folder")
    ap.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="folder with the Fashion-MNIST idx files")
    ap.add_argument("--image-size", default="28x28", help="HxW")
    ap.add_argument("--channels", type=int, default=1, help="1 (gray) or 3 (rgb)")
    args = ap.parse_args(argv)
    h, w = (int(v) for v in args.image_size.lower().split("x"))
    try:
        s = load_dataset(args.dataset, InputSpec(args.channels, h, w), args.data_dir)
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for split in ("train", "test"):
        part = getattr(s, split)
        print(f"{split}: {len(part)} images {tuple(part.pixels.shape[1:])}, classes={list(part.class_names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
