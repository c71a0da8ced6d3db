"""Train a convolutional AE or VAE on Fashion-MNIST or a folder of images.

Writes into --out: checkpoint.pt (weights + config + versions; bit-identical for the same
config, seed, threads, world size and torch version; with --keep-best the epoch with the lowest
validation loss), resume.pt (optimizer, scheduler, RNG states, epoch, step, best weights: written
atomically every --checkpoint-every epochs), train_metrics.json (wall time, losses, device),
loss_curve.png, reconstructions.png, skipped.txt (undecodable files, each also warned when met).

  train.py --dataset photos/ --channels 3 --image-size 64x64 --latent-dim 32 --out runs/photos
  train.py --dataset fashion-mnist --model ae --latent-dim 16 --epochs 12 --out runs/ae
  train.py --resume runs/ae [--epochs 20]                  continue (or extend) a run
  torchrun --standalone --nproc_per_node=2 train.py --device cpu ...   data-parallel (gloo/nccl)

Ctrl+C stops at once and says how to continue (resume.pt holds the last finished epoch).

Under torchrun every process trains on its DistributedSampler shard with --batch-size images per
step (global batch = batch size x processes); rank 0 alone logs, checkpoints and exports.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Tuple

# Idle OpenMP workers sleep instead of spinning (shared machines); timing only, not results.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from torch.utils.data.distributed import DistributedSampler  # noqa: E402

from . import checkpoint as ckpt_mod  # noqa: E402
from . import evaluate, plots, runtime, splits  # noqa: E402
from .config import (  # noqa: E402
    KEEP_BEST_BY,
    TrainConfig,
    UsageError,
    machine_facts,
    parse_floats,
    parse_ints,  # noqa: E402
    parse_size,
    setup_torch,
    versions,
)
from .data import DatasetError  # noqa: E402
from .models import ARCHS, UPSAMPLING, AutoEncoder, ModelConfigError, loss_terms  # noqa: E402


@dataclass
class RunOptions:
    """How this invocation runs; none of it changes the trained weights."""

    resume: Optional[str] = None
    stop_after_epochs: int = 0  # 0 = run to --epochs
    checkpoint_every: int = 1  # epochs between resume.pt writes
    export_to: Optional[str] = None
    progress: bool = True
    log_every: float = 5.0  # seconds between progress lines when stderr is not a terminal


class Interrupted(Exception):
    """Ctrl+C during training; the message says what was saved and how to continue."""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows every default and keeps the description's line breaks."""


AUTO_NAME, AUTO_OUT = "<dataset>-<model>", "runs/<name>"


