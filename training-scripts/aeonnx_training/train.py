"""Train a convolutional AE or VAE on Fashion-MNIST or a folder of images.

Writes into --out: checkpoint.pt (weights + config + versions; bit-identical for the same
config, seed, threads and torch version), train_metrics.json (wall time, losses),
loss_curve.png and reconstructions.png.

  train.py --dataset fashion-mnist --model ae --latent-dim 16 --epochs 12 --out runs/ae
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Idle OpenMP workers sleep instead of spinning (shared machines); timing only, not results.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import data as data_mod  # noqa: E402
from data import DatasetError, InputSpec  # noqa: E402
from models import AutoEncoder, ModelConfigError, ModelSpec  # noqa: E402

CHECKPOINT_FORMAT = "aeonnx.checkpoint/1"


class UsageError(Exception):
    """Bad arguments; printed as `error: ...` with exit code 2."""


@dataclass
class TrainConfig:
    dataset: str = "fashion-mnist"
    data_dir: str = data_mod.DEFAULT_DATA_DIR
    model: str = "ae"
    latent_dim: int = 16
    epochs: int = 10
    batch_size: int = 128
    lr: float = 2e-3
    lr_schedule: str = "cosine"
    beta: float = 1.0
    widths: Tuple[int, int] = (32, 64)
    image_size: Tuple[int, int] = (28, 28)
    channels: int = 1
    seed: int = 1
    threads: int = 2
    limit: int = 0
    val_fraction: float = 0.1
    name: str = ""
    out: str = ""  # where the run goes; not saved in the checkpoint (bytes must not depend on it)

    def input_spec(self) -> InputSpec:
        return InputSpec(self.channels, self.image_size[0], self.image_size[1])

    def model_spec(self) -> ModelSpec:
        return ModelSpec(self.model, self.channels, self.image_size[0], self.image_size[1],
                         self.latent_dim, tuple(self.widths), self.beta)

    def to_saved(self) -> dict:
        """Plain data (lists, not tuples) for the checkpoint and the manifest, `out` left out."""
        d = asdict(self)
        d.pop("out")
        d["widths"] = [int(w) for w in self.widths]
        d["image_size"] = [int(v) for v in self.image_size]
        return d

    @classmethod
    def from_saved(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        kw["widths"] = tuple(kw.get("widths", (32, 64)))
        kw["image_size"] = tuple(kw.get("image_size", (28, 28)))
        return cls(**kw)

    def validate(self) -> "TrainConfig":
        if self.epochs < 1:
            raise UsageError(f"--epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise UsageError(f"--batch-size must be >= 1, got {self.batch_size}")
        if not (self.lr > 0):
            raise UsageError(f"--lr must be > 0, got {self.lr}")
        if self.threads < 1:
            raise UsageError(f"--threads must be >= 1, got {self.threads}")
        if self.limit < 0:
            raise UsageError(f"--limit must be >= 0 (0 = all), got {self.limit}")
        if not (0.0 < self.val_fraction < 1.0):
            raise UsageError(f"--val-fraction must be between 0 and 1, got {self.val_fraction}")
        if self.lr_schedule not in ("cosine", "none"):
            raise UsageError(f"--lr-schedule must be cosine or none, got {self.lr_schedule}")
        try:
            self.model_spec().validate()
        except ModelConfigError as e:
            raise UsageError(str(e)) from None
        if self.dataset != "fashion-mnist" and not Path(self.dataset).is_dir():
            raise UsageError(f"--dataset: not 'fashion-mnist' and not a folder: {self.dataset}")
        return self


def parse_size(text: str) -> Tuple[int, int]:
    try:
        h, w = text.lower().split("x")
        return int(h), int(w)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW such as 28x28, got {text!r}") from None


def parse_widths(text: str) -> Tuple[int, int]:
    try:
        ws = tuple(int(v) for v in text.replace(",", " ").split())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two integers such as 32,64, got {text!r}") from None
    if len(ws) != 2:
        raise argparse.ArgumentTypeError(f"expected two integers such as 32,64, got {text!r}")
    return ws  # type: ignore[return-value]


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows every default and keeps the description's line breaks."""


AUTO_NAME, AUTO_OUT = "<dataset>-<model>", "runs/<name>"


