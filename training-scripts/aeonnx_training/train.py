"""Train a convolutional AE or VAE on Fashion-MNIST or a folder of images.

Writes into --out: checkpoint.pt (weights + config + versions; bit-identical for the same
config, seed, threads, world size and torch version), resume.pt (optimizer, scheduler, RNG
states, epoch, step: written atomically every --checkpoint-every epochs), train_metrics.json
(wall time, losses, device), loss_curve.png, reconstructions.png, skipped.txt (undecodable files).

  train.py --dataset fashion-mnist --model ae --latent-dim 16 --epochs 12 --out runs/ae
  train.py --resume runs/ae [--epochs 20]                  continue (or extend) a run
  torchrun --standalone --nproc_per_node=2 train.py --device cpu ...   data-parallel (gloo/nccl)

Under torchrun every process trains on its DistributedSampler shard with --batch-size images per
step (global batch = batch size x processes); rank 0 alone logs, checkpoints and exports.
"""
from __future__ import annotations

import argparse
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
from . import plots, runtime, splits  # noqa: E402
from .config import TrainConfig, UsageError, machine_facts, parse_floats, parse_ints, parse_size, setup_torch, versions  # noqa: E402
from .data import DatasetError  # noqa: E402
from .models import AutoEncoder, ModelConfigError, loss_terms  # noqa: E402


@dataclass
class RunOptions:
    """How this invocation runs; none of it changes the trained weights."""
    resume: Optional[str] = None
    stop_after_epochs: int = 0        # 0 = run to --epochs
    checkpoint_every: int = 1         # epochs between resume.pt writes
    export_to: Optional[str] = None
    progress: bool = True


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
    ap.add_argument("--epochs", type=int, default=None, help=f"training epochs (default {d.epochs}; with --resume: "
                    "the new total, default the run's own)")
    ap.add_argument("--batch-size", type=int, default=d.batch_size, help="batch size per process")
    ap.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    ap.add_argument("--lr-schedule", choices=("cosine", "none"), default=d.lr_schedule,
                    help="cosine: decay to 5%% of --lr over the run")
    ap.add_argument("--warmup-steps", type=int, default=d.warmup_steps,
                    help="linear learning-rate warmup over this many steps (default %(default)s: none); keeps a "
                         "decoder trained on sparse images (one dark class) from dying in Adam's first steps")
    ap.add_argument("--beta", type=float, default=d.beta, help="VAE KL weight (1 = the ELBO)")
    ap.add_argument("--latent-penalty", type=float, default=d.latent_penalty,
                    help="AE: weight of mean(z^2) in the loss, keeps the latent scale modest")
    ap.add_argument("--widths", type=parse_ints, default="32,64",
                    help="channels per stage (one stage per 2x down to <= 8 px); missing ones double the last, extra ones are unused")
    ap.add_argument("--image-size", type=parse_size, default="28x28", help="model image size HxW (8..256)")
    ap.add_argument("--channels", type=int, default=d.channels, help="1 (gray) or 3 (rgb)")
    ap.add_argument("--mean", type=parse_floats, default="", help="input normalization mean per channel (default 0)")
    ap.add_argument("--std", type=parse_floats, default="", help="input normalization std per channel (default 1)")
    ap.add_argument("--seed", type=int, default=d.seed, help="seed for init, shuffling, splits and VAE noise")
    ap.add_argument("--threads", type=int, default=d.threads, help="torch CPU threads per process (part of reproducibility)")
    ap.add_argument("--limit", type=int, default=d.limit, help="use at most N training and N test images (0 = all)")
    ap.add_argument("--val-fraction", type=float, default=d.val_fraction, help="share of training images held out for validation")
    ap.add_argument("--normal-class", default=d.normal_class, metavar="NAME",
                    help="train on the images of this class only (anomaly detection: the normal class); a "
                         "Fashion-MNIST class name (e.g. Shirt) or a subfolder name of --dataset; '' = all images")
    ap.add_argument("--device", default=d.device, help="auto (CUDA when available), cpu, cuda or cuda:N")
    ap.add_argument("--amp", choices=("none", "bf16", "fp16"), default=d.amp,
                    help="mixed precision for forward/backward (fp16: CUDA only, with loss scaling)")
    ap.add_argument("--workers", type=int, default=d.workers,
                    help="DataLoader decode workers for image folders (-1: min(4, CPUs-1); 0: in-process)")
    ap.add_argument("--name", default=AUTO_NAME, help="model name")
    ap.add_argument("--out", default=AUTO_OUT, help="run folder")
    ap.add_argument("--resume", default=None, metavar="RUN_DIR",
                    help="continue the run in RUN_DIR from its resume.pt (its saved config is used; "
                         "--epochs, --device, --workers, --export-to apply)")
    ap.add_argument("--checkpoint-every", type=int, default=1, help="write resume.pt every N epochs (and at the end)")
    ap.add_argument("--stop-after-epochs", type=int, default=0,
                    help="stop this invocation after N epochs (resume later), e.g. to fit a job time limit; 0 = run to --epochs")
    ap.add_argument("--export-to", default=None, metavar="MODEL_DIR", help="export the model folder there when training ends")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar, epoch lines only")
    return ap


