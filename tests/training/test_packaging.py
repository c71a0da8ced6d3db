"""training-scripts/pyproject.toml: `pip install -e` into a venv over the Python that has torch gives
working console scripts, downloading nothing (--no-index: every dependency must be found installed)."""
import json
import os
import subprocess
import sys
import tomllib

import pytest

from conftest import SCRIPTS

PYPROJECT = tomllib.loads((SCRIPTS / "pyproject.toml").read_text())
CONSOLE_SCRIPTS = PYPROJECT["project"]["scripts"]


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)], check=True, timeout=120)
    r = subprocess.run(
        [
            str(env_dir / "bin" / "pip"),
            "install",
            "--no-index",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-e",
            str(SCRIPTS),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "Successfully installed aeonnx-training-0.1.0" in r.stdout
    # an editable install leaves no build debris in the source tree
    assert not list(SCRIPTS.glob("*.egg-info")) and not (SCRIPTS / "build").exists()
    return env_dir


def _run(venv, name, *args, cwd, timeout=120):
    return subprocess.run(
        [str(venv / "bin" / name), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def test_every_console_script_names_a_main_and_answers_help(venv, tmp_path):
    assert {"aeonnx-train", "aeonnx-export", "aeonnx-evaluate", "aeonnx-shipped", "aeonnx-torchrun"} <= set(
        CONSOLE_SCRIPTS
    )
    for name in CONSOLE_SCRIPTS:
        r = _run(venv, name, "--help", cwd=tmp_path)
        assert r.returncode == 0, (name, r.stderr[-2000:])
        assert r.stdout.startswith("usage: " + name) or (name == "aeonnx-torchrun" and "usage:" in r.stdout), (
            name,
            r.stdout[:200],
        )


def test_the_installed_package_is_the_source_tree_and_carries_its_metadata(venv, tmp_path):
    code = (
        "import importlib.metadata as m, json, aeonnx_training; "
        "d = m.distribution('aeonnx-training'); "
        "print(json.dumps([aeonnx_training.__file__, d.version, sorted(d.requires)]))"
    )
    r = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    where, version, requires = json.loads(r.stdout)
    assert where == str(SCRIPTS / "aeonnx_training" / "__init__.py") and version == "0.1.0"
    assert any(q.startswith("torch") for q in requires) and any(q.startswith("onnx") for q in requires)


def test_console_scripts_train_and_export_a_model_from_any_folder(venv, tmp_path):
    r = _run(
        venv,
        "aeonnx-synthetic",
        "--out",
        str(tmp_path / "shapes"),
        "--count",
        "48",
        "--size",
        "16",
        "--seed",
        "1",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    r = _run(
        venv,
        "aeonnx-train",
        "--dataset",
        str(tmp_path / "shapes"),
        "--image-size",
        "16x16",
        "--channels",
        "3",
        "--latent-dim",
        "4",
        "--widths",
        "4",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--threads",
        "1",
        "--workers",
        "0",
        "--seed",
        "2",
        "--out",
        str(tmp_path / "run"),
        "--no-progress",
        cwd=tmp_path,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    run = tmp_path / "run"
    assert (run / "checkpoint.pt").is_file()
    r = _run(
        venv,
        "aeonnx-export",
        "--checkpoint",
        str(run / "checkpoint.pt"),
        "--out",
        str(tmp_path / "model"),
        cwd=tmp_path,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    manifest = json.loads((tmp_path / "model" / "manifest.json").read_text())
    assert manifest["format"] == "aeonnx.model/1" and manifest["latent"]["dim"] == 4
