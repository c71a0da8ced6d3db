"""Anomaly scores of images under a trained model, their calibration on held-out normal images,
and AUROC. The definitions here are the contract the manifest's `anomaly` block records
(docs/MODEL-FORMAT.md, "anomaly"); .NET computes the same numbers from the ONNX graphs.

Scores (larger = more anomalous), all in [0, 1] pixel space, x the image as p / scale, r the
decoder's output for the encoder's latent (a VAE's mean), both C x H x W:
  mse          mean over C·H·W of (r - x)²
  ssim         1 - SSIM(r, x): mean over channels and valid windows of the Gaussian-window SSIM
               (window size and sigma, K1, K2 in the block; data range 1)
  mahalanobis  ‖L⁻¹(z - μ)‖₂ with μ = latent.mean, L = latent.cholesky (the training latents' Gaussian)
  latent_knn   mean Euclidean distance, in the whitened latent space u = L⁻¹(z - μ), from the image's
               latent to its k nearest reference latents (encoder outputs of up to MAX_REFERENCES
               training images, stored beside the manifest: the block's `latent_knn` entry)
  neg_elbo     VAE only: -ELBO at z = μ(x) in nats: Σ(r - x)² / (2σ²) + D·(log σ + ½·log 2π)
               + KL(N(μ(x), exp(logvar(x))) ‖ N(0, I)), σ the learned likelihood scale, D = C·H·W
  combined     Σ_t (f_t(s_t) - mean_t) / std_t over the block's terms, f_t = log or identity, mean_t
               and std_t (population std) of f_t(s_t) over the calibration images

Calibration: every score's values over held-out normal images, sorted ascending, with their
quantiles. The threshold for a false-positive rate a is the (1 - a) quantile (linear
interpolation between order statistics, numpy's default); an image is anomalous when its score
is greater than the threshold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from . import splits
from .evaluate import eval_copy
from .models import LOG_2PI, AutoEncoder, kl_divergence, ssim

ANOMALY_FORMAT = "aeonnx.anomaly/1"
#: quantile levels stored with every calibrated score (the sorted sample serves any other)
QUANTILE_LEVELS = (0.5, 0.9, 0.95, 0.99, 0.995, 0.999)
TRANSFORMS = ("identity", "log")


class CalibrationError(ValueError):
    """Calibration cannot be done as asked (too few images, unknown score); the message says why."""


@dataclass(frozen=True)
class SsimWindow:
    size: int = 7
    sigma: float = 1.5
    k1: float = 0.01
    k2: float = 0.03

    def to_manifest(self) -> dict:
        return {
            "window": self.size,
            "sigma": float(self.sigma),
            "k1": float(self.k1),
            "k2": float(self.k2),
            "data_range": 1.0,
            "windows": "valid",
        }


@dataclass(frozen=True)
class ScoreRecipe:
    """Which scores are combined and how; the one recipe the benchmark uses for every class."""

    ssim: SsimWindow = field(default_factory=SsimWindow)
    terms: Tuple[Tuple[str, str], ...] = (("mse", "log"), ("mahalanobis", "identity"))
    default: str = "combined"
    #: k of the latent_knn score (stored with the reference latents when a term uses it)
    knn_k: int = 1

    def uses_knn(self) -> bool:
        return self.default == "latent_knn" or any(n == "latent_knn" for n, _ in self.terms)


DEFAULT_RECIPE = ScoreRecipe()


def score_names(variational: bool, knn: bool = False) -> Tuple[str, ...]:
    return (
        ("mse", "ssim", "mahalanobis")
        + (("latent_knn",) if knn else ())
        + (("neg_elbo",) if variational else ())
        + ("combined",)
    )


#: reference latents kept for latent_knn at most (a seeded sample of the training images beyond it)
MAX_REFERENCES = 10000
REFERENCES_FILE = "reference-latents.bin"


@dataclass(frozen=True)
class LatentNeighbours:
    """The latent_knn score's reference latents ([N, D], float32 values as stored) and k."""

    latents: np.ndarray
    k: int = 1

    def __post_init__(self):
        if self.latents.ndim != 2 or len(self.latents) < self.k or self.k < 1:
            raise CalibrationError(f"latent_knn needs at least k = {self.k} reference latents, got {len(self.latents)}")

    def distances(self, z: np.ndarray, mean: np.ndarray, cholesky: np.ndarray, chunk: int = 64) -> np.ndarray:
        """Mean distance from each whitened row of z to its k nearest whitened references (float64;
        squared differences summed directly, as .NET does, not |a|² + |b|² - 2a·b)."""
        ref = whiten(self.latents, mean, cholesky)
        q = whiten(z, mean, cholesky)
        out = []
        for i in range(0, len(q), chunk):
            d2 = ((q[i : i + chunk, None, :] - ref[None, :, :]) ** 2).sum(axis=2)
            near = np.partition(d2, self.k - 1, axis=1)[:, : self.k] if self.k < len(ref) else d2
            out.append(np.sqrt(near).mean(axis=1))
        return np.concatenate(out) if out else np.zeros(0)

    def to_bytes(self) -> bytes:
        return np.ascontiguousarray(self.latents, dtype="<f4").tobytes()

    def manifest_entry(self, file: str = REFERENCES_FILE) -> dict:
        import hashlib

        return {
            "k": self.k,
            "file": file,
            "count": int(self.latents.shape[0]),
            "dim": int(self.latents.shape[1]),
            "dtype": "float32",
            "sha256": hashlib.sha256(self.to_bytes()).hexdigest(),
        }

    @staticmethod
    def read(folder, entry: dict) -> "LatentNeighbours":
        from pathlib import Path

        data = (Path(folder) / entry["file"]).read_bytes()
        n, d = int(entry["count"]), int(entry["dim"])
        if len(data) != n * d * 4:
            raise CalibrationError(f"{entry['file']}: {len(data)} bytes, expected count·dim·4 = {n * d * 4}")
        return LatentNeighbours(np.frombuffer(data, dtype="<f4").reshape(n, d).astype(np.float64), int(entry["k"]))


