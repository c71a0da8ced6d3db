"""Calibrate a model folder's anomaly scores on held-out normal images: writes the manifest's
`anomaly` block (docs/MODEL-FORMAT.md): each score's statistics, sorted values and quantiles, the
combined score's terms, and the SSIM window.

  calibrate.py --model models/shirt-ae                        the checkpoint's validation split
  calibrate.py --model models/parts-ae --images data/good-held-out   a folder of normal images

export.py does the same at export for models trained with --normal-class (or with --calibrate).
The images must be normal ones the model did not train on; the threshold for a false-positive
rate a is then the (1 - a) quantile of their scores.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from . import anomaly, splits
from .checkpoint import load_checkpoint
from .config import setup_torch
from .data import DatasetError
from .export import dumps
from .files import atomic_write_bytes


def parse_terms(text: str):
    """'mse:log,mahalanobis:identity' -> (("mse", "log"), ("mahalanobis", "identity"))."""
    terms = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, how = part.partition(":")
        how = how or "identity"
        if name not in anomaly.score_names(True, True) or name == "combined":
            raise ValueError(f"--terms: unknown score {name!r} (mse, ssim, mahalanobis, latent_knn, neg_elbo)")
        if how not in anomaly.TRANSFORMS:
            raise ValueError(f"--terms: unknown transform {how!r} ({', '.join(anomaly.TRANSFORMS)})")
        terms.append((name, how))
    if not terms:
        raise ValueError("--terms: at least one score")
    return tuple(terms)


def calibrate_folder(
    model_dir, images: Optional[str] = None, score: Optional[str] = None, workers: int = 0, terms=None
) -> dict:
    """Rewrites model_dir/manifest.json with a new `anomaly` block (other fields unchanged); returns the block."""
    model_dir = Path(model_dir)
    manifest_path = model_dir / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{model_dir}: no manifest.json (not a model folder)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8-sig"))
    ckpt = model_dir / "checkpoint.pt"
    if not ckpt.is_file():
        raise FileNotFoundError(f"{model_dir}: no checkpoint.pt (calibration runs the trained network)")
    model, cfg, _ = load_checkpoint(ckpt)
    setup_torch(cfg.threads, cfg.seed)
    latent = manifest.get("latent", {})
    if "mean" not in latent or "cholesky" not in latent:
        raise ValueError(f"{manifest_path}: no latent.mean / latent.cholesky (re-export the model)")
    if int(latent.get("dim", -1)) != cfg.latent_dim:
        raise ValueError(
            f"{manifest_path}: latent.dim {latent.get('dim')} but the checkpoint's latent size is {cfg.latent_dim}"
        )
    recipe = anomaly.ScoreRecipe(
        default=score or anomaly.DEFAULT_RECIPE.default, terms=tuple(terms) if terms else anomaly.DEFAULT_RECIPE.terms
    )
    train = None
    if images:
        source = splits.folder_source(images, cfg.input_spec())
        where = f"folder {Path(images).name} ({len(source)} files)"
    else:
        train, source, _ = splits.load_splits(cfg)
        where = "validation split"
    neighbours = None
    if recipe.uses_knn():
        if train is None:
            train, _, _ = splits.load_splits(cfg)
        neighbours = anomaly.reference_latents(model, train, recipe.knn_k, seed=cfg.seed, workers=workers)
    block = anomaly.calibrate(
        model,
        source,
        np.asarray(latent["mean"], dtype=np.float64),
        np.asarray(latent["cholesky"], dtype=np.float64),
        recipe,
        source=where,
        workers=workers,
        neighbours=neighbours,
    )
    manifest["anomaly"] = block
    if neighbours is not None:  # the references first: a manifest never names a file not yet written
        atomic_write_bytes(model_dir / anomaly.REFERENCES_FILE, neighbours.to_bytes())
    atomic_write_bytes(manifest_path, (dumps(manifest) + "\n").encode())
    return block


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model folder (manifest.json + checkpoint.pt)")
    ap.add_argument(
        "--images",
        default=None,
        help="folder of held-out normal images (default: the validation split of the checkpoint's config)",
    )
    ap.add_argument(
        "--score",
        default=None,
        help=f"the model's default score: mse, ssim, mahalanobis, latent_knn, neg_elbo (VAE) or combined "
        f"(default: {anomaly.DEFAULT_RECIPE.default})",
    )
    ap.add_argument(
        "--terms",
        default=None,
        metavar="SCORE:TRANSFORM,...",
        help="the combined score's terms, e.g. mse:log,ssim:log,mahalanobis:identity (default: "
        + ",".join(f"{n}:{t}" for n, t in anomaly.DEFAULT_RECIPE.terms)
        + ")",
    )
    ap.add_argument("--workers", type=int, default=0, help="DataLoader decode workers for --images (0: in-process)")
    args = ap.parse_args(argv)
    try:
        block = calibrate_folder(
            args.model,
            args.images,
            args.score,
            args.workers,
            parse_terms(args.terms) if args.terms is not None else None,
        )
    except (FileNotFoundError, DatasetError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    s = block["scores"][block["score"]]
    q = dict(zip(s["quantiles"]["levels"], s["quantiles"]["values"]))
    print(
        f"calibrated {args.model}: {block['calibration']['images']} images ({block['calibration']['source']}); "
        f"score {block['score']}: threshold at FPR 0.01 = {q[0.99]:.6g}, at 0.001 = {q[0.999]:.6g}"
    )
    return 0
