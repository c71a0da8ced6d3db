"""Deterministic RGB image folders for models, tests and the recipe comparison.

  synthetic.py --out runs/data/shapes-rgb --count 600 --size 32            flat shapes (tests)
  synthetic.py --kind photos --out runs/data/photos-3000 --count 3000      photo-like pictures

shapes: one colored circle, square, triangle or stripe band on a shaded background, subfolders
circle/ square/ triangle/ stripes/ are the labels. photos: 96-128 px pictures with textured
gradient backgrounds, 2-5 overlapping soft-edged shapes and sensor-like noise, 60 % JPEG / 40 %
PNG, five class folders (the kind of shape), plus a few corrupt files. The pictures depend only
on the arguments: numpy's PCG64 draws the parameters, PIL draws and encodes.
"""
from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ("circle", "square", "triangle", "stripes")


def draw_shape(kind: str, size: int, rng: np.random.Generator) -> Image.Image:
    """One shape of a random color on a random background color that darkens towards the bottom."""
    base = rng.integers(40, 256, size=3).astype(np.float64)
    ramp = np.linspace(1.0, 0.6, size)[:, None, None]
    bg = np.broadcast_to(np.rint(base * ramp), (size, size, 3)).astype(np.uint8).copy()
    img = Image.fromarray(bg, "RGB")
    d = ImageDraw.Draw(img)
    fill = tuple(int(v) for v in rng.integers(0, 256, size=3))
    r = int(rng.integers(size // 6, size // 3 + 1))
    cx, cy = (int(v) for v in rng.integers(r, size - r, size=2))
    if kind == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif kind == "square":
        d.rectangle([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif kind == "triangle":
        d.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=fill)
    else:
        step = max(2, r // 2)
        for x in range(0, size, 2 * step):
            d.rectangle([x, cy - r, x + step - 1, cy + r], fill=fill)
    return img


def write_shapes_folder(out, count: int = 600, size: int = 32, seed: int = 0) -> Path:
    """Write count PNGs (round-robin over SHAPES) under out/<shape>/NNNN.png; returns out."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    for kind in SHAPES:
        (out / kind).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        kind = SHAPES[i % len(SHAPES)]
        draw_shape(kind, size, rng).save(out / kind / f"{i:04d}.png")
    return out


# ---------------------------------------------------------------------------------------------
# Photo-like folders: what a user's own pictures look like to a 32-number code
# ---------------------------------------------------------------------------------------------

#: the class folders: the kind of shape every picture of the class holds
PHOTO_CLASSES = ("discs", "boxes", "triangles", "stars", "rings")
PHOTO_JPEG_SHARE = 0.6
#: files that are not images although their names say so (they test the skip path)
PHOTO_CORRUPT = 6


def _photo_background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A two-colour linear gradient at a random angle plus a faint texture (two oriented waves and
    a low-frequency ripple), float HxWx3 in 0..255."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    angle = rng.uniform(0, 2 * np.pi)
    t = xx * np.cos(angle) + yy * np.sin(angle)
    t = (t - t.min()) / max(t.max() - t.min(), 1e-9)
    c0, c1 = rng.uniform(0, 255, (2, 3))
    img = c0 + (c1 - c0) * t[..., None]
    tex = np.zeros((h, w))
    for _ in range(2):
        period, theta, phase = rng.uniform(4, 24), rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
        tex += rng.uniform(3, 12) * np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period + phase)
    period = rng.uniform(30, 80)
    tex += rng.uniform(4, 15) * np.sin(2 * np.pi * xx / period + rng.uniform(0, 6)) * np.cos(2 * np.pi * yy / period)
    return img + tex[..., None] * rng.uniform(0.5, 1.0, 3)


def _shape_mask(kind: str, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A soft-edged mask (float HxW in 0..1) of one shape: drawn by PIL, then blurred."""
    from PIL import ImageFilter

    m = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(m)
    side = min(h, w)
    r = rng.uniform(0.12, 0.32) * side
    cx, cy = rng.uniform(0.15 * w, 0.85 * w), rng.uniform(0.15 * h, 0.85 * h)
    rot = rng.uniform(0, 2 * np.pi)

    def poly(radii, count):
        a = rot + np.arange(count) * 2 * np.pi / count
        return [(float(cx + q * np.cos(b)), float(cy + q * np.sin(b))) for q, b in zip(np.resize(radii, count), a)]

    if kind == "discs":
        rx, ry = r, r * rng.uniform(0.6, 1.0)
        d.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=255)
    elif kind == "boxes":
        a, b = r, r * rng.uniform(0.5, 1.0)
        corners = [(-a, -b), (a, -b), (a, b), (-a, b)]
        c, s = np.cos(rot), np.sin(rot)
        d.polygon([(float(cx + u * c - v * s), float(cy + u * s + v * c)) for u, v in corners], fill=255)
    elif kind == "triangles":
        d.polygon(poly([r], 3), fill=255)
    elif kind == "stars":
        d.polygon(poly([r, r * rng.uniform(0.4, 0.6)], 10), fill=255)
    else:  # rings
        width = max(2, int(r * rng.uniform(0.25, 0.5)))
        d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=255, width=width)
    m = m.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.8, 3.0))))
    return np.asarray(m, dtype=np.float64) / 255.0