def build_parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=_HelpFormatter)
    ap.add_argument("--dataset", default=d.dataset, help="fashion-mnist or PATH to an image folder (streamed)")
    ap.add_argument("--data-dir", default=d.data_dir, help="folder with the Fashion-MNIST idx(.gz) files")
    ap.add_argument("--model", choices=("ae", "vae"), default=d.model, help="model kind")
    ap.add_argument("--latent-dim", type=int, default=d.latent_dim, help="latent size")
    ap.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"training epochs (default {d.epochs}; with --resume: " "the new total, default the run's own)",
    )
    ap.add_argument("--batch-size", type=int, default=d.batch_size, help="batch size per process")
    ap.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    ap.add_argument(
        "--lr-schedule",
        choices=("cosine", "none"),
        default=d.lr_schedule,
        help="cosine: decay to 5%% of --lr over the run",
    )
    ap.add_argument(
        "--warmup-steps",
        type=int,
        default=d.warmup_steps,
        help="linear learning-rate warmup over this many steps (default %(default)s: none); keeps a "
        "decoder trained on sparse images (one dark class) from dying in Adam's first steps",
    )
    ap.add_argument("--beta", type=float, default=d.beta, help="VAE KL weight (1 = the ELBO)")
    ap.add_argument(
        "--latent-penalty",
        type=float,
        default=d.latent_penalty,
        help="AE: weight of mean(z^2) in the loss, keeps the latent scale modest",
    )
    ap.add_argument(
        "--widths",
        type=parse_ints,
        default="32,64",
        help="channels per stage (one stage per 2x down to <= 8 px); missing ones double the last, extra ones are unused",
    )
    ap.add_argument(
        "--decoder-widths",
        type=parse_ints,
        default=None,
        help="the decoder's channels per stage, largest image first like --widths (default: the same as --widths); "
        "a decoder wider than its encoder is what reconstructs colour images best (docs/TRAINING.md)",
    )
    ap.add_argument(
        "--arch",
        choices=ARCHS,
        default=d.arch,
        help="bn: convolutions with BatchNorm (folded into the convolutions on export); plain: the first "
        "architecture, without normalization; gn: GroupNorm (measured worse, docs/TRAINING.md)",
    )
    ap.add_argument(
        "--upsample", choices=UPSAMPLING, default=d.upsample, help="the decoder's 2x upsampling before each convolution"
    )
    ap.add_argument(
        "--pca-residual",
        action=argparse.BooleanOptionalAction,
        default=d.pca_residual,
        help="start from the training split's PCA: latent = whitened PCA projection + a learned correction, "
        "image = PCA reconstruction + a learned residual (both start at zero), so training starts at "
        "PCA's error",
    )
    ap.add_argument(
        "--ssim-weight", type=float, default=d.ssim_weight, help="AE: weight of (1 - SSIM) added to the MSE loss"
    )
    ap.add_argument(
        "--augment",
        default=d.augment,
        help="training augmentations, comma-separated: hflip, vflip, shift (random ±1/8 translation, edges "
        "repeated), rot90 (random quarter turns, square images), channels (random RGB order), or none",
    )
    ap.add_argument("--weight-decay", type=float, default=d.weight_decay, help="AdamW weight decay (0: plain Adam)")
    ap.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        default=d.channels_last,
        help="train on channels-last (NHWC) tensors: the same network, 1.2-2.7x faster steps on CPU "
        "(docs/TRAINING.md); other float32 rounding, so a run reproduces only with the same setting",
    )
    ap.add_argument(
        "--keep-best",
        action=argparse.BooleanOptionalAction,
        default=d.keep_best,
        help="the checkpoint holds the epoch with the lowest validation loss (or MSE: --keep-best-by), "
        "not the last one",
    )
    ap.add_argument(
        "--keep-best-by",
        choices=KEEP_BEST_BY,
        default=d.keep_best_by,
        help="what --keep-best and --patience compare: the validation loss (a VAE's -ELBO, which rises late "
        "in a run as the learned sigma shrinks) or the validation reconstruction MSE",
    )
    ap.add_argument(
        "--ema",
        type=float,
        default=d.ema,
        help="keep an exponential moving average of the weights with this decay per step (e.g. 0.999; 0: off); "
        "validation, --keep-best and the checkpoint use the averaged weights",
    )
    ap.add_argument(
        "--patience",
        type=int,
        default=d.patience,
        help="stop after N epochs without a lower validation loss (or MSE: --keep-best-by; 0: run all epochs)",
    )
    ap.add_argument("--image-size", type=parse_size, default="28x28", help="model image size HxW (8..256)")
    ap.add_argument("--channels", type=int, default=d.channels, help="1 (gray) or 3 (rgb)")
    ap.add_argument("--mean", type=parse_floats, default="", help="input normalization mean per channel (default 0)")
    ap.add_argument("--std", type=parse_floats, default="", help="input normalization std per channel (default 1)")
    ap.add_argument("--seed", type=int, default=d.seed, help="seed for init, shuffling, splits and VAE noise")
    ap.add_argument(
        "--threads", type=int, default=d.threads, help="torch CPU threads per process (part of reproducibility)"
    )
    ap.add_argument("--limit", type=int, default=d.limit, help="use at most N training and N test images (0 = all)")
    ap.add_argument(
        "--val-fraction", type=float, default=d.val_fraction, help="share of training images held out for validation"
    )
    ap.add_argument(
        "--normal-class",
        default=d.normal_class,
        metavar="NAME",
        help="train on the images of this class only (anomaly detection: the normal class); a "
        "Fashion-MNIST class name (e.g. Shirt) or a subfolder name of --dataset; '' = all images",
    )
    ap.add_argument("--device", default=d.device, help="auto (CUDA when available), cpu, cuda or cuda:N")
    ap.add_argument(
        "--amp",
        choices=("none", "bf16", "fp16"),
        default=d.amp,
        help="mixed precision for forward/backward (fp16: CUDA only, with loss scaling)",
    )
    ap.add_argument(
        "--workers",
        type=int,
        default=d.workers,
        help="DataLoader decode workers for image folders (-1: min(4, CPUs-1); 0: in-process)",
    )
    ap.add_argument("--name", default=AUTO_NAME, help="model name")
    ap.add_argument("--out", default=AUTO_OUT, help="run folder")
    ap.add_argument(
        "--resume",
        default=None,
        metavar="RUN_DIR",
        help="continue the run in RUN_DIR from its resume.pt (its saved config is used; "
        "--epochs, --device, --workers, --export-to apply)",
    )
    ap.add_argument("--checkpoint-every", type=int, default=1, help="write resume.pt every N epochs (and at the end)")
    ap.add_argument(
        "--stop-after-epochs",
        type=int,
        default=0,
        help="stop this invocation after N epochs (resume later), e.g. to fit a job time limit; 0 = run to --epochs",
    )
    ap.add_argument(
        "--export-to", default=None, metavar="MODEL_DIR", help="export the model folder there when training ends"
    )
    ap.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines, epoch lines only")
    ap.add_argument(
        "--log-every",
        type=float,
        default=5.0,
        help="seconds between progress lines within an epoch when stderr is not a terminal",
    )
    return ap


