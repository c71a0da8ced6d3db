"""The colour recipe's training parts: augmentation, keep-best and early stopping, no step on an
empty batch, and a run that behaves at the console (progress lines in logs, skipped files warned
as met, Ctrl+C with a resume hint)."""
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from aeonnx_training import train
from aeonnx_training.checkpoint import load_checkpoint, load_state
from aeonnx_training.config import LEGACY_TRAINING, TrainConfig
from conftest import SCRIPTS, tiny_args


def _train(argv, **opts):
    cfg, o = train.config_from_args(argv)
    o.progress = False
    for k, v in opts.items():
        setattr(o, k, v)
    return train.train(cfg, opts=o)


def test_flips_and_shifts_follow_the_generator_and_move_pixels_as_numpy_does():
    g = torch.Generator().manual_seed(1)
    px = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (8, 3, 16, 12), dtype=np.uint8))
    out = train.augment_batch(px, ("hflip", "vflip", "shift"), g)
    # the same draws, in the same order, from a fresh generator with the seed
    r = torch.Generator().manual_seed(1)
    h = (torch.rand(8, generator=r) < 0.5).numpy()
    v = (torch.rand(8, generator=r) < 0.5).numpy()
    dy = torch.randint(-2, 3, (8,), generator=r).numpy()
    dx = torch.randint(-1, 2, (8,), generator=r).numpy()
    a = px.numpy()
    for i in range(8):
        want = a[i][:, :, ::-1] if h[i] else a[i]
        want = want[:, ::-1, :] if v[i] else want
        # translate by (dy, dx), repeating the edge pixels into the gap
        padded = np.pad(want, ((0, 0), (2, 2), (1, 1)), mode="edge")
        want = padded[:, 2 - dy[i] : 2 - dy[i] + 16, 1 - dx[i] : 1 - dx[i] + 12]
        assert np.array_equal(out[i].numpy(), want), i
    assert h.any() and not h.all() and (dy != 0).any()  # the draws did something and not everything
    assert train.augment_batch(px, (), g) is px


def test_quarter_turns_and_channel_orders_follow_the_generator_after_the_other_draws():
    g = torch.Generator().manual_seed(2)
    px = torch.from_numpy(np.random.default_rng(1).integers(0, 256, (12, 3, 8, 8), dtype=np.uint8))
    out = train.augment_batch(px, ("hflip", "rot90", "channels"), g)
    r = torch.Generator().manual_seed(2)
    h = (torch.rand(12, generator=r) < 0.5).numpy()
    turns = torch.randint(0, 4, (12,), generator=r).numpy()
    keys = torch.rand(12, 3, generator=r).numpy()
    a = px.numpy()
    for i in range(12):
        want = a[i][:, :, ::-1] if h[i] else a[i]
        want = np.rot90(want, turns[i], axes=(1, 2))  # counter-clockwise, as torch.rot90
        want = want[np.argsort(keys[i], kind="stable")]
        assert np.array_equal(out[i].numpy(), want), i
    assert len(set(turns)) == 4 and len({tuple(np.argsort(k)) for k in keys}) > 1
    with pytest.raises(train.UsageError, match="--augment rot90 needs a square --image-size, got 16x12"):
        TrainConfig(augment="rot90", image_size=(16, 12), channels=3).validate()
    with pytest.raises(train.UsageError, match="--augment channels reorders colour channels: .* got 1"):
        TrainConfig(augment="hflip,channels", channels=1).validate()
    TrainConfig(augment="rot90,channels", image_size=(16, 16), channels=3).validate()


def test_legacy_configs_keep_what_they_were_trained_with():
    old = TrainConfig().to_saved()
    for k in LEGACY_TRAINING:
        old.pop(k)
    cfg = TrainConfig.from_saved(old)
    assert (cfg.arch, cfg.augment, cfg.keep_best, cfg.ssim_weight) == ("plain", "none", False, 0.0)
    assert (TrainConfig().arch, TrainConfig().keep_best) == ("bn", True)  # new runs get the recipe
    assert cfg.channels_last is False and TrainConfig().channels_last is True


