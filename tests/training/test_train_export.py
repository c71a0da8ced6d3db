"""Real (tiny) training and export: reproducibility, ONNX validity, manifest vs graphs, fixtures."""
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from aeonnx_training import data
from aeonnx_training import export
import onnx_torch_eval
from aeonnx_training import train
from aeonnx_training.checkpoint import load_checkpoint
from conftest import needs_fashion_mnist, run_script, tiny_args


def sha(p):
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def twin_runs(shapes_dir, tmp_path_factory):
    """The same AE config trained twice in separate processes, and once with another seed."""
    base = tmp_path_factory.mktemp("twins")
    runs = []
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        r = run_script("train.py", *tiny_args(str(shapes_dir), base / name), "--seed", seed)
        assert r.returncode == 0, r.stderr[-2000:]
        runs.append(base / name)
    return runs


@pytest.fixture(scope="session")
def vae_model(shapes_dir, tmp_path_factory):
    """A tiny VAE trained and exported in-process."""
    base = tmp_path_factory.mktemp("vae")
    cfg, _ = train.config_from_args(
        tiny_args(str(shapes_dir), base / "run", "--model", "vae", "--name", "tiny-vae", "--workers", "0")
    )
    ckpt = train.train(cfg, progress=False)
    export.export_model(ckpt, base / "model", progress=False)
    return base / "model"


@pytest.fixture(scope="session")
def ae_model(twin_runs, tmp_path_factory):
    """The first twin's checkpoint exported twice (m1, m2), the second twin's once (m3)."""
    base = tmp_path_factory.mktemp("ae")
    export.export_model(twin_runs[0] / "checkpoint.pt", base / "m1", "tiny-ae", progress=False)
    export.export_model(twin_runs[0] / "checkpoint.pt", base / "m2", "tiny-ae", progress=False)
    export.export_model(twin_runs[1] / "checkpoint.pt", base / "m3", "tiny-ae", progress=False)
    return base / "m1", base / "m2", base / "m3"


def test_training_twice_gives_identical_checkpoint_bytes(twin_runs):
    a, b, c = (r / "checkpoint.pt" for r in twin_runs)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()  # the seed matters, so the comparison can fail


def test_run_folder_contents(twin_runs):
    run = twin_runs[0]
    for f in ("checkpoint.pt", "resume.pt", "train_metrics.json", "loss_curve.png", "reconstructions.png"):
        assert (run / f).is_file(), f
    m = json.loads((run / "train_metrics.json").read_text())
    assert m["wall_seconds"] > 0 and m["epochs"] == 2 and m["threads"] == 1
    assert (m["device"], m["precision"], m["world_size"]) == ("cpu", "float32", 1)
    assert m["machine"]["threads"] == 1 and m["machine"]["cpu"]
    _, _, ckpt = load_checkpoint(run / "checkpoint.pt")
    assert ckpt["format"] == "aeonnx.checkpoint/1"
    assert ckpt["config"]["seed"] == 5 and ckpt["config"]["widths"] == [4]
    assert "out" not in ckpt["config"]  # no run path inside the bytes
    assert ckpt["versions"]["torch"] == torch.__version__
    assert set(ckpt["history"]) == {"train_loss", "train_mse", "val_loss", "val_mse"}
    assert all(isinstance(v, torch.Tensor) for v in ckpt["state_dict"].values())
    assert len(ckpt["history"]["val_loss"]) == 2


def test_reexport_gives_identical_files(ae_model):
    m1, m2, _ = ae_model
    for f in (
        "encoder.onnx",
        "decoder.onnx",
        "manifest.json",
        "fixtures/fixtures.json",
        "fixtures/000.png",
        "samples.png",
        "reconstructions.png",
    ):
        assert (m1 / f).read_bytes() == (m2 / f).read_bytes(), f


def test_training_twice_gives_identical_onnx_hashes(ae_model):
    m1, _, m3 = ae_model
    man1 = json.loads((m1 / "manifest.json").read_text())
    man3 = json.loads((m3 / "manifest.json").read_text())
    for role in ("encoder", "decoder"):
        assert man1[role]["sha256"] == man3[role]["sha256"] == sha(m3 / f"{role}.onnx")
    assert (m1 / "fixtures/fixtures.json").read_bytes() == (m3 / "fixtures/fixtures.json").read_bytes()
    # only the measured wall time may differ between the two runs' manifests
    man1["training"].pop("wall_seconds")
    man3["training"].pop("wall_seconds")
    assert man1["training"]["machine"]["cpu"] == man3["training"]["machine"]["cpu"]
    assert man1 == man3


