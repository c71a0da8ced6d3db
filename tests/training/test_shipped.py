"""The committed model folders and shipped.py's SHA-256 checks."""
import json
import shutil

import pytest

from aeonnx_training import export
from aeonnx_training import shipped
from aeonnx_training.checkpoint import load_checkpoint
from conftest import ROOT

MODELS = ROOT / "models"
COMMITTED = sorted(p.parent.name for p in MODELS.glob("*/manifest.json"))


def test_recipes_are_valid_and_frugal():
    for name in shipped.RECIPES:
        cfg = shipped.config_for(name)
        cfg.model_spec().validate()
        assert 1 <= cfg.threads <= 4, name
        assert cfg.name == name


@pytest.mark.parametrize("name", COMMITTED)
def test_committed_folder_is_consistent(name):
    folder = MODELS / name
    man = json.loads((folder / "manifest.json").read_text())
    assert man["name"] == name and man["format"] == "aeonnx.model/1"
    for role in ("encoder", "decoder"):
        assert export.sha256_file(folder / man[role]["file"]) == man[role]["sha256"]
    fx = json.loads((folder / "fixtures" / "fixtures.json").read_text())
    assert fx["model"] == name and len(fx["images"]) == 8
    for e in fx["images"]:
        assert (folder / "fixtures" / e["file"]).is_file()
        assert len(e["latent"]) == man["latent"]["dim"]
    model, cfg, ckpt = load_checkpoint(folder / "checkpoint.pt")
    assert cfg.latent_dim == man["latent"]["dim"] and cfg.model == man["kind"]
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    # The weights are held twice, 4 bytes each (2 for a float16 export): once in the two graphs, once in
    # the checkpoint (no optimizer state). A pca_residual model holds its PCA basis a third time (d x k floats). Beside them:
    # fixtures with 8 reconstructions (1.1 MB of JSON at 64x64 RGB) and the sample and reconstruction
    # grids (0.7 MB at 64x64 RGB). Anything else (optimizer state, a copy of the data) fails here; no file
    # may pass the repository's 5 MB per tracked file, and no folder 14 MB, whatever its weights.
    weights = sum(v.numel() for v in model.state_dict().values())
    pca_bytes = 4 * cfg.channels * cfg.image_size[0] * cfg.image_size[1] * cfg.latent_dim if cfg.pca_residual else 0
    extras = 2_000_000 if cfg.image_size[0] * cfg.image_size[1] > 32 * 32 else 600_000
    per_weight = 4.5 if export.checkpoint_weights(ckpt) == "float16" else 8.5
    assert size < per_weight * weights + pca_bytes + extras, f"{name} folder is {size} bytes for {weights} weights"
    assert size < 14_000_000, f"{name} folder is {size} bytes"
    big = [f"{p.name} {p.stat().st_size}" for p in folder.rglob("*") if p.is_file() and p.stat().st_size > 5 * 2**20]
    assert not big, f"{name}: files over 5 MB: {big}"


# What "reproducible" means for a re-export, field by field (docs/MODEL-FORMAT.md):
#   graphs           byte-identical (their SHA-256), on any CPU
#   numbers          statistics and metrics: float32 activations (their last bits depend on the
#                    CPU's kernels), float64 sums, written as float32: compared with rel 1e-4
#                    (abs 1e-6 near zero)
#   versions, CPU    recorded where the export ran (training.onnx, training.export_machine), not compared
#   everything else  identical (names, config, shapes, counts, hashes, wall time from train_metrics.json)
RECORDED_ONLY = {("training", "onnx"), ("training", "export_machine")}


def assert_same_manifest(got, want, path=()):
    if path in RECORDED_ONLY:
        return
    where = "/".join(map(str, path)) or "manifest"
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), f"{where}: keys {list(got)} != {list(want)}"
        for k in want:
            assert_same_manifest(got[k], want[k], path + (k,))
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: length differs"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same_manifest(g, w, path + (i,))
    elif isinstance(want, float) and not isinstance(want, bool):
        assert got == pytest.approx(want, rel=1e-4, abs=1e-6), f"{where}: {got} != {want}"
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def test_manifest_comparison_can_fail():
    a = {"latent": {"mean": [1.0, 2.0]}, "training": {"onnx": "1.12.0", "seed": 1}}
    assert_same_manifest({"latent": {"mean": [1.0, 2.00001]}, "training": {"onnx": "9", "seed": 1}}, a)
    for bad in (
        {"latent": {"mean": [1.0, 2.001]}, "training": {"onnx": "1.12.0", "seed": 1}},
        {"latent": {"mean": [1.0, 2.0]}, "training": {"onnx": "1.12.0", "seed": 2}},
        {"latent": {"mean": [1.0]}, "training": {"onnx": "1.12.0", "seed": 1}},
    ):
        with pytest.raises(AssertionError):
            assert_same_manifest(bad, a)


@pytest.mark.skipif(not (MODELS / "tiny-rgb" / "checkpoint.pt").is_file(), reason="tiny-rgb not committed")
def test_tiny_rgb_reexport_reproduces_committed_model(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the recipe's dataset path is repository-relative
    _, cfg, _ = load_checkpoint(MODELS / "tiny-rgb" / "checkpoint.pt")
    shipped.ensure_data(cfg)
    man = export.export_model(MODELS / "tiny-rgb" / "checkpoint.pt", tmp_path / "m", "tiny-rgb", progress=False)
    committed = json.loads((MODELS / "tiny-rgb" / "manifest.json").read_text())
    for role in ("encoder", "decoder"):
        assert (tmp_path / "m" / f"{role}.onnx").read_bytes() == (MODELS / "tiny-rgb" / f"{role}.onnx").read_bytes()
        assert man[role]["sha256"] == committed[role]["sha256"]
    assert_same_manifest(json.loads((tmp_path / "m" / "manifest.json").read_text()), committed)
    facts = man["training"]["export_machine"]
    assert {"cpu", "machine", "blas", "threads", "torch_cpu_capability"} <= set(facts)


@pytest.mark.skipif(not COMMITTED, reason="no committed model folders")
def test_check_reports_a_changed_graph(tmp_path, monkeypatch, capsys):
    name = COMMITTED[0]
    shutil.copytree(MODELS / name, tmp_path / name)
    monkeypatch.setattr(shipped, "MODELS_DIR", tmp_path)
    expected = shipped.committed_hashes(name)
    assert shipped.check(name, expected, "committed manifest")
    raw = bytearray((tmp_path / name / "decoder.onnx").read_bytes())
    raw[-1] ^= 1
    (tmp_path / name / "decoder.onnx").write_bytes(bytes(raw))
    assert not shipped.check(name, expected, "committed manifest")
    assert "MISMATCH decoder.onnx" in capsys.readouterr().out


def test_epochs_text_names_the_kept_epoch_its_criterion_and_the_weight_average():
    t = shipped.epochs_text
    assert t({"config": {}, "epochs": 10}, {}) == "10"
    assert t({"config": {"keep_best": True}, "epochs": 40}, {"epochs_run": 40, "best_epoch": 17}) == "17 (best of 40)"
    mse = {"keep_best": True, "keep_best_by": "mse", "ema": 0.999}
    assert t({"config": mse, "epochs": 60}, {"epochs_run": 60, "best_epoch": 39}) == (
        "39 (lowest validation MSE of 60, EMA 0.999)"
    )
    assert t({"config": {"ema": 0.99}, "epochs": 6}, {"epochs_run": 6}) == "6 (last, EMA 0.99)"