def test_channels_last_trains_the_same_network_in_nhwc_and_saves_plain_weights(shapes_dir, tmp_path, monkeypatch):
    seen = []
    real = train.loss_terms

    def spy(model, recon, target, mean, logvar):
        seen.append(recon.is_contiguous(memory_format=torch.channels_last) and not recon.is_contiguous())
        return real(model, recon, target, mean, logvar)

    monkeypatch.setattr(train, "loss_terms", spy)
    runs = {}
    for flag in ("--channels-last", "--no-channels-last"):
        seen.clear()
        run = tmp_path / flag
        ckpt = _train(tiny_args(str(shapes_dir), run, "--widths", "8", "--workers", "0", flag))
        runs[flag] = load_checkpoint(ckpt)
        assert seen and all(seen) == (flag == "--channels-last") and any(seen) == all(seen)
    (_, cfg_cl, ck_cl), (_, cfg_plain, ck_plain) = runs["--channels-last"], runs["--no-channels-last"]
    assert cfg_cl.channels_last and ck_cl["config"]["channels_last"] is True
    # off: the field is left out, as in every config written before it existed
    assert not cfg_plain.channels_last and "channels_last" not in ck_plain["config"]
    for k, v in ck_cl["state_dict"].items():
        assert v.is_contiguous(), k  # the checkpoint holds NCHW weights either way
    # the same network and data: the losses agree to float32 rounding
    for a, b in zip(
        ck_cl["history"]["train_loss"] + ck_cl["history"]["val_loss"],
        ck_plain["history"]["train_loss"] + ck_plain["history"]["val_loss"],
    ):
        assert a == pytest.approx(b, rel=1e-3)


def test_keep_best_keeps_the_lowest_validation_epoch_and_patience_stops(shapes_dir, tmp_path, monkeypatch):
    """The validation losses are scripted (the weights are really trained): the checkpoint must hold
    the weights of epoch 2, saved in resume.pt at the end of epoch 2, and patience 2 stops after 4."""
    scripted = iter([0.5, 0.4, 0.45, 0.46, 0.1])
    real = train.mean_loss
    monkeypatch.setattr(train, "mean_loss", lambda *a, **k: (next(scripted), real(*a, **k)[1]))
    run = tmp_path / "run"
    common = tiny_args(str(shapes_dir), run, "--epochs", "5", "--patience", "2", "--workers", "0")
    assert _train(common, stop_after_epochs=2) is None
    epoch2 = load_state(run)["model"]
    ckpt = _train(["--resume", str(run), "--workers", "0"])
    st = load_state(run)
    assert st["epoch"] == 4 and st["best"]["stopped_early"] and st["best"]["epoch"] == 2
    _, _, ck = load_checkpoint(ckpt)
    assert ck["best_epoch"] == 2 and len(ck["history"]["val_loss"]) == 4
    for k, v in epoch2.items():
        assert torch.equal(ck["state_dict"][k], v), k
    assert not all(torch.equal(st["model"][k], v) for k, v in epoch2.items())  # epoch 4's weights differ
    m = json.loads((run / "train_metrics.json").read_text())
    assert (m["epochs_run"], m["best_epoch"], m["stopped_early"]) == (4, 2, True)
    # resuming a run that stopped early trains nothing more
    assert _train(["--resume", str(run), "--workers", "0"]).read_bytes() == ckpt.read_bytes()


def test_keep_best_by_mse_keeps_the_lowest_validation_mse_where_the_loss_disagrees(shapes_dir, tmp_path, monkeypatch):
    """A VAE's validation loss (-ELBO) can fall while its MSE rises (the learned sigma shrinks): with
    --keep-best-by mse the checkpoint holds the epoch of the lowest validation MSE and patience counts
    epochs without a lower MSE; with the default (loss) the same scripted values keep the last epoch."""
    losses, mses = [0.5, 0.4, 0.3, 0.2], [0.3, 0.1, 0.2, 0.25]
    kept = {}
    for by in ("mse", "loss"):
        scripted = iter(zip(losses, mses))
        monkeypatch.setattr(train, "mean_loss", lambda *a, **k: next(scripted))
        run = tmp_path / by
        common = tiny_args(str(shapes_dir), run, "--model", "vae", "--epochs", "4", "--patience", "2")
        common += ["--workers", "0", "--keep-best-by", by]
        assert _train(common, stop_after_epochs=2) is None
        epoch2 = load_state(run)["model"]
        _, cfg, ck = load_checkpoint(_train(["--resume", str(run), "--workers", "0"]))
        st = load_state(run)
        kept[by] = (ck["best_epoch"], st["epoch"], st["best"]["stopped_early"], st["best"]["val_loss"])
        assert cfg.keep_best_by == by
        # the default is left out of the saved config, so configs written before the option keep their bytes
        assert ck["config"].get("keep_best_by") == (None if by == "loss" else "mse")
        same_as_epoch2 = all(torch.equal(ck["state_dict"][k], v) for k, v in epoch2.items())
        assert same_as_epoch2 == (by == "mse")
    assert kept["mse"] == (2, 4, True, 0.1)  # lowest MSE at epoch 2; epochs 3 and 4 not lower: stopped
    assert kept["loss"] == (4, 4, False, 0.2)  # the loss fell every epoch