@torch.no_grad()
def reference_latents(
    model: AutoEncoder, source: splits.Source, k: int = 1, limit: int = MAX_REFERENCES, seed: int = 0, workers: int = 0
) -> LatentNeighbours:
    """The encoder's latents (a VAE's mean) of the images of `source` (the training images), a seeded
    sample of `limit` of them in source order when there are more."""
    m = eval_copy(model)
    zs = []
    for b in splits.batches(source, 500, workers):
        if len(b):
            x, _ = splits.normalize(b.pixels, source.spec, torch.device("cpu"))
            enc = m.encoder(x)
            zs.append((enc[0] if m.variational else enc).numpy())
    z = np.concatenate(zs).astype(np.float32) if zs else np.zeros((0, m.spec.latent_dim), np.float32)
    if len(z) > limit:
        z = z[np.sort(np.random.default_rng(seed).choice(len(z), limit, replace=False))]
    return LatentNeighbours(z.astype(np.float64), k)


# ---------------------------------------------------------------------------------------------
# AUROC
# ---------------------------------------------------------------------------------------------


def midranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given the mean of the ranks they span."""
    v = np.asarray(values, dtype=np.float64)
    order = np.argsort(v, kind="mergesort")
    sv = v[order]
    ranks = np.empty(len(v), dtype=np.float64)
    i = 0
    while i < len(sv):
        j = i
        while j + 1 < len(sv) and sv[j + 1] == sv[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def auroc(scores: Sequence[float], is_anomaly: Sequence[bool]) -> float:
    """Area under the ROC curve of `scores` (larger = more anomalous) against the labels: the
    probability that an anomaly scores above a normal image, ties counting one half (the
    Mann-Whitney U statistic / (n_anomalous · n_normal), from midranks)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(is_anomaly, dtype=bool)
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError(f"scores and labels must be 1-D of one length, got {s.shape} and {y.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite")
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError("AUROC needs both anomalous and normal images")
    r = midranks(s)
    return float((r[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


# ---------------------------------------------------------------------------------------------
# Quantiles and thresholds
# ---------------------------------------------------------------------------------------------


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The q quantile of an ascending sample, linear between order statistics: h = (n - 1)·q,
    v[floor h] + (h - floor h)·(v[floor h + 1] - v[floor h]) (numpy's default, Excel PERCENTILE.INC)."""
    v = np.asarray(sorted_values, dtype=np.float64)
    if v.ndim != 1 or len(v) == 0:
        raise ValueError("quantile of an empty sample")
    if not (0.0 <= q <= 1.0):
        raise ValueError(f"quantile level must be in [0, 1], got {q}")
    h = (len(v) - 1) * q
    lo = int(math.floor(h))
    if lo + 1 >= len(v):
        return float(v[-1])
    return float(v[lo] + (h - lo) * (v[lo + 1] - v[lo]))


def threshold_for_fpr(sorted_values: Sequence[float], fpr: float) -> float:
    """The score above which a share `fpr` of normal images (like the calibration ones) falls."""
    if not (0.0 < fpr < 1.0):
        raise ValueError(f"false-positive rate must be between 0 and 1, got {fpr}")
    return quantile(sorted_values, 1.0 - fpr)


# ---------------------------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------------------------


def ssim_per_image(a: torch.Tensor, b: torch.Tensor, window: SsimWindow) -> torch.Tensor:
    """Per-image SSIM of [N,C,H,W] images in [0,1] (mean over channels and valid windows), float64:
    the training side's SSIM (models.ssim) with the calibrated window. A window larger than the image
    shrinks to the image's smaller side."""
    return ssim(
        a.double(), b.double(), data_range=1.0, size=window.size, sigma=window.sigma, k1=window.k1, k2=window.k2
    )


def whiten(z: np.ndarray, mean: np.ndarray, cholesky: np.ndarray) -> np.ndarray:
    """L⁻¹(z - μ) per row of z [N, D], by forward substitution (float64)."""
    z = np.asarray(z, dtype=np.float64)
    L = np.asarray(cholesky, dtype=np.float64)
    d = (z - np.asarray(mean, dtype=np.float64)).T
    y = np.zeros_like(d)
    for i in range(L.shape[0]):
        y[i] = (d[i] - L[i, :i] @ y[:i]) / L[i, i]
    return y.T


def mahalanobis(z: np.ndarray, mean: np.ndarray, cholesky: np.ndarray) -> np.ndarray:
    """‖L⁻¹(z - μ)‖₂ per row of z [N, D] (float64)."""
    return np.sqrt((whiten(z, mean, cholesky) ** 2).sum(axis=1))


@torch.no_grad()
def raw_scores(
    model: AutoEncoder,
    source: splits.Source,
    latent_mean: np.ndarray,
    latent_cholesky: np.ndarray,
    window: SsimWindow = SsimWindow(),
    batch_size: int = 500,
    workers: int = 0,
    neighbours: Optional[LatentNeighbours] = None,
) -> Dict[str, np.ndarray]:
    """Every score but `combined` for each image of `source` (float64 arrays in source order;
    undecodable files are left out, like everywhere else). The network runs in float32 on CPU,
    as exported; sums are float64."""
    m = eval_copy(model)
    spec = source.spec
    out: Dict[str, List[np.ndarray]] = {
        k: [] for k in score_names(m.variational, neighbours is not None) if k != "combined"
    }
    index: List[np.ndarray] = []
    log_sigma = float(m.clamped_log_sigma()) if m.variational else 0.0
    for b in splits.batches(source, batch_size, workers):
        if not len(b):
            continue
        x, p01 = splits.normalize(b.pixels, spec, torch.device("cpu"))
        enc = m.encoder(x)
        mean, logvar = enc if m.variational else (enc, None)
        rec = m.decoder.pixels(mean)
        se = (rec.double() - p01.double()).pow(2).flatten(1)
        out["mse"].append(se.mean(dim=1).numpy())
        out["ssim"].append((1.0 - ssim_per_image(rec, p01, window)).numpy())
        out["mahalanobis"].append(mahalanobis(mean.double().numpy(), latent_mean, latent_cholesky))
        if neighbours is not None:
            out["latent_knn"].append(neighbours.distances(mean.double().numpy(), latent_mean, latent_cholesky))
        if m.variational:
            d = se.shape[1]
            nll = 0.5 * se.sum(dim=1).numpy() * math.exp(-2 * log_sigma) + d * (log_sigma + 0.5 * LOG_2PI)
            out["neg_elbo"].append(nll + kl_divergence(mean.double(), logvar.double()).numpy())
        index.append(b.index.numpy())
    res = {k: np.concatenate(v) if v else np.zeros(0) for k, v in out.items()}
    res["index"] = np.concatenate(index) if index else np.zeros(0, dtype=np.int64)
    return res


def f32(v) -> float:
    return float(np.float32(v))


def transform(values: np.ndarray, how: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if how == "identity":
        return v
    if how == "log":
        # scores are >= 0; the floor keeps a perfect reconstruction finite
        return np.log(np.maximum(v, 1e-12))
    raise ValueError(f"unknown transform {how!r}; known: {', '.join(TRANSFORMS)}")


def fit_terms(cal: Dict[str, np.ndarray], terms: Sequence[Tuple[str, str]]) -> List[dict]:
    """The combined score's terms with the mean and population std of each transformed score
    over the calibration images."""
    fitted = []
    for name, how in terms:
        if name not in cal:
            raise CalibrationError(
                f"combined score: no score {name!r} for this model (known: {', '.join(sorted(cal))})"
            )
        t = transform(cal[name], how)
        std = float(t.std())
        if not std > 0:
            raise CalibrationError(f"combined score: {name} is constant over the calibration images")
        # rounded to the float32 values the manifest stores, so every reader combines alike
        fitted.append({"score": name, "transform": how, "mean": f32(t.mean()), "std": f32(std)})
    return fitted


def combine(raw: Dict[str, np.ndarray], terms: Sequence[dict]) -> np.ndarray:
    """Σ (f(score) - mean) / std over the fitted terms."""
    total = None
    for t in terms:
        z = (transform(raw[t["score"]], t["transform"]) - t["mean"]) / t["std"]
        total = z if total is None else total + z
    return total


# ---------------------------------------------------------------------------------------------
# Calibration (the manifest's `anomaly` block)
# ---------------------------------------------------------------------------------------------

MIN_CALIBRATION_IMAGES = 20


def calibrate(
    model: AutoEncoder,
    images: splits.Source,
    latent_mean: np.ndarray,
    latent_cholesky: np.ndarray,
    recipe: ScoreRecipe = DEFAULT_RECIPE,
    source: str = "validation split",
    workers: int = 0,
    neighbours: Optional[LatentNeighbours] = None,
) -> dict:
    """The `anomaly` block: score definitions, the combined score's statistics, and each score's
    sorted values and quantiles over `images` (held-out normal images). `neighbours` (needed when
    the recipe uses latent_knn): the reference latents, which the caller writes to the block's
    `latent_knn.file` beside the manifest."""
    if recipe.uses_knn() and neighbours is None:
        raise CalibrationError("the latent_knn score needs the training images' reference latents")
    names = score_names(model.variational, neighbours is not None)
    if recipe.default not in names:
        raise CalibrationError(
            f"score {recipe.default!r} is not defined for a {model.spec.kind} (known: {', '.join(names)})"
        )
    raw = raw_scores(model, images, latent_mean, latent_cholesky, recipe.ssim, workers=workers, neighbours=neighbours)
    n = len(raw["index"])
    if n < MIN_CALIBRATION_IMAGES:
        raise CalibrationError(f"calibration needs at least {MIN_CALIBRATION_IMAGES} normal images, got {n}")
    terms = fit_terms(raw, recipe.terms)
    raw["combined"] = combine(raw, terms)
    scores = {}
    for name in names:
        v = np.sort(raw[name].astype(np.float32)).astype(np.float64)  # as stored
        scores[name] = {
            "mean": f32(v.mean()),
            "std": f32(v.std()),
            "quantiles": {"levels": list(QUANTILE_LEVELS), "values": [quantile(v, q) for q in QUANTILE_LEVELS]},
            "sorted": v,
        }
    block = {
        "format": ANOMALY_FORMAT,
        "score": recipe.default,
        "ssim": recipe.ssim.to_manifest(),
        "combined": {"terms": terms},
        "calibration": {"images": n, "source": source, "quantile": "linear"},
        "scores": scores,
    }
    if neighbours is not None:
        block["latent_knn"] = neighbours.manifest_entry()
    if model.variational:
        block["likelihood_sigma"] = float(model.clamped_log_sigma().exp())
    return block


def block_scores(block: dict, raw: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """raw scores + the block's combined score."""
    out = dict(raw)
    out["combined"] = combine(raw, block["combined"]["terms"])
    return out


def false_positive_rate(scores: np.ndarray, threshold: float) -> float:
    s = np.asarray(scores, dtype=np.float64)
    return float((s > threshold).mean())
