"""Scripts as a user runs them: bad arguments give a clear error and a non-zero exit."""
import pytest
from PIL import Image
import numpy as np

from conftest import run_script, tiny_args


def _fails(r, *needles):
    assert r.returncode != 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    for n in needles:
        assert n in r.stderr, r.stderr[-2000:]


@pytest.fixture
def one_image_dir(tmp_path):
    d = tmp_path / "imgs"
    d.mkdir()
    for i in range(4):
        Image.fromarray(np.full((16, 16, 3), 40 * i, np.uint8), "RGB").save(d / f"{i}.png")
    return d


def test_missing_dataset_folder(tmp_path):
    r = run_script("train.py", *tiny_args(str(tmp_path / "nope"), tmp_path / "out"))
    _fails(r, "error:", "not a folder", "nope")


def test_empty_dataset_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    r = run_script("train.py", *tiny_args(str(tmp_path / "empty"), tmp_path / "out"))
    _fails(r, "error:", "no images")


def test_missing_fashion_mnist_data_dir(tmp_path):
    r = run_script("train.py", "--data-dir", str(tmp_path / "nowhere"), "--epochs", "1", "--out", str(tmp_path / "o"))
    _fails(r, "error:", "nowhere")


def test_unsupported_image_size(one_image_dir, tmp_path):
    r = run_script("train.py", *tiny_args(str(one_image_dir), tmp_path / "out"), "--image-size", "30x30")
    _fails(r, "error:", "multiples of 4", "30x30")


def test_cuda_refused_clearly_without_cuda(one_image_dir, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here: the refusal cannot be observed (scripts/gpu-check-train.sh runs CUDA)")
    r = run_script("train.py", *tiny_args(str(one_image_dir), tmp_path / "out"), "--device", "cuda")
    _fails(r, "error:", "--device cuda: CUDA is not available", "use --device cpu or auto")
    assert not (tmp_path / "out").exists()


def test_fp16_refused_on_cpu(capsys, one_image_dir, tmp_path):
    from aeonnx_training import train

    _main_fails(
        capsys,
        train.main,
        tiny_args(str(one_image_dir), tmp_path / "o") + ["--device", "cpu", "--amp", "fp16"],
        "error:",
        "--amp fp16 needs a CUDA device",
    )


def test_resume_without_state_is_refused(capsys, tmp_path):
    from aeonnx_training import train

    _main_fails(capsys, train.main, ["--resume", str(tmp_path)], "error:", "--resume", "no resume.pt")


def test_latent_zero(one_image_dir, tmp_path):
    r = run_script("train.py", *tiny_args(str(one_image_dir), tmp_path / "out"), "--latent-dim", "0")
    _fails(r, "error:", "latent dimension must be at least 1")
    assert not (tmp_path / "out" / "checkpoint.pt").exists()


def _main_fails(capsys, main, argv, *needles):
    """In-process for the cheap cases (a subprocess costs a torch import each)."""
    try:
        rc = main(argv)
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert rc not in (0, None), err
    for n in needles:
        assert n in err, err


def test_malformed_size_and_model(capsys):
    from aeonnx_training import train

    _main_fails(capsys, train.main, ["--image-size", "big"], "expected HxW")
    _main_fails(capsys, train.main, ["--model", "gan"], "invalid choice")
    _main_fails(capsys, train.main, ["--widths", "8,x"], "expected integers")
    _main_fails(capsys, train.main, ["--decoder-widths", ""], "expected integers")
    _main_fails(capsys, train.main, ["--device", "tpu"], "--device must be auto, cpu, cuda or cuda:N")


def test_export_missing_checkpoint(capsys, tmp_path):
    from aeonnx_training import export

    _main_fails(
        capsys,
        export.main,
        ["--checkpoint", str(tmp_path / "x.pt"), "--out", str(tmp_path / "m")],
        "error:",
        "checkpoint not found",
    )


def test_shipped_unknown_model(capsys):
    from aeonnx_training import shipped

    _main_fails(capsys, shipped.main, ["--export-only", "no-such-model"], "unknown model")


def test_help_shows_kebab_case_flags_with_defaults(capsys, monkeypatch):
    from aeonnx_training import train

    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as e:
        train.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for flag in (
        "--dataset",
        "--model",
        "--latent-dim",
        "--epochs",
        "--batch-size",
        "--lr",
        "--beta",
        "--widths",
        "--decoder-widths",
        "--image-size",
        "--channels",
        "--seed",
        "--threads",
        "--limit",
        "--val-fraction",
        "--out",
        "--data-dir",
        "--device",
        "--amp",
        "--workers",
        "--resume",
        "--checkpoint-every",
        "--export-to",
        "--mean",
        "--std",
        "--latent-penalty",
    ):
        assert flag in out, flag
    for shown in (
        "latent size (default: 16)",
        "(default: fashion-mnist)",
        "(default: 28x28)",
        "(default: 32,64)",
        "(default: 0.1)",
        "(default: auto)",
        "(default: none)",
    ):
        assert shown in out, shown
