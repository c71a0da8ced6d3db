"""Checkpoints: the model (checkpoint.pt, what export reads and models/ ship) and the resumable
training state (resume.pt: optimizer, scheduler, RNG states, epoch, step). Both are written
atomically (temporary file in the same folder, fsync, rename), so a killed run leaves the
previous file intact."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence, Tuple

import torch

from .config import TrainConfig, versions
from .files import atomic_open
from .models import AutoEncoder

CHECKPOINT_FORMAT = "aeonnx.checkpoint/1"
STATE_FORMAT = "aeonnx.train-state/1"
STATE_FILE = "resume.pt"
LEGACY_SIGMA = 0.1


def atomic_torch_save(obj, path: Path) -> None:
    with atomic_open(path) as f:
        torch.save(obj, f)


def _load(path):
    # tensors and plain data only, so torch 2.x's safe loader works (its default from 2.6);
    # torch 1.13's weights_only unpickler cannot read floats, so it keeps the full unpickler there
    safe = int(torch.__version__.split(".")[0]) >= 2
    return torch.load(str(path), map_location="cpu", **({"weights_only": True} if safe else {}))


def model_state(model: AutoEncoder) -> dict:
    return {k: v.detach().to("cpu").clone().contiguous() for k, v in model.state_dict().items()}


def save_checkpoint(
    path: Path,
    model: AutoEncoder,
    cfg: TrainConfig,
    history: dict,
    train_count: int,
    val_count: int,
    class_names: Sequence[str],
    best_epoch: int,
) -> None:
    """torch.save of tensors + plain data only: no timestamps, no paths, no pickled classes, no
    device: the same bytes whichever device trained it (for the same weights)."""
    ckpt = {
        "format": CHECKPOINT_FORMAT,
        "config": cfg.to_saved(),
        "state_dict": model_state(model),
        "versions": versions(),
        "history": {k: [float(v) for v in vs] for k, vs in history.items() if k != "epoch_seconds"},
        "train_count": int(train_count),
        "val_count": int(val_count),
        "class_names": [str(c) for c in class_names],
        "best_epoch": int(best_epoch),
    }
    atomic_torch_save(ckpt, path)


def load_checkpoint(path) -> Tuple[AutoEncoder, TrainConfig, dict]:
    ckpt = _load(path)
    if not isinstance(ckpt, dict) or "format" not in ckpt:
        raise ValueError(f"{path}: not an AeOnnx checkpoint (no 'format' field)")
    if ckpt["format"] != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: checkpoint format {ckpt['format']!r}, expected {CHECKPOINT_FORMAT!r}")
    cfg = TrainConfig.from_saved(ckpt["config"])
    model = AutoEncoder(cfg.model_spec())
    state = dict(ckpt["state_dict"])
    if model.variational and "log_sigma" not in state:
        # a VAE of the first trainer (Bernoulli cross-entropy loss, no likelihood scale): its graphs
        # are unchanged; evaluation uses the Gaussian likelihood at LEGACY_SIGMA
        state["log_sigma"] = torch.tensor(math.log(LEGACY_SIGMA))
        ckpt["legacy_likelihood"] = True
    model.load_state_dict(state)
    model.eval()
    return model, cfg, ckpt


def save_state(run_dir: Path, state: dict) -> Path:
    path = Path(run_dir) / STATE_FILE
    atomic_torch_save({"format": STATE_FORMAT, **state}, path)
    return path


def load_state(run_dir) -> dict:
    run_dir = Path(run_dir)
    path = run_dir / STATE_FILE if run_dir.is_dir() else run_dir
    if not path.is_file():
        raise FileNotFoundError(
            f"--resume {run_dir}: no {STATE_FILE} there (a run writes it after each " "checkpoint interval)"
        )
    st = _load(path)
    if not isinstance(st, dict) or st.get("format") != STATE_FORMAT:
        raise ValueError(f"{path}: not an {STATE_FORMAT} file")
    return st