def config_from_args(argv: Optional[Sequence[str]] = None) -> Tuple[TrainConfig, RunOptions]:
    a = build_parser().parse_args(argv)
    opts = RunOptions(resume=a.resume, stop_after_epochs=a.stop_after_epochs, checkpoint_every=a.checkpoint_every,
                      export_to=a.export_to, progress=not a.no_progress)
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
        dataset=a.dataset, data_dir=a.data_dir, model=a.model, latent_dim=a.latent_dim,
        epochs=a.epochs if a.epochs is not None else TrainConfig.epochs, batch_size=a.batch_size, lr=a.lr,
        lr_schedule=a.lr_schedule, warmup_steps=a.warmup_steps, beta=a.beta, latent_penalty=a.latent_penalty, widths=tuple(a.widths),
        image_size=tuple(a.image_size), channels=a.channels, mean=tuple(a.mean), std=tuple(a.std), seed=a.seed,
        threads=a.threads, limit=a.limit, val_fraction=a.val_fraction, amp=a.amp, normal_class=a.normal_class,
        name="" if a.name == AUTO_NAME else a.name, out="" if a.out == AUTO_OUT else a.out,
        device=a.device, workers=a.workers)
    if not cfg.name:
        base = "fashion-mnist" if cfg.dataset == "fashion-mnist" else Path(cfg.dataset).resolve().name
        if cfg.normal_class:
            base += "-" + ("".join(ch if ch.isalnum() else "-" for ch in cfg.normal_class.lower()).strip("-") or "class")
        cfg.name = f"{base}-{cfg.model}"
    if not cfg.out:
        cfg.out = str(Path("runs") / cfg.name)
    return cfg, opts


