"""make anomaly-bench: the standard one-class benchmark on Fashion-MNIST.

For each class: train an autoencoder on that class's training images only (train.py
--normal-class, the validation split held back for calibration), export it (ONNX graphs and the
calibrated `anomaly` block), score all 10,000 test images (normal = that class) and compute the
AUROC of every score. Baselines on the same training images: PCA reconstruction error with k =
the latent size, ML.NET's RandomizedPca on the pixels (bench/AeOnnx.Anomaly.Bench), and the
pixel-space nearest-neighbour distance. AUROC is anomaly.auroc (rank-based, ties counted half).

  bench/anomaly.py                 all ten classes; writes bench/RESULTS.md (its own section) and README.md
  bench/anomaly.py --quick         two classes, fewer epochs: bench/out/anomaly-quick/RESULTS.md only
  bench/anomaly.py --reuse --select-only   the validation AUROC of every CANDIDATE_TERMS entry, nothing else
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training-scripts"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import sections  # noqa: E402
import torch  # noqa: E402

from aeonnx_training import anomaly, calibrate, data, splits  # noqa: E402
from aeonnx_training.checkpoint import load_checkpoint  # noqa: E402

ML_BENCH = ROOT / "bench" / "AeOnnx.Anomaly.Bench" / "bin" / "Release" / "net10.0" / "AeOnnx.Anomaly.Bench"
AEONNX = ROOT / "bin" / "aeonnx"
SECTION = "anomaly-bench"

# One recipe for all ten classes. The warmup keeps the decoder of a dark, sparse class (Sandal) from
# dying in Adam's first steps (without it: validation MSE stuck at 0.0877 = a black image, AE and VAE alike).
# arch/augment/keep_best pin what these figures were measured with (train.py's colour-recipe defaults came later).
RECIPE = dict(
    model="vae",
    latent_dim=16,
    widths="32,64",
    epochs=10,
    batch_size=64,
    lr=2e-3,
    lr_schedule="cosine",
    warmup_steps=200,
    val_fraction=0.1,
    seed=1,
    threads=1,
    arch="plain",
    augment="none",
    keep_best=False,
)
# Candidate combined scores; the benchmark picks one for all classes by validation AUROC (held-out normal
# images against other classes' *training* images), never by test AUROC.
CANDIDATE_TERMS = (
    (("mse", "log"), ("mahalanobis", "identity")),
    (("ssim", "log"), ("mahalanobis", "identity")),
    (("mse", "log"), ("ssim", "log"), ("mahalanobis", "identity")),
    (("mse", "log"), ("ssim", "log")),
    # with the latent nearest-neighbour distance to the training latents (k = 1, references stored with the model)
    (("ssim", "log"), ("mahalanobis", "identity"), ("latent_knn", "identity")),
    (("ssim", "identity"), ("mahalanobis", "identity"), ("latent_knn", "identity")),
    (("ssim", "log"), ("latent_knn", "identity")),
    (("mse", "log"), ("mahalanobis", "identity"), ("latent_knn", "identity")),
)
SELECTION_OTHERS = 2000
QUICK = dict(classes=(6, 1), epochs=4)
SCORES_SHOWN = ("mse", "ssim", "mahalanobis", "neg_elbo", "combined")


def recipe_args(recipe: dict) -> list:
    def flag(k):
        return k.replace("_", "-")

    return [
        a
        for k, v in recipe.items()
        for a in ((f"--{'' if v else 'no-'}{flag(k)}",) if isinstance(v, bool) else (f"--{flag(k)}", str(v)))
    ]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train_class(c: int, recipe: dict, out: Path, py: str, reuse: bool) -> dict:
    """train.py --normal-class in its own process (one torch thread), exported and calibrated."""
    name = data.FASHION_MNIST_CLASSES[c]
    run, model = out / "runs" / f"c{c}", out / "models" / f"c{c}"
    log = out / "logs" / f"c{c}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if not (reuse and (model / "manifest.json").is_file()):
        cmd = [
            py,
            str(ROOT / "training-scripts" / "train.py"),
            "--dataset",
            "fashion-mnist",
            "--normal-class",
            name,
            *recipe_args(recipe),
            "--device",
            "cpu",
            "--name",
            f"fashion-mnist-c{c}-{recipe['model']}",
            "--out",
            str(run),
            "--export-to",
            str(model),
            "--no-progress",
        ]
        with open(log, "w") as f:
            r = subprocess.run(
                cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, env=dict(os.environ, OMP_NUM_THREADS="1")
            )
        if r.returncode != 0:
            raise RuntimeError(f"class {c} training failed (exit {r.returncode}); see {log}")
    return {"class": c, "seconds": time.perf_counter() - t0, "model": model}


def autoencoder_scores(model_dir: Path, test_pixels: np.ndarray) -> dict:
    """Every score of the model (torch on the checkpoint, float32 network, float64 sums) for the
    test images, the combined one from the manifest's calibrated terms."""
    man = json.loads((model_dir / "manifest.json").read_text())
    model, cfg, _ = load_checkpoint(model_dir / "checkpoint.pt")
    src = splits.Source(cfg.input_spec(), test_pixels)
    block = man["anomaly"]
    w = block["ssim"]
    window = anomaly.SsimWindow(int(w["window"]), float(w["sigma"]), float(w["k1"]), float(w["k2"]))
    neighbours = anomaly.LatentNeighbours.read(model_dir, block["latent_knn"]) if "latent_knn" in block else None
    raw = anomaly.raw_scores(
        model,
        src,
        np.asarray(man["latent"]["mean"]),
        np.asarray(man["latent"]["cholesky"]),
        window,
        neighbours=neighbours,
    )
    return anomaly.block_scores(block, raw), man, cfg


