"""Evaluate a checkpoint on its test split: MSE, PSNR, SSIM, PCA baseline, VAE ELBO, and the
latent statistics over the training set that go into the manifest.

  evaluate.py --checkpoint runs/fashion-mnist-ae/checkpoint.pt [--json out.json]

The network runs in float32 (as trained and exported); every sum, mean, covariance and metric is
accumulated in float64, streaming batch by batch. float32 activations differ between CPUs in
their last bits (BLAS and vector kernels differ by instruction set), so a figure written with
float32 digits can differ in its last digit or two on another CPU: re-exports are compared with a
stated tolerance (rel 1e-4), the graphs byte for byte.

Definitions (all in [0,1] pixel space, i.e. decoder output vs input pixels / scale):
  mse   mean squared error over all test pixels
  psnr  10·log10(1 / mse) with that mse
  ssim  mean over images and channels of Gaussian-window SSIM (11x11, sigma 1.5,
        K1 = 0.01, K2 = 0.03, data range 1, 'valid' windows only, as in Wang et al. 2004)
  pca_mse  MSE of a PCA with as many components as the latent, fit on the training split
        (exact, from the Gram matrix, up to 4096 values per image; beyond that a randomized PCA
        with bounded memory, see baselines_streamed); pca_ratio = mse / pca_mse; pca_ssim the
        SSIM of the PCA's reconstructions
  mean_image_mse  MSE of the training split's mean image (what a model that ignores its input gets)
  elbo  VAE only: mean per-image ELBO in nats, Gaussian likelihood N(decoder(z), sigma^2 I) over
        [0,1] pixels with the learned sigma, one z sample per image (fixed seed); a lower bound on
        log p(x) for that density. kl: its mean KL term.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from . import splits
from .checkpoint import load_checkpoint
from .config import setup_torch
from .models import LOG_2PI, AutoEncoder, gaussian_window, kl_divergence, ssim  # noqa: F401

PCA_EXACT_MAX_DIM = 4096
#: uint8 training pixels held for a randomized PCA (256 MiB: 21,845 images at 64x64 RGB, all of
#: Fashion-MNIST many times over); beyond it an evenly spaced sample
PCA_MAX_BYTES = 1 << 28
PCA_OVERSAMPLE = 32
PCA_ITERATIONS = 8
EVAL_BATCH_VALUES = 1 << 21


# ---------------------------------------------------------------------------------------------
# PCA baseline
# ---------------------------------------------------------------------------------------------


def pca_baseline_mse(train: np.ndarray, test: np.ndarray, components: int) -> float:
    """MSE on test of a rank-`components` PCA fit on train; rows are flattened images in [0,1]."""
    x = train.reshape(train.shape[0], -1).astype(np.float64)
    mean = x.mean(axis=0)
    xc = x - mean
    if xc.shape[0] < xc.shape[1]:
        _, _, vt = np.linalg.svd(xc, full_matrices=False)
        basis = vt[: min(components, vt.shape[0])].T
        return _pca_test_mse(basis, mean, test)
    return _pca_from_gram(xc.T @ xc, mean, components, test)


def _pca_from_gram(gram: np.ndarray, mean: np.ndarray, components: int, test: np.ndarray) -> float:
    evals, evecs = np.linalg.eigh(gram)
    basis = evecs[:, np.argsort(evals)[::-1][: min(components, gram.shape[0])]]
    return _pca_test_mse(basis, mean, test)


def _pca_test_mse(basis: np.ndarray, mean: np.ndarray, test: np.ndarray) -> float:
    t = test.reshape(test.shape[0], -1).astype(np.float64) - mean
    rec = (t @ basis) @ basis.T
    return float(np.mean((t - rec) ** 2))


def _pixels01(px: torch.Tensor, scale: float) -> np.ndarray:
    return px.to(torch.float64).numpy().reshape(px.shape[0], -1) / scale


def batch_for(values_per_image: int, most: int = 500) -> int:
    """Images per evaluation batch: at most `most`, and at most EVAL_BATCH_VALUES values, so a
    batch's float64 copies and SSIM intermediates stay within tens of MB at any image size."""
    return max(1, min(most, EVAL_BATCH_VALUES // max(values_per_image, 1)))


@dataclass
class Baselines:
    """What a model must beat: PCA with as many components as the latent, and the mean image."""

    pca_mse: float
    pca_ssim: float
    mean_image_mse: float
    method: str  # how the PCA was fit (exact / randomized, on how many images)


def _sample_indices(n: int, cap: int) -> np.ndarray:
    """All of 0..n-1, or `cap` evenly spaced ones (deterministic)."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(np.int64))


def _load_uint8(source: splits.Source, workers: int) -> np.ndarray:
    """The decodable images of a source as one uint8 [n, d] matrix."""
    d = source.spec.channels * source.spec.height * source.spec.width
    rows = []
    for b in splits.batches(source, batch_for(d), workers):
        if len(b):
            rows.append(b.pixels.numpy().reshape(len(b), d))
    if not rows:
        raise splits.DatasetError("no decodable image in the split")
    return np.concatenate(rows)


def _blocks(x: np.ndarray, scale: float, mean: Optional[np.ndarray] = None, rows: int = 0):
    """Row blocks of a uint8 matrix as centred float64 in [0,1] (a few MB each)."""
    rows = rows or batch_for(x.shape[1], 1024)
    for s in range(0, x.shape[0], rows):
        blk = x[s : s + rows].astype(np.float64) / scale
        yield blk if mean is None else blk - mean


def randomized_pca_basis(
    x: np.ndarray,
    scale: float,
    components: int,
    oversample: int = PCA_OVERSAMPLE,
    iterations: int = PCA_ITERATIONS,
    seed: int = 0,
) -> Tuple[np.ndarray, np.ndarray]:
    """(mean [d], basis [d, k]) of a PCA of the rows of uint8 x / scale, by subspace iteration on
    the centred data (Halko, Martinsson & Tropp 2011, algorithm 4.4 with Rayleigh-Ritz): each
    iteration is one pass over row blocks computing A^T (A V) in float64, so memory is the uint8
    matrix plus a few d x (k + oversample) matrices, never d x d or a float64 copy of the data."""
    n, d = x.shape
    mean = np.zeros(d)
    for blk in _blocks(x, scale):
        mean += blk.sum(axis=0)
    mean /= n
    width = min(components + oversample, d, n)
    v = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, width)))[0]
    for _ in range(iterations):
        atav = np.zeros((d, width))
        for blk in _blocks(x, scale, mean):
            atav += blk.T @ (blk @ v)
        v = np.linalg.qr(atav)[0]
    # Rayleigh-Ritz: the best rank-k basis inside span(v)
    small = np.zeros((width, width))
    for blk in _blocks(x, scale, mean):
        w = blk @ v
        small += w.T @ w
    evals, evecs = np.linalg.eigh(small)
    order = np.argsort(evals)[::-1][: min(components, width)]
    return mean, v @ evecs[:, order]


def pca_of_rows(
    x: np.ndarray, scale: float, components: int, seed: int = 0
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean [d], basis [d, k], scales [k]) of uint8 rows x / scale: the randomized PCA above and
    the standard deviation of each component's coordinate over the rows."""
    mean, basis = randomized_pca_basis(x, scale, components, seed=seed)
    var = np.zeros(basis.shape[1])
    for blk in _blocks(x, scale, mean):
        var += ((blk @ basis) ** 2).sum(axis=0)
    return mean, basis, np.sqrt(var / x.shape[0])


def fit_pca(train: splits.Source, components: int, workers: int = 0, seed: int = 0):
    """pca_of_rows over the training split (an evenly spaced sample of PCA_MAX_BYTES when larger):
    what a pca_residual model's linear path starts from."""
    d = train.spec.channels * train.spec.height * train.spec.width
    idx = _sample_indices(len(train), max(components + 1, PCA_MAX_BYTES // d))
    x = _load_uint8(train.subset(idx) if len(idx) < len(train) else train, workers)
    return pca_of_rows(x, train.spec.scale, components, seed)


def baselines_streamed(train: splits.Source, test: splits.Source, components: int, workers: int = 0) -> Baselines:
    """PCA-k and mean-image test MSE with bounded memory. Up to PCA_EXACT_MAX_DIM values per image
    the PCA is exact (the d x d Gram matrix accumulated over batches in float64); above it, a
    randomized PCA on the training images held as uint8 (an evenly spaced sample of
    PCA_MAX_BYTES // d of them when there are more), which matches the exact one closely
    (tests/training/test_evaluate.py). Test images are streamed."""
    spec = train.spec
    d = spec.channels * spec.height * spec.width
    if d <= PCA_EXACT_MAX_DIM:
        n, total, gram = 0, np.zeros(d), np.zeros((d, d))
        for b in splits.batches(train, batch_for(d, 1000), workers):
            if not len(b):
                continue
            x = _pixels01(b.pixels, spec.scale)
            n += x.shape[0]
            total += x.sum(axis=0)
            gram += x.T @ x
        mean = total / n
        evals, evecs = np.linalg.eigh(gram - n * np.outer(mean, mean))
        basis = evecs[:, np.argsort(evals)[::-1][: min(components, d)]]
        method = f"exact (Gram matrix of {n} training images)"
    else:
        idx = _sample_indices(len(train), max(components + 1, PCA_MAX_BYTES // d))
        x = _load_uint8(train.subset(idx) if len(idx) < len(train) else train, workers)
        mean, basis = randomized_pca_basis(x, spec.scale, components)
        method = (
            f"randomized ({PCA_ITERATIONS} subspace iterations, {basis.shape[1] + PCA_OVERSAMPLE} vectors) "
            f"on {x.shape[0]} of {len(train)} training images"
        )
        del x
    se_pca, se_mean, ssim_sum, count, n_img = 0.0, 0.0, 0.0, 0, 0
    shape = (spec.channels, spec.height, spec.width)
    for b in splits.batches(test, batch_for(d, 1000), workers):
        if not len(b):
            continue
        t = _pixels01(b.pixels, spec.scale) - mean
        rec = (t @ basis) @ basis.T
        se_pca += float(np.sum((t - rec) ** 2))
        se_mean += float(np.sum(t**2))
        count += t.size
        ssim_sum += float(
            ssim(torch.from_numpy(rec + mean).reshape(-1, *shape), torch.from_numpy(t + mean).reshape(-1, *shape)).sum()
        )
        n_img += len(b)
    return Baselines(se_pca / count, ssim_sum / n_img, se_mean / count, method)


def quality_warnings(metrics: dict, latent_dim: int) -> List[str]:
    """Plain sentences for a model that does not beat its baselines (export prints them and writes
    them into the manifest's metrics.warnings; `aeonnx info` and the service show them)."""
    out = []
    mse, pca, mean_img = metrics.get("mse"), metrics.get("pca_mse"), metrics.get("mean_image_mse")
    if mse is not None and mean_img is not None and mse >= mean_img:
        out.append(
            f"test MSE {mse:.5f} is not below the mean image's {mean_img:.5f}: the model ignores its input "
            "(it reconstructs every image as the same picture)"
        )
    if mse is not None and pca is not None and mse >= pca:
        out.append(
            f"test MSE {mse:.5f} is {mse / pca:.2f}x that of PCA with {latent_dim} components ({pca:.5f}): "
            "a linear projection of the same size reconstructs better; retrain (docs/TRAINING.md)"
        )
    return out


# ---------------------------------------------------------------------------------------------
# Model evaluation (float64)
# ---------------------------------------------------------------------------------------------


def eval_copy(model: AutoEncoder) -> AutoEncoder:
    """The model on CPU in float32 for evaluation (float64 convolutions are ~6x slower on CPU,
    which made a Fashion-MNIST export take minutes; the sums are float64 either way)."""
    m = copy.deepcopy(model).to("cpu").float()
    m.eval()
    return m


@torch.no_grad()
def evaluate_model(
    model: AutoEncoder,
    test: splits.Source,
    train: Optional[splits.Source] = None,
    seed: int = 0,
    batch_size: int = 500,
    workers: int = 0,
) -> dict:
    """Metrics dict with fixed key order (see the module doc); with `train`, the baselines, the
    ratio to PCA and the quality warnings too."""
    m64 = eval_copy(model)
    spec = test.spec
    batch_size = batch_for(spec.channels * spec.height * spec.width, batch_size)
    se, count, ssim_sum, n_img = 0.0, 0, 0.0, 0
    elbo_sum, kl_sum = 0.0, 0.0
    g = torch.Generator().manual_seed(seed)
    log_sigma = m64.clamped_log_sigma().double() if m64.variational else None
    for b in splits.batches(test, batch_size, workers):
        if not len(b):
            continue
        x, p01 = splits.normalize(b.pixels, spec, torch.device("cpu"))
        p01 = p01.double()
        rec = m64.decoder.pixels(m64.encode_mean(x)).double()
        se += float(((rec - p01) ** 2).sum())
        count += p01.numel()
        ssim_sum += float(ssim(rec, p01).sum())
        n_img += len(b)
        if m64.variational:
            mean, logvar = m64.encoder(x)
            eps = torch.randn(mean.shape, generator=g, dtype=torch.float32)
            recz = m64.decoder.pixels(mean + torch.exp(0.5 * logvar) * eps).double()
            mean, logvar = mean.double(), logvar.double()
            d = p01[0].numel()
            nll = 0.5 * ((recz - p01) ** 2).flatten(1).sum(1) * torch.exp(-2 * log_sigma) + d * (
                log_sigma + 0.5 * LOG_2PI
            )
            kl = kl_divergence(mean, logvar)
            elbo_sum += float((-(nll + kl)).sum())
            kl_sum += float(kl.sum())
    mse = se / count
    out = {
        "mse": mse,
        "psnr": 10.0 * math.log10(1.0 / mse) if mse > 0 else float("inf"),
        "ssim": ssim_sum / n_img,
    }
    if train is not None:
        base = baselines_streamed(train, test, model.spec.latent_dim, workers)
        out.update(
            pca_mse=base.pca_mse,
            pca_ratio=mse / base.pca_mse if base.pca_mse > 0 else float("inf"),
            pca_ssim=base.pca_ssim,
            mean_image_mse=base.mean_image_mse,
            pca_fit=base.method,
        )
    if m64.variational:
        out["elbo"] = elbo_sum / n_img
        out["kl"] = kl_sum / n_img
        out["sigma"] = float(torch.exp(log_sigma))
    out["test_count"] = int(n_img)
    if train is not None:
        out["warnings"] = quality_warnings(out, model.spec.latent_dim)
    return out


@torch.no_grad()
def encode_means(model: AutoEncoder, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """float64 latents (AE latent or VAE mean) of normalized inputs x."""
    m64 = eval_copy(model)
    return torch.cat([m64.encode_mean(x[i : i + batch_size]).double() for i in range(0, x.shape[0], batch_size)])


@torch.no_grad()
def latent_statistics(model: AutoEncoder, train: splits.Source, batch_size: int = 500, workers: int = 0) -> dict:
    """mean, std, covariance (unbiased), cholesky of covariance + 1e-6·I, class centroids;
    float64 activations and sums."""
    m64 = eval_copy(model)
    dim = model.spec.latent_dim
    batch_size = batch_for(train.spec.channels * train.spec.height * train.spec.width, batch_size)
    n, s, ss = 0, np.zeros(dim), np.zeros((dim, dim))
    k = len(train.class_names)
    csum, ccount = np.zeros((max(k, 1), dim)), np.zeros(max(k, 1), dtype=np.int64)
    for b in splits.batches(train, batch_size, workers):
        if not len(b):
            continue
        x, _ = splits.normalize(b.pixels, train.spec, torch.device("cpu"))
        z = m64.encode_mean(x).double().numpy()
        n += z.shape[0]
        s += z.sum(axis=0)
        ss += z.T @ z
        if train.labels is not None and k:
            lab = train.labels[b.index.numpy()]
            for c in range(k):
                sel = lab == c
                if sel.any():
                    csum[c] += z[sel].sum(axis=0)
                    ccount[c] += int(sel.sum())
    mean = s / n
    cov = (ss - n * np.outer(mean, mean)) / (n - 1) if n > 1 else np.zeros((dim, dim))
    cov = (cov + cov.T) / 2
    std = np.sqrt(np.maximum(np.diag(cov), 0.0))
    chol = np.linalg.cholesky(cov + 1e-6 * np.eye(dim))
    classes = [
        {"label": str(name), "index": c, "count": int(ccount[c]), "centroid": csum[c] / ccount[c]}
        for c, name in enumerate(train.class_names)
        if ccount[c] > 0
    ]
    return {"mean": mean, "std": std, "covariance": cov, "cholesky": chol, "classes": classes}


def evaluate_checkpoint(checkpoint: str, with_pca: bool = True) -> dict:
    model, cfg, _ = load_checkpoint(checkpoint)
    setup_torch(cfg.threads, cfg.seed)
    tr, _, te = splits.load_splits(cfg)
    return evaluate_model(model, te, tr if with_pca else None, seed=cfg.seed)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="checkpoint.pt written by train.py")
    ap.add_argument("--json", default=None, help="also write the metrics to this file (default: none)")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.checkpoint):
        print(f"error: checkpoint not found: {args.checkpoint}", file=sys.stderr)
        return 2
    try:
        m = evaluate_checkpoint(args.checkpoint)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for k, v in m.items():
        if k != "warnings":
            print(f"{k:15s} {v}")
    for w in m.get("warnings", []):
        print(f"warning: {w}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(m, f, indent=2)
    return 0