def test_graphs_have_no_doc_strings_or_paths(ae_model, vae_model):
    for folder in (ae_model[0], vae_model):
        for f in ("encoder.onnx", "decoder.onnx"):
            raw = (folder / f).read_bytes()
            assert b".py" not in raw and b"/tmp" not in raw and b"site-packages" not in raw
            m = onnx.load(str(folder / f))
            assert m.doc_string == "" and m.graph.doc_string == ""
            assert all(n.doc_string == "" for n in m.graph.node)


def _check_manifest_against_graphs(folder, kind, latent_dim, chw):
    man = json.loads((folder / "manifest.json").read_text())
    assert man["format"] == "aeonnx.model/1" and man["kind"] == kind
    inp = man["input"]
    assert [inp["channels"], inp["height"], inp["width"]] == list(chw)
    assert inp["color"] == ("gray" if chw[0] == 1 else "rgb") and inp["layout"] == "NCHW"
    assert inp["scale"] == 255.0 and len(inp["mean"]) == len(inp["std"]) == chw[0]
    assert (inp["resize"], inp["gray"], inp["alpha"]) == ("bilinear", "bt601", "ignore")
    assert man["output"] == {"activation": "sigmoid"}
    lat = man["latent"]
    assert lat["dim"] == latent_dim and len(lat["mean"]) == len(lat["std"]) == latent_dim
    cov, chol = np.array(lat["covariance"]), np.array(lat["cholesky"])
    assert cov.shape == chol.shape == (latent_dim, latent_dim)
    assert np.allclose(chol, np.tril(chol))
    assert np.allclose(chol @ chol.T, cov + 1e-6 * np.eye(latent_dim), atol=1e-6)
    assert np.allclose(np.sqrt(np.diag(cov)), lat["std"], rtol=1e-5)
    enc_out = ["mean", "logvar"] if kind == "vae" else ["latent"]
    for role, ins, outs in (("encoder", ["image"], enc_out), ("decoder", ["latent"], ["image"])):
        e = man[role]
        assert e["file"] == f"{role}.onnx" and e["opset"] == 17
        assert e["sha256"] == sha(folder / e["file"])
        io = export.graph_io(folder / e["file"])
        assert list(io["inputs"]) == ins == [e["input"]]
        assert list(io["outputs"]) == outs == (e["outputs"] if role == "encoder" else [e["output"]])
        assert io["opset"] == 17
        md = io["metadata"]
        assert md["aeonnx.format"] == "aeonnx.model/1" and md["aeonnx.role"] == role
        assert md["aeonnx.name"] == man["name"] and md["aeonnx.kind"] == kind
        assert md["aeonnx.latent_dim"] == str(latent_dim)
        assert json.loads(md["aeonnx.input"]) == inp
    img, lat_shape = ["N", *chw], ["N", latent_dim]
    assert export.graph_io(folder / "encoder.onnx")["inputs"]["image"] == img
    assert all(v == lat_shape for v in export.graph_io(folder / "encoder.onnx")["outputs"].values())
    assert export.graph_io(folder / "decoder.onnx")["inputs"]["latent"] == lat_shape
    assert export.graph_io(folder / "decoder.onnx")["outputs"]["image"] == img
    for k in ("mse", "psnr", "ssim", "pca_mse", "test_count"):
        assert k in man["metrics"]
    assert ("elbo" in man["metrics"]) == (kind == "vae")
    t = man["training"]
    assert t["threads"] == 1 and t["seed"] == 5 and t["torch"] == torch.__version__
    assert t["config"]["model"] == kind and t["wall_seconds"] > 0
    assert (t["device"], t["precision"]) == ("cpu", "float32") and t["world_size"] >= 1
    assert t["export_machine"]["threads"] == 1
    return man


def test_manifest_matches_graphs_ae(ae_model):
    man = _check_manifest_against_graphs(ae_model[0], "ae", 4, (3, 16, 16))
    assert [c["label"] for c in man["latent"]["classes"]] == ["circle", "square", "stripes", "triangle"]


def test_manifest_matches_graphs_vae(vae_model):
    _check_manifest_against_graphs(vae_model, "vae", 4, (3, 16, 16))


