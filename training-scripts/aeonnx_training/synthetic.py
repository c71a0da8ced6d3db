"""A deterministic RGB image folder (colored shapes on shaded backgrounds), for the tiny-rgb model and tests.

  synthetic.py --out runs/data/shapes-rgb --count 600 --size 32

Subfolders circle/ square/ triangle/ stripes/ are the labels. The pictures depend only on
(count, size, seed): numpy's PCG64 draws the parameters, PIL draws the shapes.
"""
from __future__ import annotations

import argparse
import sys
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


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--out", required=True, help="folder to write")
    ap.add_argument("--count", type=int, default=600, help="number of images")
    ap.add_argument("--size", type=int, default=32, help="image side in pixels")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    a = ap.parse_args(argv)
    print(write_shapes_folder(a.out, a.count, a.size, a.seed))
    return 0

