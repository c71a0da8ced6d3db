"""Writes benchmark image folders outside git: Fashion-MNIST as PNG files (60k train, 10k subset)
and an RGB folder for the second model. Idempotent: a folder with a complete marker is kept."""
import argparse
import gzip
import os
from pathlib import Path

import numpy as np
from PIL import Image


def read_idx_images(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    count, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols)


def write_folder(images: np.ndarray, out: Path, mode: str) -> None:
    marker = out / ".complete"
    if marker.exists() and int(marker.read_text()) == len(images):
        print(f"{out}: {len(images)} images already there")
        return
    out.mkdir(parents=True, exist_ok=True)
    # 1000 files per subfolder keeps directory listings fast on any file system.
    for i, img in enumerate(images):
        sub = out / f"{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        Image.fromarray(img, mode).save(sub / f"{i:05d}.png")
    marker.write_text(str(len(images)))
    print(f"{out}: wrote {len(images)} images")


def rgb_images(count: int, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / (size - 1)
    out = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        a, b, c = rng.uniform(0, 1, (3, 3))
        img = a[None, None, :] * xx[..., None] + b[None, None, :] * yy[..., None] + c[None, None, :] * 0.5
        cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.3)
        disk = ((xx - cx) ** 2 + (yy - cy) ** 2) < r * r
        img[disk] = rng.uniform(0, 1, 3)
        out[i] = np.clip(img * 255 / max(img.max(), 1e-6), 0, 255).astype(np.uint8)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist", help="Fashion-MNIST idx files")
    p.add_argument("--out", default="bench/data", help="output root (ignored by git)")
    p.add_argument("--quick", action="store_true", help="only the 10k folder and a small RGB folder")
    args = p.parse_args()
    train = read_idx_images(Path(args.data_dir) / "train-images-idx3-ubyte.gz")
    out = Path(args.out)
    write_folder(train[:10000], out / "fmnist-10k", "L")
    if not args.quick:
        write_folder(train, out / "fmnist-60k", "L")
    write_folder(rgb_images(2000 if args.quick else 10000, 32, seed=7), out / "rgb-32", "RGB")


if __name__ == "__main__":
    main()