@torch.no_grad()
def mean_loss(model: AutoEncoder, source: splits.Source, batch_size: int, seed: int, workers: int,
              device: torch.device) -> Tuple[float, float]:
    """Mean (loss, MSE) over a split, with a fixed-seed generator for the VAE noise."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    tot, tot_mse, n = 0.0, 0.0, 0
    for b in splits.batches(source, batch_size, workers):
        if not len(b):
            continue
        x, t = splits.normalize(b.pixels, source.spec, device)
        loss, mse = model.loss(x, t, g)
        tot += float(loss) * len(b)
        tot_mse += float(mse) * len(b)
        n += len(b)
    return tot / max(n, 1), tot_mse / max(n, 1)


def _fmt_seconds(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def train(cfg: TrainConfig, progress: bool = True, opts: Optional[RunOptions] = None) -> Optional[Path]:
    """Train (or resume) and write the run folder; returns the checkpoint path, or None when the
    invocation stopped early (--stop-after-epochs) or is not rank 0."""
    opts = opts or RunOptions(progress=progress)
    cfg.validate()
    rt = runtime.start(cfg.device)
    try:
        return _train(cfg, opts, rt)
    finally:
        rt.close()


def _train(cfg: TrainConfig, opts: RunOptions, rt: runtime.Runtime) -> Optional[Path]:
    from tqdm import tqdm

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
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sampler = DistributedSampler(train_src.dataset(), num_replicas=rt.world_size, rank=rt.rank, shuffle=True,
                                 seed=cfg.seed + 1000, drop_last=False)
    steps_per_epoch = math.ceil(len(sampler) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    sched = None
    warm = cfg.warmup_steps
    if cfg.lr_schedule == "cosine" and not warm:
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    elif cfg.lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / warm) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))))
    elif warm:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm))
    scaler = torch.cuda.amp.GradScaler(enabled=cfg.amp == "fp16")
    # a CPU generator, so CPU and CUDA runs draw the same VAE noise; one stream per rank
    noise_gen = torch.Generator().manual_seed(cfg.seed + 2000 + 7919 * rt.rank)
    history = {"train_loss": [], "train_mse": [], "val_loss": [], "val_mse": [], "epoch_seconds": []}
    start_epoch, step, wall_before, skipped = 0, 0, 0.0, set()

    if opts.resume:
        st = ckpt_mod.load_state(opts.resume)
        if st["world_size"] != rt.world_size:
            raise UsageError(f"--resume {opts.resume}: the run used {st['world_size']} process(es), this one has "
                             f"{rt.world_size}; the same world size is needed to continue the same run")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["optimizer"])
        if sched is not None:
            sched.load_state_dict(st["scheduler"])
        scaler.load_state_dict(st["scaler"])
        noise_gen.set_state(st["rng"]["noise"][rt.rank])
        torch.set_rng_state(st["rng"]["torch"])
        history = {k: list(v) for k, v in st["history"].items()}
        start_epoch, step, wall_before = int(st["epoch"]), int(st["step"]), float(st["wall_seconds"])
        skipped = set(st["skipped"])
        if start_epoch >= cfg.epochs:
            log(f"{out}: already trained {start_epoch} epoch(s) of {cfg.epochs}; pass --epochs N to extend")

    ddp = model
    if rt.distributed:
        ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
    log(f"training {cfg.name}: {len(train_src)} train / {len(val_src)} val images, device {device}, "
        f"{rt.world_size} process(es), amp {cfg.amp}, epochs {start_epoch + 1}..{cfg.epochs}")

    t0 = time.perf_counter()
    images_done, images_todo = 0, len(sampler) * max(0, cfg.epochs - start_epoch)
    epochs_run = 0
    for epoch in range(start_epoch, cfg.epochs):
        if opts.stop_after_epochs and epochs_run >= opts.stop_after_epochs:
            break
        te = time.perf_counter()
        sampler.set_epoch(epoch)
        order = list(iter(sampler))
        ddp.train()
        run_loss, run_mse, seen = 0.0, 0.0, 0
        bar = tqdm(total=len(order), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="img", unit_scale=True,
                   disable=not (opts.progress and rt.is_main and sys.stderr.isatty()), leave=False, file=sys.stderr)
        for b in splits.batches(train_src, cfg.batch_size, cfg.workers, order):
            skipped.update(b.skipped)
            pixels = b.pixels
            weight = 1.0
            if not len(b):
                # every file of this batch was undecodable: a zero-weight step keeps the ranks in step
                pixels, weight = torch.zeros((1, *(spec.channels, spec.height, spec.width)), dtype=torch.uint8), 0.0
            x, t = splits.normalize(pixels, spec, device)
            with runtime.autocast(cfg.amp, device):
                recon, mean, logvar = ddp(x, noise_gen)
            loss, mse = loss_terms(model, recon, t, mean, logvar)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss * weight).backward()
            scaler.step(opt)
            scaler.update()
            if sched is not None:
                sched.step()
            step += 1
            if weight:
                run_loss += float(loss) * len(b)
                run_mse += float(mse) * len(b)
                seen += len(b)
            bar.update(len(order) and min(cfg.batch_size, len(order) - bar.n))
            if step % 20 == 0 and seen:
                bar.set_postfix(loss=f"{run_loss / seen:.4f}", mse=f"{run_mse / seen:.4f}")
        bar.close()
        run_loss, run_mse, seen = rt.all_sum([run_loss, run_mse, float(seen)])
        if rt.is_main:
            vl, vm = mean_loss(model, val_src, 512, cfg.seed + 3000, cfg.workers, device)
        else:
            vl, vm = 0.0, 0.0
        vl, vm = rt.all_sum([vl, vm])
        skipped = set(rt.gather_lists(sorted(skipped)))
        history["train_loss"].append(run_loss / max(seen, 1))
        history["train_mse"].append(run_mse / max(seen, 1))
        history["val_loss"].append(vl)
        history["val_mse"].append(vm)
        history["epoch_seconds"].append(round(time.perf_counter() - te, 3))
        epochs_run += 1
        images_done += len(order)
        elapsed = time.perf_counter() - t0
        rate = images_done * rt.world_size / elapsed if elapsed > 0 else float("nan")
        eta = elapsed / images_done * (images_todo - images_done) if images_done else float("nan")
        log(f"epoch {epoch + 1}/{cfg.epochs}: train loss {history['train_loss'][-1]:.5f} mse {history['train_mse'][-1]:.5f}"
            f" | val loss {vl:.5f} mse {vm:.5f} | {history['epoch_seconds'][-1]:.1f}s, {rate:.0f} img/s, "
            f"ETA {_fmt_seconds(eta)}")
        if epoch == start_epoch and skipped:
            splits.report_skipped(sorted(skipped), out / "skipped.txt" if rt.is_main else None, log)
        last = epoch + 1 == cfg.epochs or (opts.stop_after_epochs and epochs_run >= opts.stop_after_epochs)
        if (epoch + 1) % opts.checkpoint_every == 0 or last:
            _save_state(out, cfg, rt, model, opt, sched, scaler, noise_gen, epoch + 1, step, history,
                        wall_before + (time.perf_counter() - t0), skipped)
        rt.barrier()
    wall = wall_before + (time.perf_counter() - t0)

    done = len(history["train_loss"]) >= cfg.epochs
    if not done:
        log(f"stopped after epoch {len(history['train_loss'])} of {cfg.epochs}; continue with: "
            f"train.py --resume {out}")
        return None
    if not rt.is_main:
        return None
    model.to("cpu")
    ckpt_path = out / "checkpoint.pt"
    ckpt_mod.save_checkpoint(ckpt_path, model, cfg, history, len(train_src), len(val_src), train_src.class_names)
    metrics = {
        "name": cfg.name, "wall_seconds": round(wall, 1), "threads": cfg.threads,
        "device": str(device), "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "precision": "float32" if cfg.amp == "none" else f"amp-{cfg.amp}", "world_size": rt.world_size,
        "epochs": cfg.epochs, "epoch_seconds": history["epoch_seconds"],
        "train_count": len(train_src), "val_count": len(val_src), "test_count": len(test_src),
        "skipped_files": len(skipped),
        "final_train_loss": history["train_loss"][-1], "final_val_loss": history["val_loss"][-1],
        "final_val_mse": history["val_mse"][-1], "versions": versions(), "machine": machine_facts(cfg.threads),
    }
    if model.variational:
        metrics["likelihood_sigma"] = model.sigma()
    (out / "train_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    plots.plot_loss_curve(out / "loss_curve.png", history, cfg.name, cfg.model, cfg.beta)
    px, _ = splits.first_images(test_src, 16)
    x, p01 = splits.normalize(torch.from_numpy(px), spec, torch.device("cpu"))
    plots.save_reconstructions(out / "reconstructions.png", model, x, p01)
    if opts.export_to:
        from . import export as export_mod
        export_mod.export_model(ckpt_path, opts.export_to, cfg.name, progress=opts.progress)
    return ckpt_path


def _save_state(out: Path, cfg: TrainConfig, rt: runtime.Runtime, model, opt, sched, scaler, noise_gen,
                epoch: int, step: int, history: dict, wall: float, skipped) -> None:
    """Every rank takes part (the per-rank noise generator states are gathered); rank 0 writes."""
    noise = rt.gather_lists([noise_gen.get_state()])
    if not rt.is_main:
        return
    ckpt_mod.save_state(out, {
        "config": cfg.to_saved(), "world_size": rt.world_size,
        "model": ckpt_mod.model_state(model), "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict() if sched is not None else None,
        "scaler": scaler.state_dict(),
        "rng": {"noise": noise, "torch": torch.get_rng_state()},
        "epoch": epoch, "step": step, "history": history, "wall_seconds": wall, "skipped": sorted(skipped),
    })


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        cfg, opts = config_from_args(argv)
        ckpt = train(cfg, opts=opts)
    except (UsageError, DatasetError, ModelConfigError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if ckpt is not None:
        print(f"wrote {ckpt}")
    return 0
