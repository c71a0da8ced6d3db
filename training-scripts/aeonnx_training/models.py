"""Convolutional autoencoder (AE) and variational autoencoder (VAE) for C x H x W images.

Two stride-2 stages (H, W multiples of 4, 8..256), each a 4x4 stride-2 convolution followed
by a 3x3 convolution, then a linear layer to the latent. The decoder mirrors it and ends in a
sigmoid, so its output is an image in [0, 1] pixel space. Only ops that export to plain
ONNX (Conv, Relu, Gemm, Flatten, Reshape, Resize nearest, Sigmoid) are used.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

MIN_SIZE, MAX_SIZE = 8, 256


class ModelConfigError(ValueError):
    """An unsupported model shape or setting; the message says what is allowed."""


@dataclass(frozen=True)
class ModelSpec:
    kind: str = "ae"                 # "ae" | "vae"
    channels: int = 1
    height: int = 28
    width: int = 28
    latent_dim: int = 16
    widths: Tuple[int, int] = (32, 64)
    beta: float = 1.0

    def validate(self) -> "ModelSpec":
        if self.kind not in ("ae", "vae"):
            raise ModelConfigError(f"model kind must be 'ae' or 'vae', got {self.kind!r}")
        if self.channels not in (1, 3):
            raise ModelConfigError(f"channels must be 1 (gray) or 3 (rgb), got {self.channels}")
        for name, v in (("height", self.height), ("width", self.width)):
            if not (MIN_SIZE <= v <= MAX_SIZE) or v % 4 != 0:
                raise ModelConfigError(
                    f"image {name} {v} is not supported: height and width must be multiples of 4 "
                    f"between {MIN_SIZE} and {MAX_SIZE} (the model downsamples twice by 2), "
                    f"got {self.height}x{self.width}")
        if self.latent_dim < 1:
            raise ModelConfigError(f"latent dimension must be at least 1, got {self.latent_dim}")
        if len(self.widths) != 2 or any(int(w) < 1 for w in self.widths):
            raise ModelConfigError(f"widths must be two positive channel counts, got {list(self.widths)}")
        if self.beta < 0:
            raise ModelConfigError(f"beta must be >= 0, got {self.beta}")
        return self


class Encoder(nn.Module):
    """image [N,C,H,W] -> features -> latent (AE) or (mean, logvar) (VAE)."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        w1, w2 = spec.widths
        self.features = nn.Sequential(
            nn.Conv2d(spec.channels, w1, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(w1, w1, 3, padding=1), nn.ReLU(),
            nn.Conv2d(w1, w2, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(w2, w2, 3, padding=1), nn.ReLU(),
        )
        flat = w2 * (spec.height // 4) * (spec.width // 4)
        self.variational = spec.kind == "vae"
        self.mean = nn.Linear(flat, spec.latent_dim)
        self.logvar = nn.Linear(flat, spec.latent_dim) if self.variational else None

    def forward(self, x: torch.Tensor):
        h = torch.flatten(self.features(x), 1)
        if self.logvar is None:
            return self.mean(h)
        return self.mean(h), self.logvar(h)


class Decoder(nn.Module):
    """latent [N,D] -> image [N,C,H,W] in [0,1] (sigmoid)."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        w1, w2 = spec.widths
        self.shape = (w2, spec.height // 4, spec.width // 4)
        self.project = nn.Linear(spec.latent_dim, w2 * self.shape[1] * self.shape[2])
        self.body = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(w2, w2, 3, padding=1), nn.ReLU(),
            # nearest upsampling + conv instead of ConvTranspose2d: same shapes, no checkerboard,
            # and several times faster on CPU (ConvTranspose2d has no fast deterministic kernel)
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(w2, w1, 3, padding=1), nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(w1, spec.channels, 3, padding=1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # reshape with -1 keeps the batch axis dynamic without Shape/Gather ops in the graph
        h = self.project(z).reshape(-1, *self.shape)
        return torch.sigmoid(self.body(h))


class AutoEncoder(nn.Module):
    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.spec = spec.validate()
        self.encoder = Encoder(spec)
        self.decoder = Decoder(spec)

    @property
    def variational(self) -> bool:
        return self.spec.kind == "vae"

    def encode_mean(self, x: torch.Tensor) -> torch.Tensor:
        """The latent of an image: AE latent or VAE mean (never a sample)."""
        out = self.encoder(x)
        return out[0] if self.variational else out

    def forward(self, x: torch.Tensor, generator: Optional[torch.Generator] = None):
        """Training forward: (reconstruction, mean, logvar); VAE samples z with `generator`."""
        if not self.variational:
            z = self.encoder(x)
            return self.decoder(z), z, None
        mean, logvar = self.encoder(x)
        if self.training or generator is not None:
            eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
            z = mean + torch.exp(0.5 * logvar) * eps
        else:
            z = mean
        return self.decoder(z), mean, logvar

    def loss(self, x: torch.Tensor, generator: Optional[torch.Generator] = None):
        """(loss to minimise, reconstruction MSE mean). AE: MSE. VAE: per-image Bernoulli
        negative log-likelihood (summed BCE) + beta * KL, averaged over the batch."""
        recon, mean, logvar = self(x, generator)
        mse = F.mse_loss(recon, x)
        if not self.variational:
            return mse, mse
        n = x.shape[0]
        nll = F.binary_cross_entropy(recon, x, reduction="sum") / n
        kl = kl_divergence(mean, logvar).sum() / n
        return nll + self.spec.beta * kl, mse


def kl_divergence(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Per-image KL(q(z|x) || N(0, I)) in nats, shape [N]."""
    return -0.5 * torch.sum(1 + logvar - mean.pow(2) - logvar.exp(), dim=1)


def build_model(kind: str, channels: int, height: int, width: int, latent_dim: int,
                widths: Sequence[int] = (32, 64), beta: float = 1.0) -> AutoEncoder:
    spec = ModelSpec(kind, int(channels), int(height), int(width), int(latent_dim),
                     tuple(int(w) for w in widths), float(beta))
    return AutoEncoder(spec)
