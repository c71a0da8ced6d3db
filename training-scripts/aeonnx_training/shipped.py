"""The shipped models in models/: their training recipes, retraining and re-export.

  shipped.py --retrain fashion-mnist-ae fashion-mnist-vae   (make train / make models)
  shipped.py --export-only fashion-mnist-ae fashion-mnist-vae (make export)
  shipped.py --list

--retrain trains from scratch into runs/shipped/<name>, exports into models/<name>, and compares
the SHA-256 of the written graphs with the manifest and with the previously committed manifest.
--export-only re-exports from the committed models/<name>/checkpoint.pt and compares the graphs
with the committed manifest. Exit status 1 on any mismatch, 2 on bad arguments.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

# Idle OpenMP workers sleep instead of spinning: on a shared 2-core machine spinning threads
# make training many times slower. Timing only; the results do not depend on it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import emoji  # noqa: E402
from . import export as export_mod  # noqa: E402
from . import synthetic  # noqa: E402
from . import train as train_mod  # noqa: E402
from .checkpoint import load_checkpoint  # noqa: E402
from .config import LEGACY_TRAINING, TrainConfig  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "models"
RUNS_DIR = ROOT / "runs" / "shipped"
# relative to the repository root; generated on demand (bump the suffix when synthetic.py changes)
TINY_RGB_DATA = "runs/data/shapes-rgb-32-v3"
TINY_RGB_COUNT = 1200
EMOJI_DATA = "runs/data/noto-emoji-v1"
#: exported with float16 weights (export.py --weights float16): the same results within 0.1 %, at half the size
FLOAT16_WEIGHTS = ("emoji-ae", "emoji-vae")
#: how each generated dataset is written (into a temporary folder, renamed when complete)
DATASETS = {
    TINY_RGB_DATA: lambda out: synthetic.write_shapes_folder(out, count=TINY_RGB_COUNT, size=32, seed=0),
    EMOJI_DATA: lambda out: emoji.write_emoji_folder(out),
}

# device="cpu": `make train` reproduces the committed checkpoints bit for bit on CPU (same torch
# version and CPU kind); on a GPU machine "auto" would pick CUDA and other (equally good) weights.
RECIPES: Dict[str, dict] = {
    # trained before arch/augment/keep-best existed: LEGACY_TRAINING pins what they were trained with
    "fashion-mnist-ae": dict(
        **LEGACY_TRAINING,
        dataset="fashion-mnist",
        model="ae",
        latent_dim=16,
        widths=(24, 48),
        epochs=10,
        batch_size=64,
        lr=2e-3,
        lr_schedule="cosine",
        latent_penalty=1e-4,
        seed=1,
        threads=2,
        device="cpu",
    ),
    # the result depends on the thread count, not on the cores the machine has
    "fashion-mnist-vae": dict(
        **LEGACY_TRAINING,
        dataset="fashion-mnist",
        model="vae",
        latent_dim=16,
        widths=(24, 48),
        epochs=10,
        batch_size=64,
        lr=2e-3,
        lr_schedule="cosine",
        beta=1.0,
        seed=1,
        threads=2,
        device="cpu",
    ),
    # retrained with the colour recipe (the first tiny-rgb, plain and without PCA, was 1.05x worse than its PCA)
    "tiny-rgb": dict(
        dataset=TINY_RGB_DATA,
        model="ae",
        latent_dim=8,
        widths=(16, 32),
        epochs=40,
        batch_size=16,
        lr=2e-3,
        lr_schedule="cosine",
        image_size=(32, 32),
        channels=3,
        val_fraction=0.1,
        arch="bn",
        pca_residual=True,
        augment="hflip",
        keep_best=True,
        channels_last=False,
        seed=1,
        threads=1,
        device="cpu",
    ),
    # Noto Color Emoji at 64x64 (docs/TRAINING.md, "The colour recipe, measured"): BatchNorm, flips, a
    # decoder four times as wide as the encoder (three times: 0.547x PCA-32, four: 0.528x in 40 epochs,
    # 0.522x in 60, 0.508x with the weights' moving average, --ema 0.999), stored with float16 weights
    # (FLOAT16_WEIGHTS: in float32 its graph and checkpoint passed 5 MB), the best validation epoch of 60;
    # no PCA path (its basis, held three times, made the folder 11 MB)
    "emoji-ae": dict(
        dataset=EMOJI_DATA,
        model="ae",
        latent_dim=32,
        widths=(16, 32, 64),
        decoder_widths=(64, 128, 256),
        epochs=60,
        batch_size=16,
        lr=2e-3,
        lr_schedule="cosine",
        image_size=(64, 64),
        channels=3,
        arch="bn",
        augment="hflip",
        keep_best=True,
        ema=0.999,
        seed=1,
        threads=1,
        device="cpu",
    ),
    # the same network as a VAE (beta 1, Gaussian likelihood with a learned sigma), its epoch kept by the
    # validation MSE: the -ELBO turns up late as sigma shrinks (kept by the loss: 0.520x in 30 epochs;
    # by MSE in 60: 0.503x; with the weights' moving average validated and kept: 0.488x)
    "emoji-vae": dict(
        dataset=EMOJI_DATA,
        model="vae",
        latent_dim=32,
        widths=(16, 32, 64),
        decoder_widths=(64, 128, 256),
        epochs=60,
        batch_size=16,
        lr=2e-3,
        lr_schedule="cosine",
        beta=1.0,
        image_size=(64, 64),
        channels=3,
        arch="bn",
        augment="hflip",
        keep_best=True,
        keep_best_by="mse",
        ema=0.999,
        seed=1,
        threads=1,
        device="cpu",
    ),
}


def config_for(name: str) -> TrainConfig:
    cfg = TrainConfig(**RECIPES[name])
    cfg.name = name
    cfg.out = str(RUNS_DIR / name)
    return cfg


def ensure_data(cfg: TrainConfig) -> None:
    """Write the recipe's generated dataset when it is missing."""
    write = DATASETS.get(cfg.dataset)
    target = ROOT / cfg.dataset
    if write is None or target.is_dir():
        return
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"writing the dataset {cfg.dataset}", flush=True)
    write(tmp)
    tmp.rename(target)


