"""Convolutional autoencoder (AE) and variational autoencoder (VAE) for C x H x W images.

Depth follows the image size: one stride-2 stage per halving until the larger side is at most
8 (28 -> 14 -> 7, 32 -> 16 -> 8, 256 -> ... -> 8), at least one stage; a linear layer maps the
last feature map to the latent and back. Three architectures (`arch`):

  plain  encoder stage: 4x4 stride-2 conv + 3x3 conv (ReLU); decoder: a 3x3 conv at the smallest
         size, then per stage nearest 2x upsampling + a 3x3 conv. The first architecture, kept as
         it was for the models trained with it (a config without `arch` means plain).
  bn     the same layers with BatchNorm after every convolution but the last: the default for new
         runs. Normalization makes the deeper nets of colour images trainable (plain stayed at one
         grey image for epochs on 64x64 photos), and batch statistics, unlike per-image ones, keep
         each image's overall colour and contrast in the features: what a 32-number code of a
         photo needs most. In eval mode each BatchNorm is a fixed affine map that the ONNX
         exporter folds into its convolution, so the graphs hold the same ops as plain.
  gn     the same with GroupNorm (groups of up to 8 channels). Measured worse (docs/TRAINING.md):
         per-image normalization removes the global colour and contrast that the code must carry,
         and training sat at the mean image much longer. Kept to reproduce that comparison.

decoder_widths (any arch): the decoder's channels per stage when they differ from the encoder's.
On 64x64 colour emoji a decoder twice as wide as its encoder reconstructs better than doubling
both (0.724x against 0.730x PCA-32 after 12 epochs, with 65 % of the weights): the encoder only
has to find 32 numbers, the decoder has to paint every pixel from them.

pca_residual (any arch): the training split's PCA at the latent size is built in (set once before
training, saved in the checkpoint, not trained). The encoder's latent is the whitened PCA projection
of the image plus the convolutional encoder's output, the decoder's image is the PCA reconstruction
plus the convolutional decoder's output, clipped to [0, 1]; both convolutional paths start at zero.
So training starts at exactly PCA's error and its latents (unit variance per component, what a
VAE's prior expects), and only has to learn what PCA misses: on a few thousand colour photos a
plain convolutional autoencoder only matched PCA (docs/TRAINING.md). The PCA paths export as Gemm,
Add and Clip.

The others end in a sigmoid, so `pixels()` is an image in [0, 1] pixel space; `forward()` maps that
into the model's normalized input space ((p - mean) / std), which is what the exported decoder
graph outputs.

Only ops that export to plain ONNX at opset 17 are used: Conv, Relu, Gemm, Flatten, Reshape,
Resize nearest, Sigmoid, Sub/Div when the normalization is not the identity (BatchNorm folds into
Conv), and for GroupNorm what the exporter writes for it (Shape, Reshape, InstanceNormalization,
Mul, Add).

Losses (all per image, averaged over the batch, in [0, 1] pixel space whatever the normalization):
  AE   mean squared error + ssim_weight * (1 - SSIM) + latent_penalty * mean(z^2) (the penalty
       keeps the latent scale modest, so float32 error in the .NET runtime stays small relative
       to the latents; the SSIM term keeps edges and local contrast that MSE alone blurs)
  VAE  negative ELBO with a Gaussian likelihood p(x|z) = N(decoder(z), sigma^2 I) over continuous
       pixels, sigma a learned scalar (a "calibrated decoder"), KL to N(0, I) weighted by beta.
       With beta = 1 the loss is exactly -ELBO in nats, so the reported ELBO is a real bound on
       log p(x) for the density of [0,1]-scaled pixels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

ARCHS = ("plain", "gn", "bn")
UPSAMPLING = ("nearest", "bilinear")
MIN_SIZE, MAX_SIZE = 8, 256
#: feature maps stop shrinking once the larger side is at most this
FINAL_MAX_SIDE = 8
MIN_LOG_SIGMA = math.log(1e-3)
LOG_2PI = math.log(2 * math.pi)


class ModelConfigError(ValueError):
    """An unsupported model shape or setting; the message says what is allowed."""


def stage_count(height: int, width: int) -> int:
    """Stride-2 stages until the larger side is <= FINAL_MAX_SIDE (at least one)."""
    k = 1
    while max(height, width) / (2**k) > FINAL_MAX_SIDE:
        k += 1
    return k


def per_stage(widths: Sequence[int], stages: int) -> List[int]:
    """`stages` widths: the first given ones, extended by doubling the last (capped at 512)."""
    ws = [int(w) for w in widths][:stages]
    while len(ws) < stages:
        ws.append(min(512, ws[-1] * 2))
    return ws


@dataclass(frozen=True)
class ModelSpec:
    kind: str = "ae"  # "ae" | "vae"
    channels: int = 1
    height: int = 28
    width: int = 28
    latent_dim: int = 16
    widths: Tuple[int, ...] = (32, 64)
    beta: float = 1.0
    latent_penalty: float = 0.0  # AE only
    mean: Tuple[float, ...] = ()  # input normalization, one value per channel (default 0)
    std: Tuple[float, ...] = ()  # (default 1)
    arch: str = "plain"  # "plain" | "bn" | "gn" (module doc)
    ssim_weight: float = 0.0  # AE only: weight of (1 - SSIM) in the loss
    upsample: str = "nearest"  # the decoder's 2x upsampling: "nearest" | "bilinear"
    pca_residual: bool = False  # latent = whitened PCA projection + learned correction (module doc)
    decoder_widths: Tuple[int, ...] = ()  # the decoder's channels per stage (default: the encoder's widths)

    @property
    def stages(self) -> int:
        return stage_count(self.height, self.width)

    def stage_widths(self) -> List[int]:
        """One width per stage: the first given ones (a small image uses fewer stages, so the
        default 32,64 fits every size), extended by doubling the last (capped at 512)."""
        return per_stage(self.widths, self.stages)

    def decoder_stage_widths(self) -> List[int]:
        """The decoder's width per stage, by the same rule from decoder_widths when given: a decoder
        wider than its encoder is where colour images gain most (docs/TRAINING.md)."""
        return per_stage(self.decoder_widths or self.widths, self.stages)

    def norm(self) -> Tuple[Tuple[float, ...], Tuple[float, ...]]:
        mean = tuple(self.mean) or (0.0,) * self.channels
        std = tuple(self.std) or (1.0,) * self.channels
        return mean, std

    def validate(self) -> "ModelSpec":
        if self.kind not in ("ae", "vae"):
            raise ModelConfigError(f"model kind must be 'ae' or 'vae', got {self.kind!r}")
        if self.arch not in ARCHS:
            raise ModelConfigError(f"architecture must be one of {', '.join(ARCHS)}, got {self.arch!r}")
        if self.upsample not in UPSAMPLING:
            raise ModelConfigError(f"upsampling must be one of {', '.join(UPSAMPLING)}, got {self.upsample!r}")
        if self.ssim_weight < 0:
            raise ModelConfigError(f"SSIM weight must be >= 0, got {self.ssim_weight}")
        if self.channels not in (1, 3):
            raise ModelConfigError(f"channels must be 1 (gray) or 3 (rgb), got {self.channels}")
        for name, v in (("height", self.height), ("width", self.width)):
            if not (MIN_SIZE <= v <= MAX_SIZE):
                raise ModelConfigError(
                    f"image {name} {v} is not supported: height and width must be between {MIN_SIZE} "
                    f"and {MAX_SIZE}, got {self.height}x{self.width}"
                )
        k = self.stages
        f = 2**k
        if self.height % f or self.width % f:
            raise ModelConfigError(
                f"image size {self.height}x{self.width} is not supported: the model halves it {k} times "
                f"(until the larger side is at most {FINAL_MAX_SIDE}), so height and width must be "
                f"multiples of {f}"
            )
        if min(self.height, self.width) // f < 2:
            raise ModelConfigError(
                f"image size {self.height}x{self.width} is too elongated: after {k} halvings the "
                f"smaller side would be {min(self.height, self.width) // f}"
            )
        if self.latent_dim < 1:
            raise ModelConfigError(f"latent dimension must be at least 1, got {self.latent_dim}")
        if not self.widths or any(int(w) < 1 for w in self.widths):
            raise ModelConfigError(f"widths must be positive channel counts, got {list(self.widths)}")
        if any(int(w) < 1 for w in self.decoder_widths):
            raise ModelConfigError(f"decoder widths must be positive channel counts, got {list(self.decoder_widths)}")
        if self.beta < 0:
            raise ModelConfigError(f"beta must be >= 0, got {self.beta}")
        if self.latent_penalty < 0:
            raise ModelConfigError(f"latent penalty must be >= 0, got {self.latent_penalty}")
        mean, std = self.norm()
        if len(mean) != self.channels or len(std) != self.channels or any(s <= 0 for s in std):
            raise ModelConfigError("mean and std need one value per channel, std > 0")
        return self


def group_count(width: int, most: int = 8) -> int:
    """GroupNorm groups for a width: the largest divisor of it that is at most `most`."""
    return max(g for g in range(1, min(most, width) + 1) if width % g == 0)


def _conv_act(c_in: int, c_out: int, k: int, stride: int, pad: int, norm: str) -> List[nn.Module]:
    conv = [nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad)]
    if norm == "gn":
        conv.append(nn.GroupNorm(group_count(c_out), c_out))
    elif norm == "bn":
        conv.append(nn.BatchNorm2d(c_out))
    return conv + [nn.ReLU()]


class Encoder(nn.Module):
    """image [N,C,H,W] (normalized) -> latent (AE) or (mean, logvar) (VAE)."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.pca_residual = spec.pca_residual
        layers: List[nn.Module] = []
        c_in = spec.channels
        norm = spec.arch
        for w in spec.stage_widths():
            layers += _conv_act(c_in, w, 4, 2, 1, norm) + _conv_act(w, w, 3, 1, 1, norm)
            c_in = w
        self.features = nn.Sequential(*layers)
        f = 2**spec.stages
        flat = c_in * (spec.height // f) * (spec.width // f)
        self.variational = spec.kind == "vae"
        self.mean = nn.Linear(flat, spec.latent_dim)
        self.logvar = nn.Linear(flat, spec.latent_dim) if self.variational else None
        if self.pca_residual:
            d = spec.channels * spec.height * spec.width
            # the whitened PCA projection of the normalized image (set by AutoEncoder.init_pca, saved
            # in the checkpoint, not trained); the convolutional path starts at zero and learns a correction
            self.register_buffer("pca_weight", torch.zeros(spec.latent_dim, d))
            self.register_buffer("pca_bias", torch.zeros(spec.latent_dim))
            nn.init.zeros_(self.mean.weight)
            nn.init.zeros_(self.mean.bias)
            if self.logvar is not None:
                # a VAE starts as a near-deterministic PCA (posterior sd 0.14 of the prior's) and learns its noise
                nn.init.zeros_(self.logvar.weight)
                nn.init.constant_(self.logvar.bias, -4.0)

    def forward(self, x: torch.Tensor):
        h = torch.flatten(self.features(x), 1)
        mean = self.mean(h)
        if self.pca_residual:
            mean = mean + F.linear(torch.flatten(x, 1), self.pca_weight, self.pca_bias)
        if self.logvar is None:
            return mean
        return mean, self.logvar(h)


class Decoder(nn.Module):
    """latent [N,D] -> image [N,C,H,W]: `pixels` in [0,1] (sigmoid), `forward` normalized."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        ws = spec.decoder_stage_widths()
        f = 2**spec.stages
        self.shape = (ws[-1], spec.height // f, spec.width // f)
        self.out_shape = (spec.channels, spec.height, spec.width)
        self.project = nn.Linear(spec.latent_dim, ws[-1] * self.shape[1] * self.shape[2])
        self.body = self._body(spec, ws, spec.arch)
        self.pca_residual = spec.pca_residual
        if self.pca_residual:
            d = spec.channels * spec.height * spec.width
            # pixels = clip(PCA reconstruction + convolutional residual, 0, 1); the residual starts at zero
            self.register_buffer("pca_weight", torch.zeros(d, spec.latent_dim))
            self.register_buffer("pca_bias", torch.zeros(d))
            nn.init.zeros_(self.body[-1].weight)
            nn.init.zeros_(self.body[-1].bias)
        mean, std = spec.norm()
        self.identity_norm = all(m == 0.0 for m in mean) and all(s == 1.0 for s in std)
        # not persistent: they follow from the config, and checkpoints stay loadable across versions
        self.register_buffer(
            "norm_mean", torch.tensor(mean, dtype=torch.float32).reshape(1, -1, 1, 1), persistent=False
        )
        self.register_buffer("norm_std", torch.tensor(std, dtype=torch.float32).reshape(1, -1, 1, 1), persistent=False)

    @staticmethod
    def _body(spec: ModelSpec, ws: List[int], normed: str) -> nn.Sequential:
        # plain: exactly the first architecture's layers (its checkpoints load by these indices)
        layers: List[nn.Module] = [nn.ReLU()] + _conv_act(ws[-1], ws[-1], 3, 1, 1, normed)
        for i in range(len(ws) - 1, -1, -1):
            # nearest upsampling + conv instead of ConvTranspose2d: same shapes, no checkerboard,
            # and several times faster on CPU (ConvTranspose2d has no fast deterministic kernel)
            layers.append(
                nn.Upsample(scale_factor=2, mode="nearest")
                if spec.upsample == "nearest"
                else nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
            )
            if i > 0:
                layers += _conv_act(ws[i], ws[i - 1], 3, 1, 1, normed)
            else:
                layers.append(nn.Conv2d(ws[0], spec.channels, 3, padding=1))
        return nn.Sequential(*layers)

    def pixels(self, z: torch.Tensor) -> torch.Tensor:
        # reshape with -1 keeps the batch axis dynamic without Shape/Gather ops in the graph
        h = self.project(z).reshape(-1, *self.shape)
        if self.pca_residual:
            base = F.linear(z, self.pca_weight, self.pca_bias).reshape(-1, *self.out_shape)
            return torch.clamp(base + self.body(h), 0.0, 1.0)
        return torch.sigmoid(self.body(h))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        p = self.pixels(z)
        if self.identity_norm:
            return p
        return (p - self.norm_mean) / self.norm_std


class AutoEncoder(nn.Module):
    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.spec = spec.validate()
        self.encoder = Encoder(spec)
        self.decoder = Decoder(spec)
        # VAE likelihood scale (log sigma of the Gaussian over [0,1] pixels); not part of either graph
        self.log_sigma = nn.Parameter(torch.full((), math.log(0.1))) if spec.kind == "vae" else None

    @property
    def variational(self) -> bool:
        return self.spec.kind == "vae"

    @torch.no_grad()
    def init_pca(self, mean: torch.Tensor, basis: torch.Tensor, scales: torch.Tensor) -> None:
        """Set the PCA path of a pca_residual model from a PCA of the training images in [0,1]
        pixels: mean [d], orthonormal basis [d, k'] (k' <= latent_dim; missing components stay
        zero), scales [k'] (the standard deviation of each coordinate). The latent is whitened
        (unit variance per component, as a VAE's prior expects); the encoder's rows take the
        normalized input back to pixels, so any mean/std normalization folds into them."""
        assert self.spec.pca_residual, "init_pca needs a pca_residual model"
        k = basis.shape[1]
        s = scales.to(torch.float64).clamp(min=1e-6)
        b = basis.to(torch.float64)
        c, h, w = self.decoder.out_shape
        nm, ns = (torch.tensor(v, dtype=torch.float64) for v in self.spec.norm())
        # pixel p = x * std + mean per channel, flattened C-major like the basis
        ch_std = ns.repeat_interleave(h * w)
        ch_mean = nm.repeat_interleave(h * w)
        enc_w = (b / s).T * ch_std  # [k', d]: whitened projection of x
        enc_b = (b / s).T @ (ch_mean - mean.to(torch.float64))  # [k']
        e, d_ = self.encoder, self.decoder
        e.pca_weight.zero_()
        e.pca_bias.zero_()
        d_.pca_weight.zero_()
        e.pca_weight[:k] = enc_w.to(e.pca_weight.dtype)
        e.pca_bias[:k] = enc_b.to(e.pca_bias.dtype)
        d_.pca_weight[:, :k] = (b * s).to(d_.pca_weight.dtype)
        d_.pca_bias.copy_(mean.to(d_.pca_bias.dtype))

    def encode_mean(self, x: torch.Tensor) -> torch.Tensor:
        """The latent of an image: AE latent or VAE mean (never a sample)."""
        out = self.encoder(x)
        return out[0] if self.variational else out

    def sigma(self) -> float:
        return float(self.clamped_log_sigma().exp()) if self.log_sigma is not None else float("nan")

    def clamped_log_sigma(self) -> torch.Tensor:
        assert self.log_sigma is not None
        return self.log_sigma.clamp(min=MIN_LOG_SIGMA)

    def forward(self, x: torch.Tensor, generator: Optional[torch.Generator] = None):
        """Training forward on normalized x: (reconstruction in [0,1] pixels, mean, logvar).
        The VAE samples z with `generator` (a CPU generator, so CPU and CUDA draw the same noise)."""
        if not self.variational:
            z = self.encoder(x)
            return self.decoder.pixels(z), z, None
        mean, logvar = self.encoder(x)
        if self.training or generator is not None:
            eps = torch.randn(mean.shape, generator=generator, dtype=torch.float32).to(mean.device, mean.dtype)
            z = mean + torch.exp(0.5 * logvar) * eps
        else:
            z = mean
        return self.decoder.pixels(z), mean, logvar

    def loss(self, x: torch.Tensor, target01: torch.Tensor, generator: Optional[torch.Generator] = None):
        """(loss to minimise, reconstruction MSE in [0,1] pixels); x is the normalized input,
        target01 the same images in [0,1]."""
        recon, mean, logvar = self(x, generator)
        return loss_terms(self, recon, target01, mean, logvar)


def loss_terms(
    model: AutoEncoder, recon: torch.Tensor, target01: torch.Tensor, mean: torch.Tensor, logvar: Optional[torch.Tensor]
):
    """(loss, mse) for a forward pass computed elsewhere (e.g. through DistributedDataParallel)."""
    recon = recon.float()
    mse = F.mse_loss(recon, target01)
    if not model.variational:
        loss = mse
        if model.spec.ssim_weight > 0:
            loss = loss + model.spec.ssim_weight * (1 - ssim(recon, target01).mean())
        if model.spec.latent_penalty > 0:
            loss = loss + model.spec.latent_penalty * mean.float().pow(2).mean()
        return loss, mse
    nll = gaussian_nll(recon, target01, model.clamped_log_sigma()).mean()
    kl = kl_divergence(mean.float(), logvar.float()).mean()
    return nll + model.spec.beta * kl, mse


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(r**2) / (2 * sigma**2))
    g = g / g.sum()
    return torch.outer(g, g)


def ssim(
    a: torch.Tensor,
    b: torch.Tensor,
    data_range: float = 1.0,
    size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> torch.Tensor:
    """Per-image SSIM of [N,C,H,W] tensors (Wang et al. 2004: Gaussian window, mean over channels
    and valid windows), in a's dtype (float64 for metrics, float32 as a training loss). Images
    smaller than the window use a window of their size."""
    b = b.to(a.dtype)
    n, c, h, w = a.shape
    size = min(size, h, w)
    win = gaussian_window(size, sigma).to(device=a.device, dtype=a.dtype).expand(c, 1, size, size).contiguous()
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2

    def filt(x):
        return F.conv2d(x, win, groups=c)

    mu_a, mu_b = filt(a), filt(b)
    saa = filt(a * a) - mu_a**2
    sbb = filt(b * b) - mu_b**2
    sab = filt(a * b) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (saa + sbb + c2))
    return m.mean(dim=(1, 2, 3))


def gaussian_nll(recon: torch.Tensor, target01: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """Per-image -log N(target | recon, sigma^2 I) in nats, summed over pixels, shape [N]."""
    d = recon[0].numel()
    se = (recon - target01).pow(2).flatten(1).sum(dim=1)
    return 0.5 * se * torch.exp(-2 * log_sigma) + d * (log_sigma + 0.5 * LOG_2PI)


def kl_divergence(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Per-image KL(q(z|x) || N(0, I)) in nats, shape [N]."""
    return -0.5 * torch.sum(1 + logvar - mean.pow(2) - logvar.exp(), dim=1)


def build_model(
    kind: str,
    channels: int,
    height: int,
    width: int,
    latent_dim: int,
    widths: Sequence[int] = (32, 64),
    beta: float = 1.0,
    arch: str = "plain",
) -> AutoEncoder:
    spec = ModelSpec(
        kind,
        int(channels),
        int(height),
        int(width),
        int(latent_dim),
        tuple(int(w) for w in widths),
        float(beta),
        arch=arch,
    )
    return AutoEncoder(spec)