def build_parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=_HelpFormatter)
    ap.add_argument("--dataset", default=d.dataset, help="fashion-mnist or PATH to an image folder")
    ap.add_argument("--data-dir", default=d.data_dir, help="folder with the Fashion-MNIST idx(.gz) files")
    ap.add_argument("--model", choices=("ae", "vae"), default=d.model, help="model kind")
    ap.add_argument("--latent-dim", type=int, default=d.latent_dim, help="latent size")
    ap.add_argument("--epochs", type=int, default=d.epochs, help="training epochs")
    ap.add_argument("--batch-size", type=int, default=d.batch_size, help="batch size")
    ap.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    ap.add_argument("--lr-schedule", choices=("cosine", "none"), default=d.lr_schedule,
                    help="cosine: decay to 5%% of --lr over the run")
    ap.add_argument("--beta", type=float, default=d.beta, help="VAE KL weight")
    ap.add_argument("--widths", type=parse_widths, default="32,64", help="channels of the two stages, e.g. 32,64")
    ap.add_argument("--image-size", type=parse_size, default="28x28", help="model image size HxW")
    ap.add_argument("--channels", type=int, default=d.channels, help="1 (gray) or 3 (rgb)")
    ap.add_argument("--seed", type=int, default=d.seed, help="seed for init, shuffling, splits and VAE noise")
    ap.add_argument("--threads", type=int, default=d.threads, help="torch CPU threads (part of reproducibility)")
    ap.add_argument("--limit", type=int, default=d.limit, help="use at most N training and N test images (0 = all)")
    ap.add_argument("--val-fraction", type=float, default=d.val_fraction, help="share of training images held out for validation")
    ap.add_argument("--name", default=AUTO_NAME, help="model name")
    ap.add_argument("--out", default=AUTO_OUT, help="run folder")
    return ap


def config_from_args(argv: Optional[Sequence[str]] = None) -> TrainConfig:
    a = build_parser().parse_args(argv)
    cfg = TrainConfig(
        dataset=a.dataset, data_dir=a.data_dir, model=a.model, latent_dim=a.latent_dim,
        epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, lr_schedule=a.lr_schedule, beta=a.beta,
        widths=tuple(a.widths), image_size=tuple(a.image_size), channels=a.channels, seed=a.seed,
        threads=a.threads, limit=a.limit, val_fraction=a.val_fraction,
        name="" if a.name == AUTO_NAME else a.name, out="" if a.out == AUTO_OUT else a.out)
    if not cfg.name:
        base = "fashion-mnist" if cfg.dataset == "fashion-mnist" else Path(cfg.dataset).resolve().name
        cfg.name = f"{base}-{cfg.model}"
    if not cfg.out:
        cfg.out = str(Path("runs") / cfg.name)
    return cfg


def setup_torch(threads: int, seed: int) -> None:
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)


def versions() -> dict:
    import onnx  # noqa: F401  (recorded so the export is attributable)
    return {"torch": torch.__version__, "numpy": np.__version__, "onnx": onnx.__version__,
            "python": platform.python_version()}


def load_splits(cfg: TrainConfig):
    """(train, val, test) ImageSets as the config defines them (deterministic)."""
    splits = data_mod.load_dataset(cfg.dataset, cfg.input_spec(), cfg.data_dir,
                                   test_fraction=cfg.val_fraction, seed=cfg.seed)
    train, test = splits.train, splits.test
    rng = np.random.default_rng(cfg.seed)
    if cfg.limit:
        if len(train) > cfg.limit:
            train = train.subset(np.sort(rng.permutation(len(train))[:cfg.limit]))
        if len(test) > cfg.limit:
            test = test.subset(np.arange(cfg.limit))
    train, val = data_mod.split_holdout(train, cfg.val_fraction, cfg.seed)
    return train, val, test


def to_tensor(pixels: np.ndarray, spec: InputSpec) -> torch.Tensor:
    return torch.from_numpy(data_mod.normalize_pixels(pixels, spec))