def committed_hashes(name: str) -> Optional[dict]:
    p = MODELS_DIR / name / "manifest.json"
    if not p.is_file():
        return None
    m = json.loads(p.read_text())
    return {"encoder.onnx": m["encoder"]["sha256"], "decoder.onnx": m["decoder"]["sha256"]}


def check(name: str, expected: Optional[dict], what: str) -> bool:
    """Compare the graphs on disk with the new manifest and with `expected` (committed) hashes."""
    folder = MODELS_DIR / name
    manifest = json.loads((folder / "manifest.json").read_text())
    ok = True
    for role in ("encoder", "decoder"):
        f = manifest[role]["file"]
        actual = export_mod.sha256_file(folder / f)
        if actual != manifest[role]["sha256"]:
            print(f"[{name}] MISMATCH {f}: file {actual} != manifest {manifest[role]['sha256']}")
            ok = False
        if expected is None:
            print(f"[{name}] {f} sha256 {actual} (nothing committed to compare with)")
        elif actual == expected[f]:
            print(f"[{name}] {f} sha256 {actual} matches the {what}")
        else:
            print(f"[{name}] MISMATCH {f}: sha256 {actual} differs from the {what} {expected[f]}")
            ok = False
    return ok


def widths_text(cfg: dict) -> str:
    """The widths column: the encoder's, and the decoder's when they differ."""
    text = "/".join(str(w) for w in cfg["widths"])
    if cfg.get("decoder_widths"):
        text += ", decoder " + "/".join(str(w) for w in cfg["decoder_widths"])
    return text


