"""Evaluate a checkpoint on its test split: MSE, PSNR, SSIM, PCA baseline, VAE ELBO, and the
latent statistics over the training set that go into the manifest.

  evaluate.py --checkpoint runs/fashion-mnist-ae/checkpoint.pt [--json out.json]

Definitions (all in [0,1] pixel space, i.e. decoder output vs input pixels / 255):
  mse   mean squared error over all test pixels
  psnr  10·log10(1 / mse) with that mse
  ssim  mean over images and channels of Gaussian-window SSIM (11x11, sigma 1.5,
        K1 = 0.01, K2 = 0.03, data range 1, 'valid' windows only, as in Wang et al. 2004)
  pca_mse  MSE of a PCA with as many components as the latent, fit on the training split
  elbo  VAE only: mean per-image ELBO in nats, Bernoulli likelihood, one z sample (fixed seed)
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Optional, Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from models import AutoEncoder, kl_divergence  # noqa: E402


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
    t = test.reshape(test.shape[0], -1).astype(np.float64)
    mean = x.mean(axis=0)
    xc = x - mean
    k = min(components, xc.shape[0], xc.shape[1])
    if xc.shape[0] < xc.shape[1]:
        _, _, vt = np.linalg.svd(xc, full_matrices=False)
        basis = vt[:k].T
    else:
        evals, evecs = np.linalg.eigh(xc.T @ xc)
        basis = evecs[:, np.argsort(evals)[::-1][:k]]
    tc = t - mean
    rec = (tc @ basis) @ basis.T
    return float(np.mean((tc - rec) ** 2))


# ---------------------------------------------------------------------------------------------
# Model evaluation
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def encode_means(model: AutoEncoder, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    model.eval()
    return torch.cat([model.encode_mean(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)])


@torch.no_grad()
def reconstruct(model: AutoEncoder, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    model.eval()
    return torch.cat([model.decoder(model.encode_mean(x[i:i + batch_size]))
                      for i in range(0, x.shape[0], batch_size)])


@torch.no_grad()
def evaluate_model(model: AutoEncoder, x_test: torch.Tensor, x_train: Optional[torch.Tensor],
                   pixels_test01: torch.Tensor, pixels_train01: Optional[torch.Tensor],
                   seed: int = 0, batch_size: int = 500) -> dict:
    """Metrics dict with fixed key order. x_* are encoder inputs (normalized), pixels_*01 the
    same images in [0,1] pixel space (equal when mean=0, std=1)."""
    model.eval()
    se, count, ssims = 0.0, 0, []
    elbo_sum = 0.0
    g = torch.Generator().manual_seed(seed)
    for i in range(0, x_test.shape[0], batch_size):
        xb = x_test[i:i + batch_size]
        pb = pixels_test01[i:i + batch_size].to(torch.float64)
        rec = model.decoder(model.encode_mean(xb)).to(torch.float64)
        se += float(((rec - pb) ** 2).sum())
        count += pb.numel()
        ssims.append(ssim(rec, pb))
        if model.variational:
            mean, logvar = model.encoder(xb)
            eps = torch.randn(mean.shape, generator=g)
            z = mean + torch.exp(0.5 * logvar) * eps
            recz = model.decoder(z)
            nll = F.binary_cross_entropy(recz, xb, reduction="none").sum(dim=(1, 2, 3))
            elbo_sum += float((-(nll + kl_divergence(mean, logvar))).to(torch.float64).sum())
    mse = se / count
    out = {
        "mse": mse,
        "psnr": 10.0 * math.log10(1.0 / mse) if mse > 0 else float("inf"),
        "ssim": float(torch.cat(ssims).mean()),
    }
    if pixels_train01 is not None:
        out["pca_mse"] = pca_baseline_mse(pixels_train01.numpy(), pixels_test01.numpy(), model.spec.latent_dim)
    if model.variational:
        out["elbo"] = elbo_sum / x_test.shape[0]
    out["test_count"] = int(x_test.shape[0])
    return out


@torch.no_grad()
def latent_statistics(model: AutoEncoder, x_train: torch.Tensor, labels: Optional[np.ndarray],
                      class_names: Sequence[str]) -> dict:
    """mean, std, covariance (unbiased), cholesky of covariance + 1e-6·I, class centroids; float64."""
    z = encode_means(model, x_train).to(torch.float64).numpy()
    mean = z.mean(axis=0)
    cov = np.cov(z, rowvar=False).reshape(z.shape[1], z.shape[1]) if z.shape[0] > 1 else np.zeros((z.shape[1],) * 2)
    std = np.sqrt(np.diag(cov))
    chol = np.linalg.cholesky(cov + 1e-6 * np.eye(cov.shape[0]))
    classes = []
    if labels is not None and len(class_names):
        for idx, name in enumerate(class_names):
            sel = labels == idx
            if sel.any():
                classes.append({"label": str(name), "index": idx, "count": int(sel.sum()),
                                "centroid": z[sel].mean(axis=0)})
    return {"mean": mean, "std": std, "covariance": cov, "cholesky": chol, "classes": classes}


# ---------------------------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------------------------

def image_grid(images: torch.Tensor, rows: int, scale: int = 2) -> np.ndarray:
    """[N,C,H,W] in [0,1] -> uint8 grid (H', W') or (H', W', 3), 1-pixel gaps, nearest upscaled."""
    images = images.clamp(0, 1)
    n, c, h, w = images.shape
    cols = math.ceil(n / rows)
    grid = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1, c), 255, dtype=np.uint8)
    arr = np.rint(images.numpy() * 255).astype(np.uint8).transpose(0, 2, 3, 1)
    for i in range(n):
        r, q = divmod(i, cols)
        grid[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + q * (w + 1):1 + q * (w + 1) + w] = arr[i]
    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    return grid[..., 0] if c == 1 else grid


def save_png(path, arr: np.ndarray) -> None:
    from PIL import Image
    Image.fromarray(arr).save(str(path), optimize=False)


@torch.no_grad()
def save_reconstructions(path, model: AutoEncoder, x: torch.Tensor, pixels01: Optional[torch.Tensor] = None) -> None:
    """Two rows: originals on top, reconstructions below (assumes mean=0/std=1 when pixels01 is None)."""
    rec = reconstruct(model, x)
    orig = x if pixels01 is None else pixels01
    save_png(path, image_grid(torch.cat([orig, rec]), rows=2, scale=3))


@torch.no_grad()
def save_samples(path, model: AutoEncoder, stats: dict, count: int = 64, seed: int = 0) -> None:
    """VAE: z ~ N(0, I) (the prior). AE: z ~ N(latent mean, latent covariance) via the Cholesky factor."""
    g = torch.Generator().manual_seed(seed)
    eps = torch.randn((count, model.spec.latent_dim), generator=g, dtype=torch.float64)
    if model.variational:
        z = eps
    else:
        z = torch.from_numpy(stats["mean"]) + eps @ torch.from_numpy(stats["cholesky"]).T
    imgs = model.decoder(z.to(torch.float32))
    save_png(path, image_grid(imgs, rows=int(math.sqrt(count)), scale=2))


def evaluate_checkpoint(checkpoint: str, with_pca: bool = True) -> dict:
    import train as train_mod
    model, cfg, _ = train_mod.load_checkpoint(checkpoint)
    train_mod.setup_torch(cfg.threads, cfg.seed)
    tr, _, te = train_mod.load_splits(cfg)
    spec = cfg.input_spec()
    x_test = train_mod.to_tensor(te.pixels, spec)
    x_train = train_mod.to_tensor(tr.pixels, spec)
    p_test = torch.from_numpy(te.pixels.astype(np.float32) / np.float32(255.0))
    p_train = torch.from_numpy(tr.pixels.astype(np.float32) / np.float32(255.0)) if with_pca else None
    return evaluate_model(model, x_test, x_train, p_test, p_train, seed=cfg.seed)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="checkpoint.pt written by train.py")
    ap.add_argument("--json", default=None, help="also write the metrics to this file (default: none)")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.checkpoint):
        print(f"error: checkpoint not found: {args.checkpoint}", file=sys.stderr)
        return 2
    m = evaluate_checkpoint(args.checkpoint)
    for k, v in m.items():
        print(f"{k:10s} {v}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(m, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
