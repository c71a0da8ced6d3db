"""The committed model folders and shipped.py's SHA-256 checks."""
import json
import shutil

import pytest

import export
import shipped
import train
from conftest import ROOT

MODELS = ROOT / "models"
COMMITTED = sorted(p.parent.name for p in MODELS.glob("*/manifest.json"))


def test_recipes_are_valid_and_frugal():
    for name in shipped.RECIPES:
        cfg = shipped.config_for(name)
        cfg.model_spec().validate()
        assert 1 <= cfg.threads <= 2, name
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
    _, cfg, _ = train.load_checkpoint(folder / "checkpoint.pt")
    assert cfg.latent_dim == man["latent"]["dim"] and cfg.model == man["kind"]
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 3_000_000, f"{name} folder is {size} bytes"


@pytest.mark.skipif(not (MODELS / "tiny-rgb" / "checkpoint.pt").is_file(), reason="tiny-rgb not committed")
def test_tiny_rgb_reexport_reproduces_committed_graphs(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)                        # the recipe's dataset path is repository-relative
    _, cfg, _ = train.load_checkpoint(MODELS / "tiny-rgb" / "checkpoint.pt")
    shipped.ensure_data(cfg)
    man = export.export_model(MODELS / "tiny-rgb" / "checkpoint.pt", tmp_path / "m", "tiny-rgb", progress=False)
    committed = json.loads((MODELS / "tiny-rgb" / "manifest.json").read_text())
    assert man["encoder"]["sha256"] == committed["encoder"]["sha256"]
    assert man["decoder"]["sha256"] == committed["decoder"]["sha256"]
    assert (tmp_path / "m" / "manifest.json").read_bytes() == (MODELS / "tiny-rgb" / "manifest.json").read_bytes()


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