@torch.no_grad()
def mean_loss(model: AutoEncoder, x: torch.Tensor, batch_size: int, seed: int) -> Tuple[float, float]:
    """Mean (loss, MSE) over x, with a fixed-seed generator for the VAE noise."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    tot, tot_mse, n = 0.0, 0.0, 0
    for i in range(0, x.shape[0], batch_size):
        xb = x[i:i + batch_size]
        loss, mse = model.loss(xb, g)
        tot += float(loss) * xb.shape[0]
        tot_mse += float(mse) * xb.shape[0]
        n += xb.shape[0]
    return tot / n, tot_mse / n


def train(cfg: TrainConfig, progress: bool = True) -> Path:
    """Train and write the run folder; returns the checkpoint path."""
    from tqdm import tqdm

    cfg.validate()
    setup_torch(cfg.threads, cfg.seed)
    spec = cfg.input_spec()
    train_set, val_set, test_set = load_splits(cfg)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    model = AutoEncoder(cfg.model_spec())
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    x_train = to_tensor(train_set.pixels, spec)
    x_val = to_tensor(val_set.pixels, spec)
    steps_per_epoch = math.ceil(x_train.shape[0] / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    if cfg.lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    else:
        sched = None
    shuffle_gen = torch.Generator().manual_seed(cfg.seed + 1000)
    noise_gen = torch.Generator().manual_seed(cfg.seed + 2000)
    history = {"train_loss": [], "train_mse": [], "val_loss": [], "val_mse": [], "epoch_seconds": []}
    for epoch in range(cfg.epochs):
        te = time.perf_counter()
        model.train()
        perm = torch.randperm(x_train.shape[0], generator=shuffle_gen)
        run_loss, run_mse, seen = 0.0, 0.0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress,
                   leave=False, file=sys.stderr)
        for s in bar:
            idx = perm[s * cfg.batch_size:(s + 1) * cfg.batch_size]
            xb = x_train[idx]
            loss, mse = model.loss(xb, noise_gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            run_loss += float(loss) * xb.shape[0]
            run_mse += float(mse) * xb.shape[0]
            seen += xb.shape[0]
            if s % 20 == 0:
                bar.set_postfix(loss=f"{run_loss / seen:.4f}", mse=f"{run_mse / seen:.4f}")
        vl, vm = mean_loss(model, x_val, 512, cfg.seed + 3000)
        history["train_loss"].append(run_loss / seen)
        history["train_mse"].append(run_mse / seen)
        history["val_loss"].append(vl)
        history["val_mse"].append(vm)
        history["epoch_seconds"].append(round(time.perf_counter() - te, 3))
        if progress:
            print(f"epoch {epoch + 1}/{cfg.epochs}: train loss {run_loss / seen:.5f} mse {run_mse / seen:.5f}"
                  f" | val loss {vl:.5f} mse {vm:.5f} ({history['epoch_seconds'][-1]:.1f}s)", file=sys.stderr)
    wall = time.perf_counter() - t0

    ckpt_path = out / "checkpoint.pt"
    save_checkpoint(ckpt_path, model, cfg, history, len(train_set), len(val_set),
                    train_set.class_names)
    metrics = {
        "name": cfg.name, "wall_seconds": round(wall, 1), "threads": cfg.threads,
        "epochs": cfg.epochs, "epoch_seconds": history["epoch_seconds"],
        "train_count": len(train_set), "val_count": len(val_set), "test_count": len(test_set),
        "final_train_loss": history["train_loss"][-1], "final_val_loss": history["val_loss"][-1],
        "final_val_mse": history["val_mse"][-1], "versions": versions(),
    }
    (out / "train_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    plot_loss_curve(out / "loss_curve.png", history, cfg)
    import evaluate
    evaluate.save_reconstructions(out / "reconstructions.png", model, to_tensor(test_set.pixels[:16], spec))
    return ckpt_path


def save_checkpoint(path: Path, model: AutoEncoder, cfg: TrainConfig, history: dict,
                    train_count: int, val_count: int, class_names: Sequence[str]) -> None:
    """torch.save of tensors + plain data only: no timestamps, no paths, no pickled classes."""
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    ckpt = {
        "format": CHECKPOINT_FORMAT,
        "config": cfg.to_saved(),
        "state_dict": state,
        "versions": versions(),
        "history": {k: [float(v) for v in vs] for k, vs in history.items() if k != "epoch_seconds"},
        "train_count": int(train_count),
        "val_count": int(val_count),
        "class_names": [str(c) for c in class_names],
    }
    torch.save(ckpt, str(path))


def load_checkpoint(path) -> Tuple[AutoEncoder, TrainConfig, dict]:
    # tensors and plain data only, so torch 2.x's safe loader works (its default from 2.6);
    # torch 1.13's weights_only unpickler cannot read floats, so it keeps the full unpickler there
    safe = int(torch.__version__.split(".")[0]) >= 2
    ckpt = torch.load(str(path), map_location="cpu", **({"weights_only": True} if safe else {}))
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not an {CHECKPOINT_FORMAT} checkpoint")
    cfg = TrainConfig.from_saved(ckpt["config"])
    model = AutoEncoder(cfg.model_spec())
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, cfg, ckpt


def plot_loss_curve(path: Path, history: dict, cfg: TrainConfig) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ep = list(range(1, len(history["train_loss"]) + 1))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    axes[0].plot(ep, history["train_loss"], "o-", label="train")
    axes[0].plot(ep, history["val_loss"], "s-", label="validation")
    axes[0].set_title("loss (MSE)" if cfg.model == "ae" else f"loss (BCE + {cfg.beta:g}·KL, nats)")
    axes[1].plot(ep, history["train_mse"], "o-", label="train")
    axes[1].plot(ep, history["val_mse"], "s-", label="validation")
    axes[1].set_title("reconstruction MSE")
    for a in axes:
        a.set_xlabel("epoch")
        a.legend()
        a.grid(alpha=0.3)
    fig.suptitle(cfg.name)
    fig.tight_layout()
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        cfg = config_from_args(argv)
        ckpt = train(cfg)
    except (UsageError, DatasetError, ModelConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {ckpt}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