def test_keep_best_by_refuses_what_it_does_not_know(shapes_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        train.config_from_args(tiny_args(str(shapes_dir), tmp_path / "r", "--keep-best-by", "ssim"))
    assert e.value.code == 2 and "invalid choice: 'ssim'" in capsys.readouterr().err
    saved = TrainConfig(keep_best_by="psnr").to_saved()
    with pytest.raises(train.UsageError, match="--keep-best-by must be one of loss, mse, got psnr"):
        TrainConfig.from_saved(saved).validate()
    assert TrainConfig.from_saved(TrainConfig().to_saved()).keep_best_by == "loss"


def test_weight_average_moves_toward_the_live_weights_by_its_warming_decay():
    torch.manual_seed(0)
    model = train.AutoEncoder(TrainConfig(channels=3, image_size=(16, 16), latent_dim=4, widths=(4,)).model_spec())
    avg = train.WeightAverage(model, 0.9)
    before = {k: v.double().clone() for k, v in avg.model.state_dict().items()}
    ints = [k for k, v in model.state_dict().items() if not v.dtype.is_floating_point]
    assert ints  # BatchNorm's num_batches_tracked: copied, not averaged
    for n in range(1, 101):
        with torch.no_grad():
            for k, v in model.state_dict().items():
                v.add_(1) if v.dtype.is_floating_point else v.add_(3)
        live = {k: v.double().clone() for k, v in model.state_dict().items()}
        avg.update(model)
        d = min(0.9, (1 + n) / (10 + n))  # 2/11 after the first update, 0.9 from the 80th on
        for k, v in avg.model.state_dict().items():
            want = live[k] if k in ints else d * before[k] + (1 - d) * live[k]
            assert torch.allclose(v.double(), want, atol=1e-5), (n, k)
            before[k] = v.double().clone()
    assert avg.updates == 100 and not any(p.requires_grad for p in avg.model.parameters())
    # the live weights were not touched by the average
    assert all(p.requires_grad for p in model.parameters())


def test_ema_validates_keeps_and_resumes_the_averaged_weights(shapes_dir, tmp_path):
    """With --ema the checkpoint holds the averaged weights (not the optimizer's), the recorded validation MSE
    is the averaged model's, and a run stopped after epoch 1 and resumed ends byte-equal to one run straight."""
    # on CPU whatever the machine has: the validation MSE is recomputed on CPU below
    common = ["--epochs", "2", "--ema", "0.9", "--no-keep-best", "--workers", "0", "--device", "cpu"]
    straight = _train(tiny_args(str(shapes_dir), tmp_path / "straight", *common))
    assert _train(tiny_args(str(shapes_dir), tmp_path / "split", *common), stop_after_epochs=1) is None
    assert load_state(tmp_path / "split")["ema"]["updates"] == 5  # 77 training images, batch 16: 5 steps
    split = _train(["--resume", str(tmp_path / "split"), "--workers", "0"])
    model, cfg, ck = load_checkpoint(straight)
    _, _, ck2 = load_checkpoint(split)
    for k, v in ck["state_dict"].items():
        assert torch.equal(ck2["state_dict"][k], v), k
    st = load_state(tmp_path / "straight")
    assert st["ema"]["updates"] == 10
    for k, v in ck["state_dict"].items():
        assert torch.equal(st["ema"]["model"][k], v), k
    assert not all(torch.equal(st["model"][k], v) for k, v in ck["state_dict"].items())
    assert cfg.ema == 0.9 and ck["config"]["ema"] == 0.9
    _, val, _ = train.splits.load_splits(cfg)
    _, mse = train.mean_loss(model, val, 512, cfg.seed + 3000, 0, torch.device("cpu"), None, cfg.channels_last)
    assert mse == pytest.approx(ck["history"]["val_mse"][-1], rel=1e-5)
    live = train.AutoEncoder(cfg.model_spec())
    live.load_state_dict(st["model"])
    _, live_mse = train.mean_loss(live, val, 512, cfg.seed + 3000, 0, torch.device("cpu"), None, cfg.channels_last)
    assert abs(live_mse - mse) > 1e-6 * mse  # the live weights would have scored otherwise


def test_ema_off_leaves_the_config_as_it_was_and_bad_decays_are_refused():
    assert "ema" not in TrainConfig().to_saved() and TrainConfig.from_saved(TrainConfig().to_saved()).ema == 0.0
    assert TrainConfig(ema=0.999).to_saved()["ema"] == 0.999
    for bad in (1.0, -0.1, 1.5):
        with pytest.raises(train.UsageError, match=rf"--ema must be in \[0, 1\) .*, got {bad}"):
            TrainConfig(ema=bad).validate()


def test_a_batch_of_undecodable_files_takes_no_optimizer_step(tmp_path):
    data = tmp_path / "data"
    (data / "a").mkdir(parents=True)
    for i in range(12):
        Image.fromarray(np.full((16, 16, 3), 20 * i, np.uint8), "RGB").save(data / "a" / f"{i:02d}.png")
    for i in range(12):
        (data / "a" / f"zz{i:02d}.png").write_bytes(b"not a png")
    run = tmp_path / "run"
    # batch size 1: every broken training file is a batch of its own with nothing in it
    _train(tiny_args(str(data), run, "--batch-size", "1", "--epochs", "2", "--workers", "0", "--val-fraction", "0.1"))
    st = load_state(run)
    _, cfg, ck = load_checkpoint(run / "checkpoint.pt")
    from aeonnx_training import splits

    tr, _, _ = splits.load_splits(cfg)
    good = sum(1 for f in tr.files if not f.startswith("a/zz"))
    assert len(tr) > good > 0
    assert st["step"] == 2 * good  # one step per decodable training image and epoch


def _popen_train(args, log_every="0.01"):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    # SIGINT at its default in the child, as in a terminal: a runner started as a shell's background job
    # (`cmd &` in a script) ignores it, and Python leaves an inherited ignore in place.
    return subprocess.Popen(
        [sys.executable, str(SCRIPTS / "train.py"), *args, "--log-every", log_every],
        cwd=SCRIPTS,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_logs_get_progress_lines_and_skipped_files_are_warned_when_met(shapes_dir, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(shapes_dir, data)
    (data / "circle" / "aa_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    p = _popen_train(
        tiny_args(
            str(data),
            tmp_path / "run",
            "--epochs",
            "1",
            "--batch-size",
            "4",
            "--workers",
            "1",
            "--val-fraction",
            "0.02",
        )
    )
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err[-3000:]
    lines = err.splitlines()
    progress = [i for i, l in enumerate(lines) if l.startswith("epoch 1/1: ") and " images, loss " in l]
    summary = next(i for i, l in enumerate(lines) if l.startswith("epoch 1/1: train loss"))
    assert progress and max(progress) < summary, err  # stderr is a pipe here, not a terminal
    warned = [
        i for i, l in enumerate(lines) if l.startswith("warning: skipped undecodable image file circle/aa_broken.png")
    ]
    assert len(warned) == 1 and warned[0] < summary, err  # once, when met, before the epoch's end


def test_ctrl_c_stops_with_one_line_and_the_resume_hint(shapes_dir, tmp_path):
    run = tmp_path / "run"
    p = _popen_train(tiny_args(str(shapes_dir), run, "--epochs", "500", "--workers", "1"), log_every="1000")
    for line in p.stderr:  # wait for the first finished (and saved) epoch
        if line.startswith("epoch 1/500: train loss"):
            break
    else:
        pytest.fail("the run ended before its first epoch: " + p.communicate()[1][-2000:])
    p.send_signal(signal.SIGINT)
    _, rest = p.communicate(timeout=240)  # a hang guard: exiting takes seconds, more on a loaded machine
    assert p.returncode == 130, rest[-3000:]
    assert "Traceback" not in rest and "KeyboardInterrupt" not in rest, rest[-3000:]
    last = [line for line in rest.splitlines() if line.strip()][-1]
    assert last.startswith("interrupted ") and last.endswith(f"continue with: train.py --resume {run}"), rest
    assert "resume.pt holds epoch " in last and load_state(run)["epoch"] >= 1