def pca_scores(train01: np.ndarray, test01: np.ndarray, k: int) -> np.ndarray:
    """Squared reconstruction error after projecting on the top-k principal components."""
    mean = train01.mean(axis=0)
    _, _, vt = np.linalg.svd(train01 - mean, full_matrices=False)
    basis = vt[:k].T
    t = test01 - mean
    return ((t - (t @ basis) @ basis.T) ** 2).sum(axis=1)


def knn_scores(train01: np.ndarray, test01: np.ndarray, ks=(1, 5), chunk: int = 1000) -> dict:
    """{k: mean Euclidean distance to the k nearest training images} for each k, one pass."""
    tn = (train01**2).sum(axis=1)
    out = {k: [] for k in ks}
    for i in range(0, len(test01), chunk):
        t = test01[i : i + chunk]
        d2 = (t**2).sum(axis=1)[:, None] + tn[None, :] - 2.0 * t @ train01.T
        near = np.sqrt(np.maximum(np.sort(np.partition(d2, max(ks) - 1, axis=1)[:, : max(ks)], axis=1), 0.0))
        for k in ks:
            out[k].append(near[:, :k].mean(axis=1))
    return {k: np.concatenate(v) for k, v in out.items()}


def mlnet_scores(train_px: np.ndarray, test_px: np.ndarray, is_anomaly: np.ndarray, ranks, work: Path) -> dict:
    """RandomizedPca through bench/AeOnnx.Anomaly.Bench: {rank: (scores, ML.NET's own AUC)}."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "train.u8").write_bytes(np.ascontiguousarray(train_px, dtype=np.uint8).tobytes())
    (work / "test.u8").write_bytes(np.ascontiguousarray(test_px, dtype=np.uint8).tobytes())
    (work / "labels.u8").write_bytes(is_anomaly.astype(np.uint8).tobytes())
    dim = int(np.prod(train_px.shape[1:]))
    r = subprocess.run(
        [str(ML_BENCH), "--data", str(work), "--dim", str(dim), "--ranks", ",".join(map(str, ranks)), "--seed", "1"],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise RuntimeError(f"{ML_BENCH.name} failed: {r.stderr[-2000:]}")
    out = {}
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            j = json.loads(line)
            out[j["name"]] = (np.fromfile(work / f"scores-{j['name']}.f32", dtype="<f4").astype(np.float64), j["auc"])
    return out


def terms_text(terms) -> str:
    return " + ".join(f"log({n})" if how == "log" else n for n, how in terms)


def select_terms(trained, fm) -> tuple:
    """The combined score's terms with the best mean validation AUROC over the classes: each class's
    held-out normal images against SELECTION_OTHERS other-class training images (seeded)."""
    table = {i: [] for i in range(len(CANDIDATE_TERMS))}
    for t in trained:
        c = t["class"]
        man = json.loads((t["model"] / "manifest.json").read_text())
        model, cfg, _ = load_checkpoint(t["model"] / "checkpoint.pt")
        tr, va, _ = splits.load_splits(cfg)
        neighbours = anomaly.reference_latents(model, tr, anomaly.ScoreRecipe().knn_k, seed=cfg.seed)
        others = np.sort(
            np.random.default_rng(100 + c).choice(np.nonzero(fm.train.labels != c)[0], SELECTION_OTHERS, replace=False)
        )
        mu, chol = np.asarray(man["latent"]["mean"]), np.asarray(man["latent"]["cholesky"])
        cal = anomaly.raw_scores(model, va, mu, chol, neighbours=neighbours)
        oth = anomaly.raw_scores(
            model, splits.Source(cfg.input_spec(), fm.train.pixels[others]), mu, chol, neighbours=neighbours
        )
        for i, terms in enumerate(CANDIDATE_TERMS):
            fitted = anomaly.fit_terms(cal, terms)
            s = np.concatenate([anomaly.combine(cal, fitted), anomaly.combine(oth, fitted)])
            table[i].append(anomaly.auroc(s, np.r_[np.zeros(len(cal["mse"])), np.ones(len(others))].astype(bool)))
    means = {i: float(np.mean(v)) for i, v in table.items()}
    best = max(means, key=means.get)
    print(
        "combined-score selection (mean validation AUROC): "
        + "; ".join(f"{terms_text(CANDIDATE_TERMS[i])} {means[i]:.4f}" for i in means),
        flush=True,
    )
    return CANDIDATE_TERMS[best], [
        {"terms": terms_text(CANDIDATE_TERMS[i]), "mean_validation_auroc": means[i], "per_class": table[i]}
        for i in means
    ]


def dotnet_spot_check(model_dir: Path, test_px: np.ndarray, scores: dict, work: Path, count: int = 12) -> dict:
    """`aeonnx outliers` on the first test images as PNG files: its mse and mahalanobis against ours."""
    from PIL import Image

    if not AEONNX.is_file():
        return {"skipped": "bin/aeonnx not built (make build)"}
    folder = work / "spot"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.fromarray(test_px[i, 0], "L").save(folder / f"{i:05d}.png")
    csv = work / "spot.csv"
    r = subprocess.run(
        [
            str(AEONNX),
            "outliers",
            str(folder),
            "--model",
            str(model_dir),
            "--output",
            str(csv),
            "--top",
            "1",
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise RuntimeError(f"aeonnx outliers failed: {r.stderr[-2000:]}")
    import csv as csv_mod

    rows = list(csv_mod.DictReader(open(csv)))
    worst = {"mse": 0.0, "mahalanobis": 0.0}
    for row in rows:
        i = int(Path(row["path"]).stem)
        for k in worst:
            ours = scores[k][i]
            worst[k] = max(worst[k], abs(float(row[k]) - ours) / max(abs(ours), 1e-12))
    return {"images": len(rows), "max_rel_diff": worst}


def run(args) -> dict:
    recipe = dict(RECIPE)
    classes = [int(c) for c in args.classes.split(",")] if args.classes else list(range(10))
    if args.quick:
        recipe["epochs"] = QUICK["epochs"]
        classes = list(args.classes and classes or QUICK["classes"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    spec = data.InputSpec(1, 28, 28)
    fm = data.load_fashion_mnist(data.DEFAULT_DATA_DIR, spec)
    test_px, test_y = fm.test.pixels, fm.test.labels
    test01 = test_px.reshape(len(test_px), -1).astype(np.float64) / 255.0

    t0 = time.perf_counter()
    print(
        f"training {len(classes)} one-class models, {args.jobs} at a time (1 torch thread each): {recipe}", flush=True
    )
    with ThreadPoolExecutor(args.jobs) as pool:
        trained = list(pool.map(lambda c: train_class(c, recipe, out, sys.executable, args.reuse), classes))
    train_wall = time.perf_counter() - t0
    terms, selection = select_terms(trained, fm)
    if args.select_only:
        return {"selection": selection, "terms": terms_text(terms)}
    for t in trained:  # every manifest calibrated with the chosen terms (validation split)
        calibrate.calibrate_folder(t["model"], terms=terms)

    per_class = []
    for t in trained:
        c = t["class"]
        normal = test_y == c
        scores, man, cfg = autoencoder_scores(t["model"], test_px)
        tr, va, _ = splits.load_splits(cfg)  # the exact images the autoencoder trained on
        train01 = tr.pixels.reshape(len(tr), -1).astype(np.float64) / 255.0
        res = {
            "class": c,
            "name": data.FASHION_MNIST_CLASSES[c],
            "train_images": len(tr),
            "calibration_images": len(va),
            "train_seconds": round(t["seconds"], 1),
            "auroc": {},
        }
        for k, v in scores.items():
            if k != "index":
                res["auroc"][k] = anomaly.auroc(v, ~normal)
        k = cfg.latent_dim
        res["auroc"]["pca"] = anomaly.auroc(pca_scores(train01, test01, k), ~normal)
        for kk, v in knn_scores(train01, test01, (1, 5)).items():
            res["auroc"][f"knn{kk}"] = anomaly.auroc(v, ~normal)
        if ML_BENCH.is_file():
            ml = mlnet_scores(tr.pixels, test_px, ~normal, (k, 20), out / "mlnet" / f"c{c}")
            for name, (s, auc) in ml.items():
                res["auroc"][f"mlnet_{name}"] = anomaly.auroc(s, ~normal)
                res.setdefault("mlnet_own_auc", {})[name] = auc
        # the calibrated threshold on normal images the calibration never saw: this class's test images
        block = man["anomaly"]
        res["fpr_at_0.01"] = {}
        for name in anomaly.score_names(cfg.model == "vae", "latent_knn" in block):
            thr = anomaly.threshold_for_fpr(block["scores"][name]["sorted"], 0.01)
            res["fpr_at_0.01"][name] = {
                "threshold": thr,
                "fpr": anomaly.false_positive_rate(scores[name][normal], thr),
                "tpr": float((scores[name][~normal] > thr).mean()),
            }
        res["hashes"] = {
            "checkpoint.pt": sha256(t["model"] / "checkpoint.pt"),
            "encoder.onnx": man["encoder"]["sha256"],
            "decoder.onnx": man["decoder"]["sha256"],
        }
        if c == trained[0]["class"]:
            res["dotnet_spot_check"] = dotnet_spot_check(t["model"], test_px, scores, out / "spot" / f"c{c}")
        per_class.append(res)
        a = res["auroc"]
        print(f"class {c} {res['name']}: " + ", ".join(f"{k} {v:.4f}" for k, v in a.items()), flush=True)
    return {
        "recipe": recipe,
        "classes": classes,
        "train_wall_seconds": round(train_wall, 1),
        "selection": selection,
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "jobs": args.jobs,
        "per_class": per_class,
        "machine": machine(),
    }


def machine() -> str:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores; torch {torch.__version__}"


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

AE_COLUMNS = [
    ("combined", "AE combined"),
    ("mse", "AE MSE"),
    ("ssim", "AE 1−SSIM"),
    ("mahalanobis", "AE latent Mahalanobis"),
    ("latent_knn", "AE latent 1-NN"),
]


def baseline_columns(results) -> list:
    k = results["recipe"]["latent_dim"]
    cols = [
        ("pca", f"PCA (k={k})"),
        (f"mlnet_rank{k}-normalized", f"ML.NET RandomizedPca (rank {k})"),
        ("mlnet_rank20-normalized", "ML.NET RandomizedPca (rank 20, default)"),
        ("knn1", "1-NN pixels"),
        ("knn5", "5-NN pixels"),
    ]
    have = set(results["per_class"][0]["auroc"])
    return [c for c in cols if c[0] in have]


def table(results, compact: bool = False) -> list:
    """Markdown rows: every autoencoder score (compact: the combined one) and every baseline."""
    rows = results["per_class"]
    ae = [c for c in AE_COLUMNS if c[0] in rows[0]["auroc"]]
    if "neg_elbo" in rows[0]["auroc"]:
        ae.append(("neg_elbo", "VAE −ELBO"))
    if compact:
        ae = ae[:1]
    base = baseline_columns(results)
    cols = ae + base
    lines = [
        "| class | " + " | ".join(n for _, n in cols) + " | ahead of every baseline |",
        "|---|" + "---:|" * len(cols) + ":---:|",
    ]
    ahead = 0
    for r in rows:
        a = r["auroc"]
        best_base = max(a[k] for k, _ in base)
        win = a["combined"] > best_base
        ahead += win
        cells = []
        for k, _ in cols:
            v = f"{a[k]:.3f}"
            cells.append(f"**{v}**" if a[k] >= max(a[kk] for kk, _ in cols) else v)
        lines.append(f"| {r['class']} {r['name']} | " + " | ".join(cells) + f" | {'yes' if win else 'no'} |")
    means = {k: float(np.mean([r["auroc"][k] for r in rows])) for k, _ in cols}
    lines.append("| **mean** | " + " | ".join(f"**{means[k]:.3f}**" for k, _ in cols) + f" | {ahead} of {len(rows)} |")
    return lines


def report(results, quick: bool) -> str:
    rows = results["per_class"]
    fpr = [r["fpr_at_0.01"][r.get("default_score", "combined")] for r in rows]
    spot = next((r["dotnet_spot_check"] for r in rows if "dotnet_spot_check" in r), None)
    rec = results["recipe"]
    lines = [
        sections.markers(SECTION)[0],
        "## Anomaly detection: one-class Fashion-MNIST (`make anomaly-bench`)",
        "",
        f"Produced by `make anomaly-bench{'-quick' if quick else ''}` on {time.strftime('%Y-%m-%d')} ({results['machine']}). "
        f"For each class: an autoencoder trained on that class's training images only (`train.py --normal-class`, "
        f"{rows[0]['train_images']} images; {rows[0]['calibration_images']} held back for calibration), all 10,000 test images "
        "scored, normal = that class; AUROC (rank-based, ties count half). Baselines fit on the same training images.",
        "",
        *table(results),
        "",
        "Recipe (one for all classes): `train.py --normal-class NAME " + " ".join(recipe_args(rec)) + "`. "
        f"Wall time {results['wall_seconds'] / 60:.1f} min for {len(rows)} classes ({results['jobs']} training jobs at a time, "
        f"training {results['train_wall_seconds'] / 60:.1f} min of it).",
        "",
        "Scores (docs/MODEL-FORMAT.md, `anomaly`): MSE and 1 − SSIM (7×7 Gaussian window, σ 1.5) between the image and its "
        "reconstruction; latent Mahalanobis distance under the training latents' Gaussian (`latent.mean`, `latent.cholesky`); "
        "latent 1-NN: the distance in that whitened latent space to the nearest training image's latent (`anomaly.latent_knn`, "
        "the training latents stored beside the manifest); "
        "combined = Σ (f(score) − mean) / std over the calibrated terms "
        + ", ".join(
            f"{t['transform']}({t['score']})" if t["transform"] != "identity" else t["score"]
            for t in results.get("terms", [])
        )
        + ", statistics from the held-out normal images.",
        "",
        "Calibrated threshold for a false-positive rate of 1% (the 0.99 quantile of the combined score on the held-out normal "
        "images, stored in the manifest), applied to each class's 1,000 normal test images: false-positive rate "
        f"{100 * np.mean([f['fpr'] for f in fpr]):.2f}% on average (per class "
        + ", ".join(f"{100 * f['fpr']:.1f}" for f in fpr)
        + " %), detecting "
        f"{100 * np.mean([f['tpr'] for f in fpr]):.1f}% of the anomalies.",
    ]
    if spot and "max_rel_diff" in spot:
        lines += [
            "",
            f".NET check: `aeonnx outliers` on {spot['images']} test images gives the same MSE (max relative difference "
            f"{spot['max_rel_diff']['mse']:.1e}) and Mahalanobis distance ({spot['max_rel_diff']['mahalanobis']:.1e}) as the Python scores.",
        ]
    lines += [
        "",
        "Checkpoint SHA-256 (first 16 hex digits): "
        + ", ".join(f"{r['class']} `{r['hashes']['checkpoint.pt'][:16]}`" for r in rows)
        + ".",
        sections.markers(SECTION)[1],
    ]
    return "\n".join(lines) + "\n"


def readme_section(results) -> str:
    """The README's copy: the table and the command; details stay in bench/RESULTS.md."""
    start, end = sections.markers(SECTION)
    rows = results["per_class"]
    ahead = sum(r["auroc"]["combined"] > max(r["auroc"][k] for k, _ in baseline_columns(results)) for r in rows)
    mean = float(np.mean([r["auroc"]["combined"] for r in rows]))
    return (
        "\n".join(
            [
                start,
                f"One-class Fashion-MNIST (`make anomaly-bench`, {time.strftime('%Y-%m-%d')}): one autoencoder per class trained on that "
                "class alone, all 10,000 test images scored, AUROC per class; baselines fit on the same images "
                f"([bench/RESULTS.md](bench/RESULTS.md#anomaly-detection-one-class-fashion-mnist-make-anomaly-bench) has every score, "
                f"the recipe, wall time and calibration check). Mean AUROC {mean:.3f}; ahead of every baseline on {ahead} of {len(rows)} classes.",
                "",
                *table(results, compact=True),
                end,
            ]
        )
        + "\n"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"classes {QUICK['classes']}, {QUICK['epochs']} epochs; results only under --out",
    )
    ap.add_argument("--classes", default="", help="comma-separated class indices (default: all ten; quick: 6,1)")
    ap.add_argument("--jobs", type=int, default=2, help="training processes at a time (one torch thread each)")
    ap.add_argument(
        "--out", default=None, help="work folder (default bench/out/anomaly, quick: bench/out/anomaly-quick)"
    )
    ap.add_argument(
        "--reuse", action="store_true", help="keep model folders already trained in --out (default: train afresh)"
    )
    ap.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md and README.md")
    ap.add_argument(
        "--select-only",
        action="store_true",
        help="print the candidates' validation AUROCs and the choice; calibrate and score nothing",
    )
    args = ap.parse_args()
    args.out = args.out or str(ROOT / "bench" / "out" / ("anomaly-quick" if args.quick else "anomaly"))
    results = run(args)
    if args.select_only:
        print(json.dumps(results, indent=1))
        return 0
    man = json.loads((Path(args.out) / "models" / f"c{results['classes'][0]}" / "manifest.json").read_text())
    results["terms"] = man["anomaly"]["combined"]["terms"]
    (Path(args.out) / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    text = report(results, args.quick)
    (Path(args.out) / "RESULTS.md").write_text(text)
    print(text)
    if not args.quick and not args.no_write and not args.classes:
        sections.replace(ROOT / "bench" / "RESULTS.md", SECTION, text)
        sections.replace(ROOT / "README.md", SECTION, readme_section(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
