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
        (exact, from the Gram matrix, up to 4096 values per image; beyond that the first 2048
        training and test images)
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
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from . import splits
from .checkpoint import load_checkpoint
from .config import setup_torch
from .models import LOG_2PI, AutoEncoder, kl_divergence

PCA_EXACT_MAX_DIM = 4096
PCA_SAMPLE = 2048


# ---------------------------------------------------------------------------------------------
# SSIM
# ---------------------------------------------------------------------------------------------

def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(r ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    return torch.outer(g, g)


def ssim(a: torch.Tensor, b: torch.Tensor, data_range: float = 1.0, size: int = 11,
         sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """Per-image SSIM of [N,C,H,W] tensors (mean over channels and valid windows), float64.
    Images smaller than the window use a window of their size."""
    a = a.to(torch.float64)
    b = b.to(torch.float64)
    n, c, h, w = a.shape
    size = min(size, h, w)
    win = gaussian_window(size, sigma).expand(c, 1, size, size).contiguous()
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2

    def filt(x):
        return F.conv2d(x, win, groups=c)

    mu_a, mu_b = filt(a), filt(b)
    saa = filt(a * a) - mu_a ** 2
    sbb = filt(b * b) - mu_b ** 2
    sab = filt(a * b) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (saa + sbb + c2))
    return m.mean(dim=(1, 2, 3))


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
        basis = vt[:min(components, vt.shape[0])].T
        return _pca_test_mse(basis, mean, test)
    return _pca_from_gram(xc.T @ xc, mean, components, test)


def _pca_from_gram(gram: np.ndarray, mean: np.ndarray, components: int, test: np.ndarray) -> float:
    evals, evecs = np.linalg.eigh(gram)
    basis = evecs[:, np.argsort(evals)[::-1][:min(components, gram.shape[0])]]
    return _pca_test_mse(basis, mean, test)


def _pca_test_mse(basis: np.ndarray, mean: np.ndarray, test: np.ndarray) -> float:
    t = test.reshape(test.shape[0], -1).astype(np.float64) - mean
    rec = (t @ basis) @ basis.T
    return float(np.mean((t - rec) ** 2))


def _pixels01(px: torch.Tensor, scale: float) -> np.ndarray:
    return px.to(torch.float64).numpy().reshape(px.shape[0], -1) / scale


def pca_baseline_streamed(train: splits.Source, test: splits.Source, components: int, workers: int = 0) -> float:
    spec = train.spec
    d = spec.channels * spec.height * spec.width
    if d > PCA_EXACT_MAX_DIM or len(train) < d:
        # few images (SVD of the data matrix is cheaper than the Gram matrix) or huge images
        # (a d x d Gram matrix would not fit): fit on the first images that decode
        px, _ = splits.first_images(train, min(len(train), PCA_SAMPLE))
        tpx, _ = splits.first_images(test, len(test) if d <= PCA_EXACT_MAX_DIM else min(len(test), PCA_SAMPLE))
        return pca_baseline_mse(px.astype(np.float64) / spec.scale, tpx.astype(np.float64) / spec.scale, components)
    n, s, gram = 0, np.zeros(d), np.zeros((d, d))
    for b in splits.batches(train, 1000, workers):
        x = _pixels01(b.pixels, spec.scale)
        n += x.shape[0]
        s += x.sum(axis=0)
        gram += x.T @ x
    mean = s / n
    tests = [_pixels01(b.pixels, spec.scale) for b in splits.batches(test, 1000, workers)]
    t = np.concatenate(tests) if tests else np.zeros((0, d))
    return _pca_from_gram(gram - n * np.outer(mean, mean), mean, components, t)


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
def evaluate_model(model: AutoEncoder, test: splits.Source, train: Optional[splits.Source] = None,
                   seed: int = 0, batch_size: int = 500, workers: int = 0) -> dict:
    """Metrics dict with fixed key order (see the module doc)."""
    m64 = eval_copy(model)
    spec = test.spec
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
            nll = 0.5 * ((recz - p01) ** 2).flatten(1).sum(1) * torch.exp(-2 * log_sigma) + d * (log_sigma + 0.5 * LOG_2PI)
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
        out["pca_mse"] = pca_baseline_streamed(train, test, model.spec.latent_dim, workers)
    if m64.variational:
        out["elbo"] = elbo_sum / n_img
        out["kl"] = kl_sum / n_img
        out["sigma"] = float(torch.exp(log_sigma))
    out["test_count"] = int(n_img)
    return out


@torch.no_grad()
def encode_means(model: AutoEncoder, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """float64 latents (AE latent or VAE mean) of normalized inputs x."""
    m64 = eval_copy(model)
    return torch.cat([m64.encode_mean(x[i:i + batch_size]).double() for i in range(0, x.shape[0], batch_size)])


@torch.no_grad()
def latent_statistics(model: AutoEncoder, train: splits.Source, batch_size: int = 500, workers: int = 0) -> dict:
    """mean, std, covariance (unbiased), cholesky of covariance + 1e-6·I, class centroids;
    float64 activations and sums."""
    m64 = eval_copy(model)
    dim = model.spec.latent_dim
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
    classes = [{"label": str(name), "index": c, "count": int(ccount[c]), "centroid": csum[c] / ccount[c]}
               for c, name in enumerate(train.class_names) if ccount[c] > 0]
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
        print(f"{k:10s} {v}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(m, f, indent=2)
    return 0