def config_from_args(argv: Optional[Sequence[str]] = None) -> Tuple[TrainConfig, RunOptions]:
    a = build_parser().parse_args(argv)
    opts = RunOptions(
        resume=a.resume,
        stop_after_epochs=a.stop_after_epochs,
        checkpoint_every=a.checkpoint_every,
        export_to=a.export_to,
        progress=not a.no_progress,
        log_every=a.log_every,
    )
    if not (opts.log_every > 0):
        raise UsageError(f"--log-every must be > 0 seconds, got {opts.log_every}")
    if opts.checkpoint_every < 1:
        raise UsageError(f"--checkpoint-every must be >= 1, got {opts.checkpoint_every}")
    if opts.stop_after_epochs < 0:
        raise UsageError(f"--stop-after-epochs must be >= 0, got {opts.stop_after_epochs}")
    if a.resume:
        st = ckpt_mod.load_state(a.resume)
        cfg = TrainConfig.from_saved(st["config"])
        cfg.out = str(a.resume)
        if a.epochs is not None:
            cfg.epochs = a.epochs
        cfg.device, cfg.workers = a.device, a.workers
        return cfg, opts
    cfg = TrainConfig(
        dataset=a.dataset,
        data_dir=a.data_dir,
        model=a.model,
        latent_dim=a.latent_dim,
        epochs=a.epochs if a.epochs is not None else TrainConfig.epochs,
        batch_size=a.batch_size,
        lr=a.lr,
        lr_schedule=a.lr_schedule,
        warmup_steps=a.warmup_steps,
        beta=a.beta,
        latent_penalty=a.latent_penalty,
        widths=tuple(a.widths),
        decoder_widths=tuple(a.decoder_widths or ()),
        arch=a.arch,
        upsample=a.upsample,
        pca_residual=a.pca_residual,
        ssim_weight=a.ssim_weight,
        augment=a.augment,
        weight_decay=a.weight_decay,
        channels_last=a.channels_last,
        keep_best=a.keep_best,
        keep_best_by=a.keep_best_by,
        ema=a.ema,
        patience=a.patience,
        image_size=tuple(a.image_size),
        channels=a.channels,
        mean=tuple(a.mean),
        std=tuple(a.std),
        seed=a.seed,
        threads=a.threads,
        limit=a.limit,
        val_fraction=a.val_fraction,
        amp=a.amp,
        normal_class=a.normal_class,
        name="" if a.name == AUTO_NAME else a.name,
        out="" if a.out == AUTO_OUT else a.out,
        device=a.device,
        workers=a.workers,
    )
    if not cfg.name:
        base = "fashion-mnist" if cfg.dataset == "fashion-mnist" else Path(cfg.dataset).resolve().name
        if cfg.normal_class:
            base += "-" + (
                "".join(ch if ch.isalnum() else "-" for ch in cfg.normal_class.lower()).strip("-") or "class"
            )
        cfg.name = f"{base}-{cfg.model}"
    if not cfg.out:
        cfg.out = str(Path("runs") / cfg.name)
    return cfg, opts


