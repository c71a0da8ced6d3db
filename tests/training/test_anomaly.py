"""One-class training (--normal-class), anomaly scores, AUROC and calibration against hand-computed values."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from aeonnx_training import anomaly, calibrate, evaluate, export, splits, synthetic, train
from aeonnx_training.checkpoint import load_checkpoint
from aeonnx_training.config import TrainConfig, UsageError
from aeonnx_training.data import DatasetError
from aeonnx_training.models import gaussian_nll, kl_divergence
from conftest import needs_fashion_mnist, run_script, tiny_args


# ---------------------------------------------------------------------------------------------
# AUROC, ranks, quantiles: hand-worked examples
# ---------------------------------------------------------------------------------------------


def test_auroc_hand_worked_with_ties():
    # anomalies 0.35, 0.8, 0.4 against normals 0.1, 0.4: of the 6 pairs the anomaly scores higher
    # in 4 ((0.35,0.1) (0.8,0.1) (0.8,0.4) (0.4,0.1)), lower in 1 ((0.35,0.4)), ties in 1 ((0.4,0.4)):
    # (4 + 0.5) / 6 = 0.75
    assert anomaly.auroc([0.1, 0.4, 0.35, 0.8, 0.4], [0, 0, 1, 1, 1]) == 0.75


def test_auroc_extremes_and_symmetry():
    assert anomaly.auroc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert anomaly.auroc([1, 2, 3, 4], [1, 1, 0, 0]) == 0.0
    assert anomaly.auroc([5, 5, 5, 5], [0, 1, 0, 1]) == 0.5
    rng = np.random.default_rng(0)
    s, y = rng.normal(size=200), rng.integers(0, 2, 200)
    assert anomaly.auroc(s, y) == pytest.approx(1 - anomaly.auroc(-s, y))


def test_auroc_equals_pair_count_on_random_data():
    rng = np.random.default_rng(1)
    s = np.round(rng.normal(size=300), 1)  # many ties
    y = rng.integers(0, 2, 300).astype(bool)
    a, n = s[y], s[~y]
    pairs = (a[:, None] > n[None, :]).sum() + 0.5 * (a[:, None] == n[None, :]).sum()
    assert anomaly.auroc(s, y) == pytest.approx(pairs / (len(a) * len(n)), abs=1e-12)


def test_auroc_refuses_one_class_and_bad_shapes():
    with pytest.raises(ValueError, match="both anomalous and normal"):
        anomaly.auroc([1, 2], [0, 0])
    with pytest.raises(ValueError, match="one length"):
        anomaly.auroc([1, 2, 3], [0, 1])
    with pytest.raises(ValueError, match="finite"):
        anomaly.auroc([1, float("nan")], [0, 1])


def test_midranks():
    assert anomaly.midranks([3, 1, 3, 2]).tolist() == [3.5, 1.0, 3.5, 2.0]
    assert anomaly.midranks([7, 7, 7]).tolist() == [2.0, 2.0, 2.0]


def test_quantile_linear_between_order_statistics():
    v = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert anomaly.quantile(v, 0.9) == pytest.approx(4.6)  # h = 4·0.9 = 3.6: 4 + 0.6·(5 - 4)
    assert anomaly.quantile(v, 0.5) == 3.0
    assert anomaly.quantile(v, 0.0) == 1.0 and anomaly.quantile(v, 1.0) == 5.0
    assert anomaly.threshold_for_fpr(v, 0.1) == pytest.approx(4.6)
    rng = np.random.default_rng(2)
    s = np.sort(rng.normal(size=101))
    for q in (0.5, 0.9, 0.99, 0.999):
        assert anomaly.quantile(s, q) == pytest.approx(float(np.quantile(s, q)), abs=1e-12)
    with pytest.raises(ValueError, match="between 0 and 1"):
        anomaly.threshold_for_fpr(v, 0.0)


def test_threshold_gives_the_asked_false_positive_rate_on_other_draws():
    # the calibration rule itself: a threshold from 5,000 normal scores flags ~1% of 200,000 others
    rng = np.random.default_rng(3)
    cal = np.sort(rng.gamma(2.0, size=5000))
    other = rng.gamma(2.0, size=200_000)
    for fpr in (0.01, 0.05):
        got = anomaly.false_positive_rate(other, anomaly.threshold_for_fpr(cal, fpr))
        # the quantile estimate's own error dominates: sqrt(fpr (1 - fpr) / 5000) ~ 0.0014 at 1%
        assert abs(got - fpr) < 4 * math.sqrt(fpr * (1 - fpr) / 5000), (fpr, got)


# ---------------------------------------------------------------------------------------------
# Score definitions
# ---------------------------------------------------------------------------------------------


def test_mahalanobis_by_forward_substitution():
    # L = [[2, 0], [1, 1]], z - mu = (2, 3): L y = (2, 3) gives y = (1, 2), distance sqrt(5)
    L = np.array([[2.0, 0.0], [1.0, 1.0]])
    d = anomaly.mahalanobis(np.array([[3.0, 4.0], [1.0, 1.0]]), np.array([1.0, 1.0]), L)
    assert d[0] == pytest.approx(math.sqrt(5.0), abs=1e-12) and d[1] == 0.0
    rng = np.random.default_rng(4)
    a = rng.normal(size=(5, 5))
    cov = a @ a.T + np.eye(5)
    z, mu = rng.normal(size=(7, 5)), rng.normal(size=5)
    direct = np.sqrt(np.einsum("ni,ij,nj->n", z - mu, np.linalg.inv(cov), z - mu))
    assert anomaly.mahalanobis(z, mu, np.linalg.cholesky(cov)) == pytest.approx(direct, rel=1e-10)


def test_ssim_score_matches_the_metric_and_is_zero_for_identical_images():
    rng = np.random.default_rng(5)
    a = torch.from_numpy(rng.random((3, 1, 16, 16)))
    b = (a + 0.1 * torch.from_numpy(rng.random((3, 1, 16, 16)))).clamp(0, 1)
    eleven = anomaly.SsimWindow(size=11, sigma=1.5)
    assert anomaly.ssim_per_image(a, b, eleven).numpy() == pytest.approx(evaluate.ssim(a, b).numpy(), abs=1e-12)
    assert anomaly.ssim_per_image(a, a, anomaly.SsimWindow()).numpy() == pytest.approx(np.ones(3), abs=1e-12)


def test_combined_score_hand_computed():
    raw = {"mse": np.exp([0.0, 1.0, 2.0]), "mahalanobis": np.array([1.0, 2.0, 6.0])}
    terms = anomaly.fit_terms(raw, (("mse", "log"), ("mahalanobis", "identity")))
    # log mse = 0, 1, 2: mean 1, population std sqrt(2/3); mahalanobis: mean 3, std sqrt(14/3)
    assert [t["score"] for t in terms] == ["mse", "mahalanobis"]
    assert terms[0]["mean"] == pytest.approx(1.0, rel=1e-7) and terms[0]["std"] == pytest.approx(
        math.sqrt(2 / 3), rel=1e-7
    )
    assert terms[1]["mean"] == pytest.approx(3.0, rel=1e-7) and terms[1]["std"] == pytest.approx(
        math.sqrt(14 / 3), rel=1e-7
    )
    want = [
        (-1) / math.sqrt(2 / 3) + (-2) / math.sqrt(14 / 3),
        0 + (-1) / math.sqrt(14 / 3),
        1 / math.sqrt(2 / 3) + 3 / math.sqrt(14 / 3),
    ]
    assert anomaly.combine(raw, terms) == pytest.approx(want, rel=1e-6)
    # stored as float32, so any reader combines with the same numbers
    assert all(t["std"] == float(np.float32(t["std"])) for t in terms)
    with pytest.raises(anomaly.CalibrationError, match="no score 'neg_elbo'"):
        anomaly.fit_terms(raw, (("neg_elbo", "identity"),))
    with pytest.raises(ValueError, match="unknown transform"):
        anomaly.transform(raw["mse"], "sqrt")


# ---------------------------------------------------------------------------------------------
# --normal-class
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes400(tmp_path_factory):
    """400 images 16x16 in 4 class subfolders (~100 each)."""
    return synthetic.write_shapes_folder(tmp_path_factory.mktemp("shapes400") / "shapes", count=400, size=16, seed=7)


def _cfg(dataset, **kw):
    base = dict(
        dataset=str(dataset),
        image_size=(16, 16),
        channels=3,
        latent_dim=4,
        widths=(4,),
        epochs=2,
        batch_size=16,
        threads=1,
        seed=5,
        workers=0,
    )
    base.update(kw)
    return TrainConfig(**base)


def test_normal_class_folder_keeps_that_class_only(shapes400):
    tr, va, te = splits.load_splits(_cfg(shapes400, normal_class="circle", val_fraction=0.3))
    circles = sorted(p.name for p in (shapes400 / "circle").iterdir())
    got = sorted(f.split("/")[-1] for s in (tr, va, te) for f in s.files)
    assert got == circles
    for s in (tr, va, te):
        assert all(f.startswith("circle/") for f in s.files) and set(s.labels.tolist()) == {
            s.class_names.index("circle")
        }
    whole = splits.load_splits(_cfg(shapes400))
    assert sum(map(len, whole)) == 400 and len(tr) + len(va) + len(te) == len(circles) < 400


def test_normal_class_errors_name_the_classes(shapes400, tmp_path, capsys):
    with pytest.raises(DatasetError, match="no such class; the classes are: circle, square, stripes, triangle"):
        splits.load_splits(_cfg(shapes400, normal_class="hexagon"))
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in sorted((shapes400 / "circle").iterdir())[:4]:
        (flat / f.name).write_bytes(f.read_bytes())
    with pytest.raises(DatasetError, match="the images have no classes"):
        splits.load_splits(_cfg(flat, normal_class="circle"))
    assert train.main([*tiny_args(str(shapes400), tmp_path / "out"), "--normal-class", "hexagon"]) == 2
    assert "error: --normal-class hexagon: no such class" in capsys.readouterr().err


@needs_fashion_mnist
def test_normal_class_fashion_mnist():
    cfg = TrainConfig(normal_class="Shirt", val_fraction=0.1)
    tr, va, te = splits.load_splits(cfg)
    assert (len(tr), len(va), len(te)) == (5400, 600, 1000)
    for s in (tr, va, te):
        assert set(s.labels.tolist()) == {6}
    cfg2, _ = train.config_from_args(["--normal-class", "T-shirt/top"])
    assert cfg2.name == "fashion-mnist-t-shirt-top-ae" and cfg2.out.endswith("fashion-mnist-t-shirt-top-ae")


def test_config_without_normal_class_keeps_its_saved_keys():
    assert "normal_class" not in TrainConfig().to_saved()
    saved = TrainConfig(normal_class="Bag").to_saved()
    assert saved["normal_class"] == "Bag" and TrainConfig.from_saved(saved).normal_class == "Bag"


# ---------------------------------------------------------------------------------------------
# Calibration at export and by calibrate.py
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_class_models(shapes400, tmp_path_factory):
    """A tiny AE and VAE trained on the circles only, exported (calibrated on their validation split)."""
    base = tmp_path_factory.mktemp("oneclass")
    out = {}
    for kind in ("ae", "vae"):
        cfg = _cfg(
            shapes400,
            model=kind,
            normal_class="circle",
            val_fraction=0.3,
            name=f"circle-{kind}",
            out=str(base / f"run-{kind}"),
        )
        ckpt = train.train(cfg, progress=False)
        export.export_model(ckpt, base / kind, progress=False)
        out[kind] = base / kind
    return out


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_export_calibrates_one_class_models(one_class_models, kind):
    folder = one_class_models[kind]
    man = json.loads((folder / "manifest.json").read_text())
    block = man["anomaly"]
    model, cfg, _ = load_checkpoint(folder / "checkpoint.pt")
    _, va, _ = splits.load_splits(cfg)
    assert block["format"] == "aeonnx.anomaly/1" and block["score"] == "combined"
    assert block["calibration"]["images"] == len(va) >= anomaly.MIN_CALIBRATION_IMAGES
    names = ["mse", "ssim", "mahalanobis"] + (["neg_elbo"] if kind == "vae" else []) + ["combined"]
    assert list(block["scores"]) == names
    # recomputed here from the manifest's float32 latent statistics and the stored terms
    raw = anomaly.raw_scores(model, va, np.array(man["latent"]["mean"]), np.array(man["latent"]["cholesky"]))
    raw = anomaly.block_scores(block, raw)
    for name in names:
        s = block["scores"][name]
        assert len(s["sorted"]) == len(va) and s["sorted"] == sorted(s["sorted"])
        assert s["sorted"] == pytest.approx(np.sort(raw[name]), rel=2e-5, abs=1e-6), name
        assert s["quantiles"]["levels"] == list(anomaly.QUANTILE_LEVELS)
        assert s["quantiles"]["values"] == pytest.approx(
            [anomaly.quantile(s["sorted"], q) for q in anomaly.QUANTILE_LEVELS], rel=1e-6
        )
    # combined = standardised sum over the calibration images: mean 0 by construction
    assert np.mean(block["scores"]["combined"]["sorted"]) == pytest.approx(0.0, abs=1e-4)
    assert ("likelihood_sigma" in block) == (kind == "vae")


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_calibrated_manifests_follow_the_schema(one_class_models, kind):
    """docs/manifest.schema.json states the anomaly block too (the .NET reader is held to it by ManifestSchemaTests)."""
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "manifest.schema.json").read_text())
    man = json.loads((one_class_models[kind] / "manifest.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert [e.message for e in validator.iter_errors(man)] == []
    bad = json.loads(json.dumps(man))
    bad["anomaly"]["score"] = "neg_elbo" if kind == "ae" else "median"
    assert list(validator.iter_errors(bad)), "a default score the model does not define must be refused"


def test_scores_against_independent_computations(one_class_models):
    model, cfg, _ = load_checkpoint(one_class_models["vae"] / "checkpoint.pt")
    _, va, _ = splits.load_splits(cfg)
    man = json.loads((one_class_models["vae"] / "manifest.json").read_text())
    mu, L = np.array(man["latent"]["mean"]), np.array(man["latent"]["cholesky"])
    raw = anomaly.raw_scores(model, va, mu, L)
    x, p01 = splits.normalize(
        torch.from_numpy(va.pixels if va.pixels is not None else np.stack([va.load(i) for i in range(len(va))])),
        va.spec,
        torch.device("cpu"),
    )
    with torch.no_grad():
        mean, logvar = model.encoder(x)
        rec = model.decoder.pixels(mean)
        # the training loss's own terms (models.py) at z = mean: -ELBO
        neg_elbo = gaussian_nll(rec.double(), p01.double(), model.clamped_log_sigma().double()) + kl_divergence(
            mean.double(), logvar.double()
        )
    assert raw["mse"] == pytest.approx(((rec.double() - p01.double()) ** 2).mean(dim=(1, 2, 3)).numpy(), rel=1e-9)
    assert raw["neg_elbo"] == pytest.approx(neg_elbo.numpy(), rel=1e-6)
    inv = np.linalg.inv(L @ L.T)
    dz = mean.double().numpy() - mu
    assert raw["mahalanobis"] == pytest.approx(np.sqrt(np.einsum("ni,ij,nj->n", dz, inv, dz)), rel=1e-6)


def test_export_of_an_all_classes_model_has_no_anomaly_block_unless_asked(shapes400, tmp_path):
    ckpt = train.train(_cfg(shapes400, out=str(tmp_path / "run"), epochs=1), progress=False)
    assert "anomaly" not in export.export_model(ckpt, tmp_path / "plain", progress=False)
    assert "anomaly" in export.export_model(ckpt, tmp_path / "asked", progress=False, calibrate=True)


def test_calibrate_script_rewrites_only_the_anomaly_block(one_class_models, shapes400, tmp_path, capsys):
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(one_class_models["ae"], folder)
    before = json.loads((folder / "manifest.json").read_text())
    r = run_script("calibrate.py", "--model", str(folder), "--images", str(shapes400 / "circle"), "--score", "mse")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "threshold at FPR 0.01" in r.stdout
    after = json.loads((folder / "manifest.json").read_text())
    assert after["anomaly"]["score"] == "mse"
    assert after["anomaly"]["calibration"]["images"] == len(list((shapes400 / "circle").iterdir()))
    assert {k: v for k, v in after.items() if k != "anomaly"} == {k: v for k, v in before.items() if k != "anomaly"}
    # the same calibration again writes the same bytes
    first = (folder / "manifest.json").read_bytes()
    calibrate.calibrate_folder(folder, str(shapes400 / "circle"), "mse")
    assert (folder / "manifest.json").read_bytes() == first
    capsys.readouterr()
    assert calibrate.main(["--model", str(folder), "--score", "neg_elbo"]) == 2
    assert "error: score 'neg_elbo' is not defined for a ae" in capsys.readouterr().err
    assert calibrate.main(["--model", str(tmp_path / "nope")]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    assert (folder / "manifest.json").read_bytes() == first  # a refused calibration changed nothing


def test_calibrate_terms_choose_the_combined_score(one_class_models, tmp_path, capsys):
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(one_class_models["ae"], folder)
    assert calibrate.main(["--model", str(folder), "--terms", "ssim:log,mahalanobis"]) == 0
    block = json.loads((folder / "manifest.json").read_text())["anomaly"]
    assert [(t["score"], t["transform"]) for t in block["combined"]["terms"]] == [
        ("ssim", "log"),
        ("mahalanobis", "identity"),
    ]
    # the stored combined values are the standardised sum of those two terms over the calibration images
    model, cfg, _ = load_checkpoint(folder / "checkpoint.pt")
    _, va, _ = splits.load_splits(cfg)
    man = json.loads((folder / "manifest.json").read_text())
    raw = anomaly.raw_scores(model, va, np.array(man["latent"]["mean"]), np.array(man["latent"]["cholesky"]))
    z = sum(
        (anomaly.transform(raw[t["score"]], t["transform"]) - t["mean"]) / t["std"] for t in block["combined"]["terms"]
    )
    assert block["scores"]["combined"]["sorted"] == pytest.approx(np.sort(z), rel=1e-4, abs=1e-4)
    capsys.readouterr()
    for bad, message in (
        ("median:log", "unknown score 'median'"),
        ("mse:sqrt", "unknown transform 'sqrt'"),
        ("", "at least one score"),
    ):
        assert calibrate.main(["--model", str(folder), "--terms", bad]) == 2
        assert message in capsys.readouterr().err


def test_latent_knn_stores_the_training_latents_and_scores_by_whitened_distance(one_class_models, tmp_path):
    """calibrate.py with a latent_knn term: the reference file holds the training images' encoder means, and the
    calibration scores are the distances to the nearest one under the latent covariance, computed here by brute force.
    """
    import hashlib
    import shutil
    import jsonschema

    folder = tmp_path / "m"
    shutil.copytree(one_class_models["vae"], folder)
    assert calibrate.main(["--model", str(folder), "--terms", "ssim:log,mahalanobis,latent_knn"]) == 0
    man = json.loads((folder / "manifest.json").read_text())
    block = man["anomaly"]
    entry = block["latent_knn"]
    data = (folder / entry["file"]).read_bytes()
    model, cfg, _ = load_checkpoint(folder / "checkpoint.pt")
    tr, va, _ = splits.load_splits(cfg)
    assert entry == {
        "k": 1,
        "file": "reference-latents.bin",
        "count": len(tr),
        "dim": cfg.latent_dim,
        "dtype": "float32",
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert list(block["scores"]) == ["mse", "ssim", "mahalanobis", "latent_knn", "neg_elbo", "combined"]

    def means(src):
        px = src.pixels if src.pixels is not None else np.stack([src.load(i) for i in range(len(src))])
        with torch.no_grad():
            return (
                model.encoder(splits.normalize(torch.from_numpy(px), src.spec, torch.device("cpu"))[0])[0]
                .double()
                .numpy()
            )

    refs = np.frombuffer(data, dtype="<f4").reshape(len(tr), cfg.latent_dim).astype(np.float64)
    assert refs == pytest.approx(means(tr).astype(np.float32).astype(np.float64), rel=1e-5, abs=1e-6)
    L = np.array(man["latent"]["cholesky"])
    inv = np.linalg.inv(L @ L.T)
    q = means(va)
    diff = q[:, None, :] - refs[None, :, :]
    nearest = np.sqrt(np.einsum("nmi,ij,nmj->nm", diff, inv, diff).min(axis=1))
    assert block["scores"]["latent_knn"]["sorted"] == pytest.approx(np.sort(nearest), rel=1e-5, abs=1e-6)
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "manifest.schema.json").read_text())
    assert [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(man)] == []
    # without the references a latent_knn term cannot be calibrated
    with pytest.raises(anomaly.CalibrationError, match="reference latents"):
        anomaly.calibrate(
            model, va, np.array(man["latent"]["mean"]), L, anomaly.ScoreRecipe(terms=(("latent_knn", "identity"),))
        )


def test_latent_neighbours_average_the_k_nearest():
    refs = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    n = anomaly.LatentNeighbours(refs, k=2)
    # identity Cholesky, zero mean: plain Euclidean distances; (0,0) is 0 and 3 away from its two nearest
    assert n.distances(np.array([[0.0, 0.0], [3.0, 4.0]]), np.zeros(2), np.eye(2)) == pytest.approx(
        [1.5, (4.0 + 3.0) / 2]
    )
    # a scaled Cholesky whitens: distances shrink by the scale
    assert n.distances(np.array([[0.0, 0.0]]), np.zeros(2), 2 * np.eye(2)) == pytest.approx([0.75])
    with pytest.raises(anomaly.CalibrationError, match="at least k = 4"):
        anomaly.LatentNeighbours(refs, k=4)


def test_warmup_steps_are_saved_only_when_used_and_checked():
    assert "warmup_steps" not in TrainConfig().to_saved()  # older configs and checkpoints keep their bytes
    saved = TrainConfig(warmup_steps=200).to_saved()
    assert saved["warmup_steps"] == 200 and TrainConfig.from_saved(saved).warmup_steps == 200
    with pytest.raises(UsageError, match="--warmup-steps must be >= 0"):
        TrainConfig(warmup_steps=-1).validate()
