"""Pictures of a run or model folder: loss curves, reconstruction and sample grids (PNG bytes
depend only on the values: no timestamps or software tags)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from .models import AutoEncoder


def image_grid(images: torch.Tensor, rows: int, scale: int = 2) -> np.ndarray:
    """[N,C,H,W] in [0,1] -> uint8 grid (H', W') or (H', W', 3), 1-pixel gaps, nearest upscaled."""
    images = images.detach().float().cpu().clamp(0, 1)
    n, c, h, w = images.shape
    cols = math.ceil(n / rows)
    grid = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1, c), 255, dtype=np.uint8)
    arr = np.rint(images.numpy() * 255).astype(np.uint8).transpose(0, 2, 3, 1)
    for i in range(n):
        r, q = divmod(i, cols)
        grid[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + q * (w + 1) : 1 + q * (w + 1) + w] = arr[i]
    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    return grid[..., 0] if c == 1 else grid


def save_png(path, arr: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(arr).save(str(path), optimize=False)


@torch.no_grad()
def save_reconstructions(path, model: AutoEncoder, x: torch.Tensor, pixels01: torch.Tensor) -> None:
    """Two rows: originals (pixels01, [0,1]) on top, reconstructions of x (normalized input) below."""
    model.eval()
    rec = model.decoder.pixels(model.encode_mean(x))
    save_png(path, image_grid(torch.cat([pixels01, rec]), rows=2, scale=3))


@torch.no_grad()
def save_samples(path, model: AutoEncoder, stats: dict, count: int = 64, seed: int = 0) -> None:
    """VAE: z ~ N(0, I) (the prior). AE: z ~ N(latent mean, latent covariance) via the Cholesky factor."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    eps = torch.randn((count, model.spec.latent_dim), generator=g, dtype=torch.float64)
    if model.variational:
        z = eps
    else:
        z = torch.from_numpy(np.asarray(stats["mean"])) + eps @ torch.from_numpy(np.asarray(stats["cholesky"])).T
    imgs = model.decoder.pixels(z.to(torch.float32))
    save_png(path, image_grid(imgs, rows=int(math.sqrt(count)), scale=2))


def plot_loss_curve(path: Path, history: dict, name: str, kind: str, beta: float, best_epoch: int = 0) -> None:
    """Loss and MSE per epoch, train and validation; a dotted line marks the kept (best) epoch
    when it is not the last."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = list(range(1, len(history["train_loss"]) + 1))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    axes[0].plot(ep, history["train_loss"], "o-", label="train")
    axes[0].plot(ep, history["val_loss"], "s-", label="validation")
    axes[0].set_title("loss (MSE + latent penalty)" if kind == "ae" else f"loss (Gaussian NLL + {beta:g}·KL, nats)")
    axes[1].plot(ep, history["train_mse"], "o-", label="train")
    axes[1].plot(ep, history["val_mse"], "s-", label="validation")
    axes[1].set_title("reconstruction MSE")
    for a in axes:
        if 0 < best_epoch < len(ep):
            a.axvline(best_epoch, color="gray", linestyle=":", label=f"kept (epoch {best_epoch})")
        a.set_xlabel("epoch")
        a.legend()
        a.grid(alpha=0.3)
    fig.suptitle(name)
    fig.tight_layout()
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)