@torch.no_grad()
def mean_loss(
    model: AutoEncoder,
    source: splits.Source,
    batch_size: int,
    seed: int,
    workers: int,
    device: torch.device,
    on_skip=None,
    channels_last: bool = False,
) -> Tuple[float, float]:
    """Mean (loss, MSE) over a split, with a fixed-seed generator for the VAE noise."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    tot, tot_mse, n = 0.0, 0.0, 0
    for b in splits.batches(source, batch_size, workers):
        if on_skip is not None:
            on_skip(b.skipped)
        if not len(b):
            continue
        x, t = splits.normalize(b.pixels, source.spec, device, channels_last)
        loss, mse = model.loss(x, t, g)
        tot += float(loss) * len(b)
        tot_mse += float(mse) * len(b)
        n += len(b)
    return tot / max(n, 1), tot_mse / max(n, 1)


class WeightAverage:
    """An exponential moving average of a model's weights and BatchNorm statistics, updated after every
    optimizer step. The decay starts low ((1 + n) / (10 + n) after n updates) so the first epochs' average is not
    dominated by the random initialisation; integer buffers are copied."""

    def __init__(self, model: AutoEncoder, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).requires_grad_(False)
        self.updates = 0

    @torch.no_grad()
    def update(self, model: AutoEncoder) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for avg, live in zip(self.model.state_dict().values(), model.state_dict().values()):
            if avg.dtype.is_floating_point:
                avg.lerp_(live, 1.0 - d)
            else:
                avg.copy_(live)

    def state(self) -> dict:
        return {"model": ckpt_mod.model_state(self.model), "updates": self.updates}

    def load(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.updates = int(state["updates"])


def _fmt_seconds(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def augment_batch(pixels: torch.Tensor, modes: Sequence[str], gen: torch.Generator) -> torch.Tensor:
    """Random flips / translations of a uint8 [N,C,H,W] batch, drawn from `gen` (a CPU generator,
    so the same images get the same changes on any device and with any worker count).
    shift: a translation of up to 1/8 of each side, the edge pixels repeated into the gap; rot90: a rotation
    by a random multiple of 90 degrees (square images); channels: a random order of the colour channels."""
    if not modes or pixels.shape[0] == 0:
        return pixels
    n, _, h, w = pixels.shape
    out = pixels
    if "hflip" in modes:
        flip = torch.rand(n, generator=gen) < 0.5
        out = torch.where(flip[:, None, None, None], out.flip(-1), out)
    if "vflip" in modes:
        flip = torch.rand(n, generator=gen) < 0.5
        out = torch.where(flip[:, None, None, None], out.flip(-2), out)
    if "shift" in modes:
        mh, mw = max(1, h // 8), max(1, w // 8)
        dy = torch.randint(-mh, mh + 1, (n,), generator=gen)
        dx = torch.randint(-mw, mw + 1, (n,), generator=gen)
        rows = (torch.arange(h)[None, :] - dy[:, None]).clamp(0, h - 1)  # [n, h]
        cols = (torch.arange(w)[None, :] - dx[:, None]).clamp(0, w - 1)  # [n, w]
        idx = torch.arange(n)[:, None, None]
        out = out.permute(0, 2, 3, 1)[idx, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()
    if "rot90" in modes:
        turns = torch.randint(0, 4, (n,), generator=gen)
        out = out.clone()
        for k in (1, 2, 3):
            sel = turns == k
            if sel.any():
                out[sel] = torch.rot90(out[sel], k, dims=(-2, -1))
    if "channels" in modes:
        order = torch.argsort(torch.rand(n, out.shape[1], generator=gen), dim=1)
        out = torch.gather(out, 1, order[:, :, None, None].expand_as(out))
    return out


class _Progress:
    """Within-epoch progress: a tqdm bar on a terminal, otherwise a plain line every `every`
    seconds (logs and CI see the run moving); nothing when off or not rank 0."""

    def __init__(self, on: bool, every: float, total: int, epoch: int, epochs: int, log):
        from tqdm import tqdm

        self.tty = on and sys.stderr.isatty()
        self.lines = on and not self.tty
        self.every, self.total, self.log = every, total, log
        self.prefix = f"epoch {epoch}/{epochs}"
        self.t0 = self.last = time.perf_counter()
        self.done = 0
        # Built with Ctrl+C held back: interrupted inside tqdm's constructor, the half-built bar prints an
        # "Exception ignored in tqdm.__del__" traceback as it is collected.
        with splits.ctrl_c_held():
            self.bar = tqdm(
                total=total,
                desc=self.prefix,
                unit="img",
                unit_scale=True,
                disable=not self.tty,
                leave=False,
                file=sys.stderr,
            )

    def update(self, images: int, loss: float, mse: float, step: int) -> None:
        self.done += images
        self.bar.update(images)
        if self.tty and step % 20 == 0:
            self.bar.set_postfix(loss=f"{loss:.4f}", mse=f"{mse:.4f}")
        now = time.perf_counter()
        if self.lines and now - self.last >= self.every and self.done < self.total:
            self.last = now
            rate = self.done / (now - self.t0)
            self.log(
                f"{self.prefix}: {self.done}/{self.total} images, loss {loss:.5f} mse {mse:.5f}, "
                f"{rate:.0f} img/s, epoch ETA {_fmt_seconds((self.total - self.done) / max(rate, 1e-9))}"
            )

    def close(self) -> None:
        with splits.ctrl_c_held():
            self.bar.close()


def train(cfg: TrainConfig, progress: bool = True, opts: Optional[RunOptions] = None) -> Optional[Path]:
    """Train (or resume) and write the run folder; returns the checkpoint path, or None when the
    invocation stopped early (--stop-after-epochs) or is not rank 0. Ctrl+C raises Interrupted."""
    opts = opts or RunOptions(progress=progress)
    cfg.validate()
    rt = runtime.start(cfg.device)
    try:
        return _train(cfg, opts, rt)
    finally:
        rt.close()


def _train(cfg: TrainConfig, opts: RunOptions, rt: runtime.Runtime) -> Optional[Path]:
    device = rt.device
    runtime.check_amp(cfg.amp, device)
    log = (lambda m: print(m, file=sys.stderr, flush=True)) if rt.is_main else (lambda m: None)
    setup_torch(cfg.threads, cfg.seed, device)
    spec = cfg.input_spec()
    train_src, val_src, test_src = splits.load_splits(cfg)
    out = Path(cfg.out)
    if rt.is_main:
        out.mkdir(parents=True, exist_ok=True)
    rt.barrier()

    torch.manual_seed(cfg.seed)
    model = AutoEncoder(cfg.model_spec()).to(device)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if cfg.weight_decay > 0:
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sampler = DistributedSampler(
        train_src.dataset(),
        num_replicas=rt.world_size,
        rank=rt.rank,
        shuffle=True,
        seed=cfg.seed + 1000,
        drop_last=False,
    )
    steps_per_epoch = math.ceil(len(sampler) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    sched = None
    warm = cfg.warmup_steps
    if cfg.lr_schedule == "cosine" and not warm:
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))
        )
    elif cfg.lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt,
            lambda s: min(1.0, (s + 1) / warm) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))),
        )
    elif warm:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm))
    scaler = torch.cuda.amp.GradScaler(enabled=cfg.amp == "fp16")
    # CPU generators, so CPU and CUDA runs draw the same VAE noise and augmentations; one stream per rank
    noise_gen = torch.Generator().manual_seed(cfg.seed + 2000 + 7919 * rt.rank)
    aug_gen = torch.Generator().manual_seed(cfg.seed + 4000 + 7919 * rt.rank)
    augmentations = cfg.augmentations()
    history = {"train_loss": [], "train_mse": [], "val_loss": [], "val_mse": [], "epoch_seconds": []}
    start_epoch, step, wall_before, skipped = 0, 0, 0.0, set()
    best = {"epoch": 0, "val_loss": float("inf"), "state": None, "bad_epochs": 0, "stopped_early": False}

    if opts.resume:
        st = ckpt_mod.load_state(opts.resume)
        if st["world_size"] != rt.world_size:
            raise UsageError(
                f"--resume {opts.resume}: the run used {st['world_size']} process(es), this one has "
                f"{rt.world_size}; the same world size is needed to continue the same run"
            )
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["optimizer"])
        if sched is not None:
            sched.load_state_dict(st["scheduler"])
        scaler.load_state_dict(st["scaler"])
        noise_gen.set_state(st["rng"]["noise"][rt.rank])
        if "augment" in st["rng"]:
            aug_gen.set_state(st["rng"]["augment"][rt.rank])
        torch.set_rng_state(st["rng"]["torch"])
        history = {k: list(v) for k, v in st["history"].items()}
        start_epoch, step, wall_before = int(st["epoch"]), int(st["step"]), float(st["wall_seconds"])
        skipped = set(st["skipped"])
        if st.get("best") is not None:
            best = dict(st["best"])
        if best["stopped_early"]:
            log(
                f"{out}: stopped early after epoch {start_epoch} (no better validation {cfg.keep_best_by} for "
                f"{cfg.patience} epochs); nothing left to train"
            )
        elif start_epoch >= cfg.epochs:
            log(f"{out}: already trained {start_epoch} epoch(s) of {cfg.epochs}; pass --epochs N to extend")

    if cfg.pca_residual and not opts.resume:
        # every process computes the same PCA (deterministic), so no broadcast is needed
        t_pca = time.perf_counter()
        mu, basis, scales = evaluate.fit_pca(train_src, cfg.latent_dim, cfg.workers, cfg.seed)
        model.init_pca(torch.from_numpy(mu), torch.from_numpy(basis), torch.from_numpy(scales))
        model.to(device)
        log(
            f"PCA of {len(train_src)} training images for the linear path: {basis.shape[1]} components, "
            f"{time.perf_counter() - t_pca:.0f}s"
        )

    ema = WeightAverage(model, cfg.ema) if cfg.ema else None
    if ema is not None and opts.resume:
        ema.load(st["ema"])  # the resume state read above
    # what validation, keep-best and the checkpoint see
    kept = ema.model if ema is not None else model

    ddp = model
    if rt.distributed:
        ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
    log(
        f"training {cfg.name}: {len(train_src)} train / {len(val_src)} val images, device {device}, "
        f"{rt.world_size} process(es), amp {cfg.amp}, arch {cfg.arch}, epochs {start_epoch + 1}..{cfg.epochs}"
    )

    prefix = f"[rank {rt.rank}] " if rt.distributed else ""

    def warn_skipped(names) -> None:
        # every process warns about the files it met, once each, as it meets them
        for why in names:
            if why not in skipped:
                skipped.add(why)
                print(f"{prefix}warning: skipped undecodable image file {why}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    images_done, images_todo = 0, len(sampler) * max(0, cfg.epochs - start_epoch)
    epochs_run, saved_epoch, epoch = 0, start_epoch, start_epoch
    try:
        for epoch in range(start_epoch, cfg.epochs):
            if best["stopped_early"] or (opts.stop_after_epochs and epochs_run >= opts.stop_after_epochs):
                break
            te = time.perf_counter()
            sampler.set_epoch(epoch)
            order = list(iter(sampler))
            ddp.train()
            run_loss, run_mse, seen = 0.0, 0.0, 0
            bar = _Progress(opts.progress and rt.is_main, opts.log_every, len(order), epoch + 1, cfg.epochs, log)
            for b in splits.batches(train_src, cfg.batch_size, cfg.workers, order):
                warn_skipped(b.skipped)
                n = len(b)
                if rt.distributed:
                    # all processes must take the same steps: skip only when the whole global batch failed
                    empty = rt.all_sum([float(n)])[0] == 0
                else:
                    empty = n == 0  # every file of this batch was undecodable: no step
                if empty:
                    bar.update(len(b.skipped), run_loss / max(seen, 1), run_mse / max(seen, 1), step)
                    continue
                pixels, weight = augment_batch(b.pixels, augmentations, aug_gen), 1.0
                if n == 0:
                    # this process has nothing but the others do: a zero-weight pass joins their gradient sum
                    pixels, weight = torch.zeros((1, spec.channels, spec.height, spec.width), dtype=torch.uint8), 0.0
                x, t = splits.normalize(pixels, spec, device, cfg.channels_last)
                with runtime.autocast(cfg.amp, device):
                    recon, mean, logvar = ddp(x, noise_gen)
                loss, mse = loss_terms(model, recon, t, mean, logvar)
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss * weight).backward()
                scaler.step(opt)
                scaler.update()
                if sched is not None:
                    sched.step()
                if ema is not None:
                    ema.update(model)
                step += 1
                if n:
                    run_loss += float(loss) * n
                    run_mse += float(mse) * n
                    seen += n
                bar.update(n + len(b.skipped), run_loss / max(seen, 1), run_mse / max(seen, 1), step)
            bar.close()
            run_loss, run_mse, seen = rt.all_sum([run_loss, run_mse, float(seen)])
            if rt.is_main:
                vl, vm = mean_loss(
                    kept, val_src, 512, cfg.seed + 3000, cfg.workers, device, warn_skipped, cfg.channels_last
                )
            else:
                vl, vm = 0.0, 0.0
            vl, vm = rt.all_sum([vl, vm])
            skipped = set(rt.gather_lists(sorted(skipped)))
            history["train_loss"].append(run_loss / max(seen, 1))
            history["train_mse"].append(run_mse / max(seen, 1))
            history["val_loss"].append(vl)
            history["val_mse"].append(vm)
            history["epoch_seconds"].append(round(time.perf_counter() - te, 3))
            # best["val_loss"] holds the compared value (the name predates --keep-best-by; resume.pt files carry it)
            score = vm if cfg.keep_best_by == "mse" else vl
            improved = score < best["val_loss"]
            if improved:
                best.update(
                    epoch=epoch + 1,
                    val_loss=score,
                    bad_epochs=0,
                    state=ckpt_mod.model_state(kept) if cfg.keep_best else None,
                )
            else:
                best["bad_epochs"] += 1
                best["stopped_early"] = bool(cfg.patience and best["bad_epochs"] >= cfg.patience)
            epochs_run += 1
            images_done += len(order)
            elapsed = time.perf_counter() - t0
            rate = images_done * rt.world_size / elapsed if elapsed > 0 else float("nan")
            eta = elapsed / images_done * (images_todo - images_done) if images_done else float("nan")
            # the state is saved (when due) before the epoch line is printed, so an interrupt after the line keeps it
            last = (
                epoch + 1 == cfg.epochs
                or best["stopped_early"]
                or (opts.stop_after_epochs and epochs_run >= opts.stop_after_epochs)
            )
            if (epoch + 1) % opts.checkpoint_every == 0 or last:
                _save_state(
                    out,
                    cfg,
                    rt,
                    model,
                    opt,
                    sched,
                    scaler,
                    noise_gen,
                    aug_gen,
                    epoch + 1,
                    step,
                    history,
                    wall_before + (time.perf_counter() - t0),
                    skipped,
                    best,
                    ema,
                )
                saved_epoch = epoch + 1
            log(
                f"epoch {epoch + 1}/{cfg.epochs}: train loss {history['train_loss'][-1]:.5f} mse {history['train_mse'][-1]:.5f}"
                f" | val loss {vl:.5f} mse {vm:.5f}{' *' if improved else ''} | {history['epoch_seconds'][-1]:.1f}s, "
                f"{rate:.0f} img/s, ETA {_fmt_seconds(eta)}"
            )
            if epoch == start_epoch and skipped:
                splits.report_skipped(sorted(skipped), out / "skipped.txt" if rt.is_main else None, log)
            if best["stopped_early"]:
                log(
                    f"early stop: no lower validation {cfg.keep_best_by} for {cfg.patience} epoch(s); best epoch "
                    f"{best['epoch']} (val {cfg.keep_best_by} {best['val_loss']:.5f})"
                )
            rt.barrier()
    except KeyboardInterrupt:
        where = (
            f"in epoch {epoch + 1} of {cfg.epochs}"
            if epoch + 1 > saved_epoch
            else f"after epoch {saved_epoch} of {cfg.epochs}"
        )
        if saved_epoch > 0:
            raise Interrupted(
                f"interrupted {where}; {out / ckpt_mod.STATE_FILE} holds epoch {saved_epoch}: "
                f"continue with: train.py --resume {out}"
            ) from None
        raise Interrupted(
            f"interrupted {where}, before any epoch was saved: nothing to resume, start the run again"
        ) from None
    wall = wall_before + (time.perf_counter() - t0)

    done = len(history["train_loss"]) >= cfg.epochs or best["stopped_early"]
    if not done:
        log(
            f"stopped after epoch {len(history['train_loss'])} of {cfg.epochs}; continue with: "
            f"train.py --resume {out}"
        )
        return None
    if not rt.is_main:
        return None
    if cfg.keep_best and best["state"] is not None:
        model.load_state_dict(best["state"])
    elif ema is not None:
        model.load_state_dict(ema.model.state_dict())
    model.to("cpu")
    ckpt_path = out / "checkpoint.pt"
    best_epoch = best["epoch"] if cfg.keep_best else len(history["train_loss"])
    ckpt_mod.save_checkpoint(
        ckpt_path, model, cfg, history, len(train_src), len(val_src), train_src.class_names, best_epoch
    )
    metrics = {
        "name": cfg.name,
        "wall_seconds": round(wall, 1),
        "threads": cfg.threads,
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "precision": "float32" if cfg.amp == "none" else f"amp-{cfg.amp}",
        "world_size": rt.world_size,
        "epochs": cfg.epochs,
        "epochs_run": len(history["train_loss"]),
        "best_epoch": best_epoch,
        "stopped_early": bool(best["stopped_early"]),
        "epoch_seconds": history["epoch_seconds"],
        "train_count": len(train_src),
        "val_count": len(val_src),
        "test_count": len(test_src),
        "skipped_files": len(skipped),
        "final_train_loss": history["train_loss"][-1],
        "final_val_loss": history["val_loss"][-1],
        "final_val_mse": history["val_mse"][-1],
        "best_val_loss": min(history["val_loss"]),
        "versions": versions(),
        "machine": machine_facts(cfg.threads),
    }
    if model.variational:
        metrics["likelihood_sigma"] = model.sigma()
    (out / "train_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    plots.plot_loss_curve(out / "loss_curve.png", history, cfg.name, cfg.model, cfg.beta, best_epoch)
    px, _ = splits.first_images(test_src, 16)
    x, p01 = splits.normalize(torch.from_numpy(px), spec, torch.device("cpu"))
    plots.save_reconstructions(out / "reconstructions.png", model, x, p01)
    if opts.export_to:
        from . import export as export_mod

        export_mod.export_model(ckpt_path, opts.export_to, cfg.name, progress=opts.progress)
    return ckpt_path


def _save_state(
    out: Path,
    cfg: TrainConfig,
    rt: runtime.Runtime,
    model,
    opt,
    sched,
    scaler,
    noise_gen,
    aug_gen,
    epoch: int,
    step: int,
    history: dict,
    wall: float,
    skipped,
    best: dict,
    ema: Optional[WeightAverage] = None,
) -> None:
    """Every rank takes part (the per-rank generator states are gathered); rank 0 writes."""
    noise = rt.gather_lists([noise_gen.get_state()])
    augment = rt.gather_lists([aug_gen.get_state()])
    if not rt.is_main:
        return
    ckpt_mod.save_state(
        out,
        {
            "config": cfg.to_saved(),
            "world_size": rt.world_size,
            "model": ckpt_mod.model_state(model),
            "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict() if sched is not None else None,
            "scaler": scaler.state_dict(),
            "rng": {"noise": noise, "augment": augment, "torch": torch.get_rng_state()},
            "epoch": epoch,
            "step": step,
            "history": history,
            "wall_seconds": wall,
            "skipped": sorted(skipped),
            "best": dict(best),
            **({"ema": ema.state()} if ema is not None else {}),
        },
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        cfg, opts = config_from_args(argv)
        ckpt = train(cfg, opts=opts)
    except (UsageError, DatasetError, ModelConfigError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Interrupted as e:
        print(str(e), file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted before training started; nothing was saved", file=sys.stderr)
        return 130
    if ckpt is not None:
        print(f"wrote {ckpt}")
    return 0
