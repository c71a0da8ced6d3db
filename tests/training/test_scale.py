"""Training at scale on tiny data: resumable runs, torchrun data parallelism (gloo, 2 processes),
streamed image folders with undecodable files, and CUDA when this machine has it."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import onnx_torch_eval
from aeonnx_training import train
from aeonnx_training.checkpoint import load_checkpoint, load_state
from conftest import SCRIPTS, tiny_args


def _train(argv):
    cfg, opts = train.config_from_args(argv)
    opts.progress = False
    return train.train(cfg, opts=opts)


def _weights(path):
    _, _, ck = load_checkpoint(path)
    return ck["state_dict"]


def test_stopped_and_resumed_run_equals_a_straight_run_bit_for_bit(shapes_dir, tmp_path):
    """VAE (noise generator state) with the cosine schedule: 2 epochs straight == 1 epoch, stop,
    resume to the end; the final checkpoints are the same bytes."""
    common = tiny_args(str(shapes_dir), tmp_path / "x", "--model", "vae", "--workers", "0")
    straight = _train(common + ["--out", str(tmp_path / "straight")])
    assert _train(common + ["--out", str(tmp_path / "split"), "--stop-after-epochs", "1"]) is None
    st = load_state(tmp_path / "split")
    assert (st["epoch"], st["world_size"]) == (1, 1) and st["step"] == len(st["history"]["train_loss"]) * 5
    assert not (tmp_path / "split" / "checkpoint.pt").exists()
    resumed = _train(["--resume", str(tmp_path / "split"), "--workers", "0"])
    assert resumed == tmp_path / "split" / "checkpoint.pt"
    assert resumed.read_bytes() == straight.read_bytes()
    # and the comparison can fail: a third run with another seed differs
    other = _train(common + ["--out", str(tmp_path / "other"), "--seed", "6", "--epochs", "2"])
    assert other.read_bytes() != straight.read_bytes()


def test_one_epoch_then_resume_to_two_equals_two_straight(shapes_dir, tmp_path):
    """Extending a finished run with --resume --epochs N: with a constant learning rate the result
    is the run that was asked for N epochs from the start (a cosine schedule would have decayed)."""
    common = tiny_args(str(shapes_dir), tmp_path / "x", "--lr-schedule", "none", "--workers", "0")
    straight = _train(common + ["--out", str(tmp_path / "two")])
    _train(common + ["--out", str(tmp_path / "one"), "--epochs", "1"])
    resumed = _train(["--resume", str(tmp_path / "one"), "--epochs", "2", "--workers", "0"])
    for k, v in _weights(straight).items():
        assert torch.equal(v, _weights(resumed)[k]), k
    assert resumed.read_bytes() == straight.read_bytes()


def test_streamed_folder_skips_and_reports_undecodable_files_and_workers_do_not_change_results(
    shapes_dir, tmp_path, capsys
):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(shapes_dir, data)
    (data / "circle" / "zz_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (data / "square" / "zz_empty.jpg").write_bytes(b"")
    runs = {}
    for workers in ("0", "2"):
        out = tmp_path / f"w{workers}"
        ckpt = _train(tiny_args(str(data), out, "--workers", workers, "--epochs", "1", "--val-fraction", "0.05"))
        runs[workers] = ckpt
        listed = (out / "skipped.txt").read_text().splitlines()
        m = json.loads((out / "train_metrics.json").read_text())
        # the held-out splits are drawn before decoding, so a broken file may land in val/test instead
        assert set(n.split(" ")[0] for n in listed) <= {"circle/zz_broken.png", "square/zz_empty.jpg"}
        assert m["skipped_files"] == len(listed)
    err = capsys.readouterr().err
    assert "skipped" in err and "undecodable" in err
    assert runs["0"].read_bytes() == runs["2"].read_bytes()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(*args, timeout=240):
    # torch < 2 on Python >= 3.11: plain `torchrun` dies parsing its own defaults (see launch.py).
    # A single-node rendezvous on a free port rather than --standalone's fixed 29400, which another run of
    # the suite (or any job) on the machine may hold.
    cmd = [
        sys.executable,
        "-m",
        "aeonnx_training.launch",
        "--nnodes=1",
        "--rdzv_backend=c10d",
        f"--rdzv_endpoint=127.0.0.1:{_free_port()}",
        "--rdzv_id=aeonnx-test",
        "--nproc_per_node=2",
        "train.py",
        *args,
    ]
    return subprocess.run(
        cmd,
        cwd=SCRIPTS,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**__import__("os").environ, "OMP_NUM_THREADS": "1"},
    )


def test_torchrun_two_processes_gloo_trains_exports_and_is_reproducible(shapes_dir, tmp_path):
    runs = []
    for name in ("a", "b"):
        r = _torchrun(
            *tiny_args(
                str(shapes_dir),
                tmp_path / name,
                "--device",
                "cpu",
                "--workers",
                "0",
                "--export-to",
                str(tmp_path / f"m{name}"),
                "--no-progress",
            )
        )
        assert r.returncode == 0, r.stderr[-3000:]
        runs.append(tmp_path / name)
    assert r.stderr.count("epoch 2/2:") == 1  # rank 0 alone logs
    a, b = (p / "checkpoint.pt" for p in runs)
    assert a.read_bytes() == b.read_bytes()  # same world size + seed -> same weights
    st = load_state(runs[0])
    assert st["world_size"] == 2 and len(st["rng"]["noise"]) == 2
    assert st["step"] == 2 * 3  # 77 train images: 39 per rank, 3 steps of 16 per epoch
    m = tmp_path / "ma"
    man = json.loads((m / "manifest.json").read_text())
    assert (man["training"]["world_size"], man["training"]["device"], man["training"]["precision"]) == (
        2,
        "cpu",
        "float32",
    )
    # the exported pair loads and runs like the torch model (the graphs, not the module, are evaluated)
    model, _, _ = load_checkpoint(m / "checkpoint.pt")
    x = np.random.default_rng(0).random((3, 3, 16, 16), dtype=np.float32)
    z = onnx_torch_eval.run(m / "encoder.onnx", {"image": x})["latent"]
    with torch.no_grad():
        np.testing.assert_allclose(z, model.encoder(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-6)
        y = onnx_torch_eval.run(m / "decoder.onnx", {"latent": z})["image"]
        np.testing.assert_allclose(y, model.decoder(torch.from_numpy(z)).numpy(), rtol=1e-5, atol=1e-6)
    fx = json.loads((m / "fixtures" / "fixtures.json").read_text())
    assert len(fx["images"]) == 8 and len(fx["images"][0]["latent"]) == 4


@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="no CUDA device: the CUDA run is checked by scripts/gpu-check-train.sh on a GPU machine",
)
def test_cuda_one_epoch_trains_and_exports_on_cpu(shapes_dir, tmp_path):
    ckpt = _train(
        tiny_args(
            str(shapes_dir),
            tmp_path / "run",
            "--device",
            "cuda",
            "--epochs",
            "1",
            "--workers",
            "0",
            "--export-to",
            str(tmp_path / "m"),
        )
    )
    m = json.loads((tmp_path / "run" / "train_metrics.json").read_text())
    assert m["device"].startswith("cuda") and ckpt.is_file()
    assert (tmp_path / "m" / "encoder.onnx").is_file()