def epochs_text(training: dict, train_metrics: dict) -> str:
    """'10', or '17 (best of 40)' when the checkpoint is the best epoch of a keep-best run ('17 (lowest
    validation MSE of 40)' where keep-best compared the MSE), with ', EMA 0.999' where the weights are a
    moving average."""
    cfg = training["config"]
    ema = f", EMA {cfg['ema']:g}" if cfg.get("ema") else ""
    if not cfg.get("keep_best"):
        return f"{training['epochs']} (last{ema})" if ema else str(training["epochs"])
    run = train_metrics.get("epochs_run", training["epochs"])
    best = train_metrics.get("best_epoch", run)
    if cfg.get("keep_best_by") == "mse":
        return f"{best} (lowest validation MSE of {run}{ema})"
    return f"{best} (best of {run}{ema})"


def write_readme(path: Path = MODELS_DIR / "README.md") -> None:
    """models/README.md from the committed manifests and train_metrics.json files."""
    lines = [
        "# Shipped models",
        "",
        "Written by `training-scripts/shipped.py --readme` from each folder's `manifest.json` and",
        "`train_metrics.json`. Retrain with `make train` (recipes in `training-scripts/shipped.py`),",
        "re-export from the committed checkpoints with `make export` (both check the graphs' SHA-256).",
        "",
        "Metrics are on the test split, in [0,1] pixel space: MSE over all pixels, PSNR = 10·log10(1/MSE),",
        "SSIM with an 11x11 Gaussian window (σ = 1.5, valid windows), PCA = MSE of a PCA with as many",
        "components as the latent, fit on the training split (MSE / PCA below 1: the model beats it; PCA SSIM:",
        "the SSIM of the PCA's reconstructions). VAE figures use the encoder mean; ELBO is",
        "per image in nats for the Gaussian likelihood N(decoder(z), σ²I) over [0,1] pixels with the learned σ",
        "(one sample; a bound on log p(x) for that density, hence positive). Sums are float64.",
        "Wall time is the training loop only, on the shared 2-core development machine while other jobs",
        "(.NET builds and tests) ran, so it is indicative only.",
        "",
    ]
    for name in RECIPES:
        folder = MODELS_DIR / name
        if not (folder / "manifest.json").is_file():
            continue
        m = json.loads((folder / "manifest.json").read_text())
        tm = (
            json.loads((folder / "train_metrics.json").read_text()) if (folder / "train_metrics.json").is_file() else {}
        )
        t, mt, cfg = m["training"], m["metrics"], m["training"]["config"]
        inp = m["input"]
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        lines += [
            f"## {name}",
            "",
            f"{'Convolutional VAE (β = ' + format(cfg['beta'], 'g') + ', Gaussian likelihood, σ = ' + format(mt.get('sigma', float('nan')), '.4f') + ')' if m['kind'] == 'vae' else 'Convolutional AE (latent penalty ' + format(cfg.get('latent_penalty', 0.0), 'g') + ')'}"
            + (
                " with the PCA-initialised residual path (`pca_residual`: latent = whitened PCA projection + a learned "
                "correction, image = PCA reconstruction + a learned residual)"
                if cfg.get("pca_residual")
                else ""
            )
            + f", {inp['channels']}×{inp['height']}×{inp['width']} {inp['color']}, dataset `{t['dataset']}` "
            f"({t.get('train_count')} train / {t.get('val_count')} validation / {mt['test_count']} test images). "
            f"Folder size {size / 1e6:.2f} MB"
            + (
                " (weights stored as float16 and computed in float32: `export.py --weights float16`)."
                if name in FLOAT16_WEIGHTS
                else "."
            )
            + (
                f" The images are generated by `training-scripts/synthetic.py` ({TINY_RGB_COUNT} PNGs, seed 0; "
                "shipped.py writes them when missing): one colored circle, square, triangle or stripe band "
                "on a shaded background, subfolder = label."
                if t["dataset"] == TINY_RGB_DATA
                else ""
            )
            + (
                " The images are every colour bitmap of Debian's Noto Color Emoji font composited on white "
                "(`training-scripts/aeonnx_training/emoji.py`; shipped.py writes them when missing), one folder per "
                "Unicode emoji group."
                if t["dataset"] == EMOJI_DATA
                else ""
            ),
            "",
            "| latent | arch | widths | epochs | batch | lr | wall time | threads | test MSE | PSNR (dB) | SSIM "
            "| PCA MSE | MSE / PCA | PCA SSIM |" + (" ELBO (nats) |" if m["kind"] == "vae" else ""),
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if m["kind"] == "vae" else ""),
            f"| {m['latent']['dim']} | {cfg.get('arch', 'plain')} | {widths_text(cfg)} "
            f"| {epochs_text(t, tm)} | {cfg['batch_size']} "
            f"| {cfg['lr']:g} ({cfg['lr_schedule']}) | {tm.get('wall_seconds', float('nan')):.0f} s | {t['threads']} "
            f"| {mt['mse']:.5f} | {mt['psnr']:.2f} | {mt['ssim']:.4f} | {mt['pca_mse']:.5f} | {mt['pca_ratio']:.3f}x "
            f"| {mt['pca_ssim']:.4f} |" + (f" {mt['elbo']:.1f} |" if m["kind"] == "vae" else ""),
            "",
            "Reconstructions (top: test images, bottom: decoder(encoder(x))):",
            "",
            f"![{name} reconstructions]({name}/reconstructions.png)",
            "",
            (
                "Samples from the prior N(0, I):"
                if m["kind"] == "vae"
                else "Samples from a Gaussian fit to the training latents (manifest mean and Cholesky factor):"
            ),
            "",
            f"![{name} samples]({name}/samples.png)",
            "",
            f"![{name} loss curve]({name}/loss_curve.png)",
            "",
        ]
    path.write_text("\n".join(lines))


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--retrain", action="store_true", help="train from scratch, then export")
    mode.add_argument("--export-only", action="store_true", help="re-export from models/<name>/checkpoint.pt")
    mode.add_argument("--list", action="store_true", help="print the recipes")
    mode.add_argument("--readme", action="store_true", help="rewrite models/README.md from the manifests")
    ap.add_argument("names", nargs="*", help=f"models (default: all of {', '.join(RECIPES)})")
    a = ap.parse_args(argv)
    names: List[str] = a.names or list(RECIPES)
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        print(f"error: unknown model(s) {unknown}; known: {list(RECIPES)}", file=sys.stderr)
        return 2
    if a.readme:
        write_readme()
        print(f"wrote {MODELS_DIR / 'README.md'}")
        return 0
    if a.list:
        for n in names:
            print(n, json.dumps(config_for(n).to_saved()))
        return 0
    os.chdir(ROOT)  # dataset paths in the recipes are relative to the repository root
    all_ok = True
    for name in names:
        before = committed_hashes(name)
        if a.retrain:
            cfg = config_for(name)
            ensure_data(cfg)
            print(f"[{name}] training: {json.dumps(cfg.to_saved())}", flush=True)
            ckpt = train_mod.train(cfg)
            weights = "float16" if name in FLOAT16_WEIGHTS else "float32"
            export_mod.export_model(ckpt, MODELS_DIR / name, name, weights=weights)
            all_ok &= check(name, before, "previously committed manifest")
        else:
            ckpt = MODELS_DIR / name / "checkpoint.pt"
            if not ckpt.is_file():
                print(f"error: {ckpt} not found (run shipped.py --retrain {name})", file=sys.stderr)
                return 2
            _, cfg, _ = load_checkpoint(ckpt)
            ensure_data(cfg)
            export_mod.export_model(ckpt, MODELS_DIR / name, name)
            all_ok &= check(name, before, "committed manifest")
    write_readme()
    print("shipped models: " + ("all graphs match" if all_ok else "MISMATCH (see above)"))
    return 0 if all_ok else 1
