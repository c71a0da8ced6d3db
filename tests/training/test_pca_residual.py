"""The PCA-initialised residual autoencoder (--pca-residual): it starts exactly at the training
split's PCA (reconstructions and whitened latents checked against an SVD computed here), and a
training run fits that PCA from its own training images."""
import json

import numpy as np
import pytest
import torch

from aeonnx_training import evaluate, export, splits, train
from aeonnx_training.checkpoint import load_checkpoint
from aeonnx_training.models import AutoEncoder, ModelSpec
from conftest import tiny_args


def _low_rank_images(n=80, seed=0):
    """uint8 [n, 3, 16, 16] images near a 4-dimensional subspace (so the top components are well separated)."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((4, 768)) * np.array([40.0, 25.0, 15.0, 8.0])[:, None]
    x = 128 + rng.standard_normal((n, 4)) @ basis + rng.standard_normal((n, 768)) * 2
    return np.clip(np.rint(x), 0, 255).astype(np.uint8).reshape(n, 3, 16, 16)


@pytest.mark.parametrize("norm", [((), ()), ((0.5, 0.4, 0.3), (0.25, 0.5, 0.2))])
def test_a_pca_residual_model_starts_at_the_pca_of_its_training_images(norm):
    imgs = _low_rank_images()
    rows = imgs.reshape(len(imgs), -1)
    mean, basis, scales = evaluate.pca_of_rows(rows, 255.0, 4)
    m = AutoEncoder(ModelSpec("ae", 3, 16, 16, 4, (4,), arch="bn", pca_residual=True, mean=norm[0], std=norm[1]))
    m.init_pca(torch.from_numpy(mean), torch.from_numpy(basis), torch.from_numpy(scales))
    m.eval()
    # independently: exact PCA by SVD in float64
    p = rows.astype(np.float64) / 255
    mu = p.mean(axis=0)
    _, sv, vt = np.linalg.svd(p - mu, full_matrices=False)
    coords = (p - mu) @ vt[:4].T
    want = np.clip(mu + coords @ vt[:4], 0, 1)
    nm, ns = (np.repeat(np.array(v or (d,) * 3), 256) for v, d in ((norm[0], 0.0), (norm[1], 1.0)))
    x = torch.from_numpy(((p - nm) / ns).reshape(-1, 3, 16, 16).astype(np.float32))
    with torch.no_grad():
        z = m.encoder(x).double().numpy()
        got = m.decoder.pixels(torch.from_numpy(z).float()).double().numpy().reshape(len(p), -1)
        normalized_out = m.decoder(torch.from_numpy(z).float()).double().numpy().reshape(len(p), -1)
    np.testing.assert_allclose(got, want, atol=2e-4)
    np.testing.assert_allclose(normalized_out, (got - nm) / ns, atol=1e-4)
    # whitened: each latent is its PCA coordinate over that coordinate's standard deviation (up to sign)
    np.testing.assert_allclose(np.abs(z), np.abs(coords / (sv[:4] / np.sqrt(len(p)))), atol=2e-3)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=1e-3)


def test_training_with_pca_residual_fits_the_pca_of_the_training_split_and_exports(shapes_dir, tmp_path):
    run = tmp_path / "run"
    cfg, opts = train.config_from_args(tiny_args(str(shapes_dir), run, "--pca-residual", "--workers", "0"))
    opts.progress = False
    ckpt = train.train(cfg, opts=opts)
    model, cfg2, ck = load_checkpoint(ckpt)
    assert cfg2.pca_residual and model.spec.pca_residual
    tr, _, _ = splits.load_splits(cfg2)
    px, _ = splits.first_images(tr, len(tr))
    # the decoder's PCA bias is the training split's mean image in [0,1] pixels
    np.testing.assert_allclose(
        ck["state_dict"]["decoder.pca_bias"].numpy(),
        px.reshape(len(px), -1).astype(np.float64).mean(axis=0) / 255,
        atol=1e-6,
    )
    out = tmp_path / "model"
    manifest = export.export_model(ckpt, out, progress=False)
    assert manifest["output"]["activation"] == "clip"
    assert manifest["training"]["config"]["pca_residual"] is True
    assert json.loads((out / "manifest.json").read_text())["metrics"]["pca_ratio"] > 0