def test_onnx_checker_passes(ae_model, vae_model):
    for folder in (ae_model[0], vae_model):
        for f in ("encoder.onnx", "decoder.onnx"):
            onnx.checker.check_model(onnx.load(str(folder / f)), full_check=True)


def _torch_model(folder):
    model, _, _ = load_checkpoint(folder / "checkpoint.pt")
    return model


@pytest.mark.parametrize("batch", [1, 7])
def test_graphs_run_like_torch_for_batch_sizes(ae_model, vae_model, batch):
    x = np.random.default_rng(batch).random((batch, 3, 16, 16), dtype=np.float32)
    for folder, names in ((ae_model[0], ["latent"]), (vae_model, ["mean", "logvar"])):
        model = _torch_model(folder)
        with torch.no_grad():
            want = model.encoder(torch.from_numpy(x))
        want = [want] if isinstance(want, torch.Tensor) else list(want)
        got = onnx_torch_eval.run(folder / "encoder.onnx", {"image": x})
        for n, w in zip(names, want):
            assert got[n].shape == (batch, 4)
            np.testing.assert_allclose(got[n], w.numpy(), rtol=1e-5, atol=1e-6)
        z = want[0].numpy()
        with torch.no_grad():
            img = model.decoder(want[0]).numpy()
        out = onnx_torch_eval.run(folder / "decoder.onnx", {"latent": z})["image"]
        assert out.shape == (batch, 3, 16, 16)
        np.testing.assert_allclose(out, img, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch", [1, 7])
def test_graphs_with_onnx_reference_evaluator(ae_model, batch):
    try:
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        pytest.skip(
            f"onnx {onnx.__version__} has no onnx.reference (added in onnx 1.13); "
            "the torch-op interpreter test covers the graphs"
        )
    x = np.random.default_rng(batch).random((batch, 3, 16, 16), dtype=np.float32)
    model = _torch_model(ae_model[0])
    with torch.no_grad():
        want = model.encoder(torch.from_numpy(x)).numpy()
    (got,) = ReferenceEvaluator(str(ae_model[0] / "encoder.onnx")).run(None, {"image": x})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_fixtures_are_model_size_pngs_with_torch_values(vae_model):
    fx = json.loads((vae_model / "fixtures" / "fixtures.json").read_text())
    man = json.loads((vae_model / "manifest.json").read_text())
    assert fx["model"] == man["name"] and len(fx["images"]) == 8
    spec = data.InputSpec(3, 16, 16)
    model = _torch_model(vae_model)
    for e in fx["images"]:
        from PIL import Image

        im = Image.open(vae_model / "fixtures" / e["file"])
        assert im.size == (16, 16) and im.mode == "RGB"
        x = torch.from_numpy(data.preprocess_image(vae_model / "fixtures" / e["file"], spec))[None]
        with torch.no_grad():
            mean, logvar = model.encoder(x)
            rec = model.decoder(mean)
        assert np.array_equal(np.float32(e["latent"]), mean[0].numpy())
        assert np.array_equal(np.float32(e["logvar"]), logvar[0].numpy())
        assert np.array_equal(np.float32(e["reconstruction"]), rec.reshape(-1).numpy())
        assert e["label"] in ("circle", "square", "stripes", "triangle")


def test_float16_weights_compute_what_the_fixtures_say(vae_model, tmp_path):
    """export --weights float16: the large initializers are float16 behind Casts, the graphs compute
    the fixtures' values (the torch model they were taken from holds exactly those weights), the
    checkpoint is float16 and re-exporting it gives the same graphs; the metrics stay close."""
    half = tmp_path / "half"
    export.export_model(vae_model / "checkpoint.pt", half, progress=False, weights="float16")
    for role in ("encoder", "decoder"):
        g = onnx.load(str(half / f"{role}.onnx")).graph
        kinds = {i.name: (i.data_type, int(np.prod(i.dims))) for i in g.initializer}
        casts = [n for n in g.node if n.op_type == "Cast"]
        assert casts and all(kinds[n.input[0]][0] == onnx.TensorProto.FLOAT16 for n in casts)
        assert not [k for k, (t, n) in kinds.items() if t == onnx.TensorProto.FLOAT and n >= 256]
        assert not [n for n in g.node if n.op_type == "BatchNormalization"]
        assert (half / f"{role}.onnx").stat().st_size < (vae_model / f"{role}.onnx").stat().st_size
    spec = data.InputSpec(3, 16, 16)
    fx = json.loads((half / "fixtures" / "fixtures.json").read_text())
    for e in fx["images"]:
        x = data.preprocess_image(half / "fixtures" / e["file"], spec)[None]
        enc = onnx_torch_eval.run(half / "encoder.onnx", {"image": x})
        np.testing.assert_allclose(enc["mean"][0], np.float32(e["latent"]), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(enc["logvar"][0], np.float32(e["logvar"]), rtol=1e-5, atol=1e-6)
        rec = onnx_torch_eval.run(half / "decoder.onnx", {"latent": enc["mean"]})["image"]
        np.testing.assert_allclose(rec.reshape(-1), np.float32(e["reconstruction"]), rtol=1e-5, atol=1e-6)
    state = torch.load(half / "checkpoint.pt", weights_only=False)["state_dict"]
    assert {t.dtype for t in state.values() if t.is_floating_point()} == {torch.float16}
    again = tmp_path / "again"
    export.export_model(half / "checkpoint.pt", again, progress=False)  # float16, from the checkpoint
    for f in ("encoder.onnx", "decoder.onnx"):
        assert sha(again / f) == sha(half / f)
    m16 = json.loads((half / "manifest.json").read_text())["metrics"]
    m32 = json.loads((vae_model / "manifest.json").read_text())["metrics"]
    assert m16["mse"] != m32["mse"] and abs(m16["mse"] - m32["mse"]) < 0.01 * m32["mse"]
    with pytest.raises(ValueError, match="weights must be one of float32, float16"):
        export.export_model(vae_model / "checkpoint.pt", tmp_path / "x", progress=False, weights="int8")
    assert not (tmp_path / "x").exists()


def test_model_folder_pictures(vae_model):
    for f in ("samples.png", "reconstructions.png", "loss_curve.png", "checkpoint.pt", "train_metrics.json"):
        assert (vae_model / f).is_file(), f


@needs_fashion_mnist
def test_fashion_mnist_end_to_end_small(tmp_path):
    cfg, _ = train.config_from_args(
        [
            "--limit",
            "300",
            "--epochs",
            "1",
            "--widths",
            "4,8",
            "--latent-dim",
            "3",
            "--threads",
            "1",
            "--out",
            str(tmp_path / "run"),
            "--name",
            "fm-small",
        ]
    )
    ckpt = train.train(cfg, progress=False)
    man = export.export_model(ckpt, tmp_path / "model", progress=False)
    _check_manifest_against_graphs_fm = man["input"]
    assert _check_manifest_against_graphs_fm["color"] == "gray"
    assert man["metrics"]["test_count"] == 300
    fx = json.loads((tmp_path / "model" / "fixtures" / "fixtures.json").read_text())
    labels = [e["label"] for e in fx["images"]]
    assert labels == list(data.FASHION_MNIST_CLASSES[:8])  # one per class, in class order
    assert len(fx["images"][0]["reconstruction"]) == 784 and "logvar" not in fx["images"][0]
    counts = {c["label"]: c["count"] for c in man["latent"]["classes"]}
    assert sum(counts.values()) == man["training"]["train_count"]


SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "manifest.schema.json"


def _schema_errors(manifest: dict) -> list:
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(manifest)]


def test_exported_and_shipped_manifests_follow_the_schema(ae_model, vae_model):
    """docs/manifest.schema.json is the contract: what export writes (AE and VAE) and every shipped manifest
    validate; the .NET reader is held to the same schema by ManifestSchemaTests."""
    shipped = sorted((Path(__file__).resolve().parents[2] / "models").glob("*/manifest.json"))
    assert len(shipped) >= 3
    for path in [ae_model[0] / "manifest.json", vae_model / "manifest.json", *shipped]:
        assert _schema_errors(json.loads(path.read_text())) == [], path


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(format="aeonnx.model/2"),
        lambda m: m.update(kind="gan"),
        lambda m: m["input"].update(channels=2),
        lambda m: m["input"].update(color="gray" if m["input"]["color"] == "rgb" else "rgb"),
        lambda m: m["input"].update(std=[0.0]),
        lambda m: m["encoder"].update(file="../encoder.onnx"),
        lambda m: m["encoder"].update(outputs=["mean", "logvar"]),
        lambda m: m["decoder"].pop("sha256"),
    ],
)
def test_the_schema_refuses_what_the_readers_refuse(ae_model, change):
    m = json.loads((ae_model[0] / "manifest.json").read_text())
    assert _schema_errors(m) == []
    change(m)
    assert _schema_errors(m) != []
