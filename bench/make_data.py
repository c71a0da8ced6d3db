"""Writes benchmark image folders outside git: Fashion-MNIST as PNG files (60k train, 10k subset),
an RGB folder for the second model, and photo workloads (photo-like JPEGs at several sizes, q90,
and a WebP folder). Idempotent: a folder with a complete marker is kept."""
import argparse
import gzip
from pathlib import Path

import numpy as np
from PIL import Image


def read_idx_images(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    count, rows, cols = (int.from_bytes(data[i : i + 4], "big") for i in (4, 8, 12))
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


def photo(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A photo-like RGB image: smooth shading, a few soft-edged shapes, sensor-like noise.

    Photos, unlike flat synthetic images, give a JPEG encoder real detail at every frequency,
    so decode cost per pixel is close to that of camera pictures at the same quality.
    """
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.empty((h, w, 3), np.float32)
    f = rng.uniform(8, 60, (3, 2))
    for c in range(3):
        img[..., c] = 128 + 70 * np.sin(xx / f[c, 0] + c) * np.cos(yy / f[c, 1] - c)
    for _ in range(4):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.3) * min(h, w)
        edge = np.clip((r - np.hypot(xx - cx, yy - cy)) / 4, 0, 1)[..., None]
        img = img * (1 - edge) + rng.uniform(0, 255, 3) * edge
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_photos(out: Path, count: int, size, fmt: str, seed: int) -> None:
    marker = out / ".complete"
    if marker.exists() and int(marker.read_text()) == count:
        print(f"{out}: {count} images already there")
        return
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w, h = size
    ext = "jpg" if fmt == "JPEG" else "webp"
    for i in range(count):
        Image.fromarray(photo(h, w, rng)).save(out / f"{i:05d}.{ext}", fmt, quality=90 if fmt == "JPEG" else 80)
    marker.write_text(str(count))
    print(f"{out}: wrote {count} images")


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
    photos = 200 if args.quick else 2000
    write_photos(out / f"photo-640x480-{photos}", photos, (640, 480), "JPEG", seed=11)
    write_photos(out / f"photo-1280x960-{photos // 4}", photos // 4, (1280, 960), "JPEG", seed=12)
    write_photos(out / f"webp-320x240-{photos}", photos, (320, 240), "WEBP", seed=13)


if __name__ == "__main__":
    main()