def photo_like(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One photo-like picture (uint8 HxWx3, sides 96..128): textured gradient background, 2-5
    overlapping soft-edged shapes of `kind` in random colours (some translucent), sensor-like noise."""
    h, w = (int(v) for v in rng.integers(96, 129, size=2))
    img = _photo_background(h, w, rng)
    for _ in range(int(rng.integers(2, 6))):
        mask = _shape_mask(kind, h, w, rng)[..., None] * rng.uniform(0.6, 1.0)
        colour = rng.uniform(0, 255, 3)
        shade = 1.0 + rng.uniform(-0.25, 0.25) * (np.linspace(-1, 1, h)[:, None, None])
        img = img * (1 - mask) + colour * shade * mask
    img += rng.normal(0.0, rng.uniform(2, 8), img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_photo_folder(out, count: int = 3000, seed: int = 0, corrupt: int = PHOTO_CORRUPT) -> Path:
    """Write `count` photo-like pictures under out/<class>/NNNNN.{jpg,png} (classes round-robin
    over PHOTO_CLASSES; 60 % JPEG at quality 70-95, 40 % PNG) and `corrupt` broken files named as
    images (truncated JPEG, empty PNG, random bytes). The bytes depend only on (count, seed,
    corrupt) and the PIL/libjpeg-turbo build."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    for kind in PHOTO_CLASSES:
        (out / kind).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        kind = PHOTO_CLASSES[i % len(PHOTO_CLASSES)]
        img = Image.fromarray(photo_like(kind, rng), "RGB")
        if rng.uniform() < PHOTO_JPEG_SHARE:
            img.save(out / kind / f"{i:05d}.jpg", "JPEG", quality=int(rng.integers(70, 96)))
        else:
            img.save(out / kind / f"{i:05d}.png", "PNG")
    for j in range(corrupt):
        kind = PHOTO_CLASSES[j % len(PHOTO_CLASSES)]
        if j % 3 == 0:
            good = Image.fromarray(photo_like(kind, rng), "RGB")
            buf = io.BytesIO()
            good.save(buf, "JPEG", quality=90)
            (out / kind / f"broken-{j}.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
        elif j % 3 == 1:
            (out / kind / f"broken-{j}.png").write_bytes(b"")
        else:
            (out / kind / f"broken-{j}.png").write_bytes(rng.integers(0, 256, 2048, dtype=np.uint8).tobytes())
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--kind", choices=("shapes", "photos"), default="shapes", help="what to draw")
    ap.add_argument("--out", required=True, help="folder to write")
    ap.add_argument("--count", type=int, default=600, help="number of images")
    ap.add_argument("--size", type=int, default=32, help="image side in pixels (shapes only; photos are 96-128 px)")
    ap.add_argument("--corrupt", type=int, default=PHOTO_CORRUPT, help="photos: broken files added to the folder")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    a = ap.parse_args(argv)
    if a.kind == "photos":
        print(write_photo_folder(a.out, a.count, a.seed, a.corrupt))
    else:
        print(write_shapes_folder(a.out, a.count, a.size, a.seed))
    return 0
