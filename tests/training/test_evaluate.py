"""SSIM, PCA baseline and manifest JSON formatting, checked against independent numbers."""
import json

import numpy as np
import pytest
import torch

from aeonnx_training import evaluate
from aeonnx_training import export


def _ssim_single_window(a, b, sigma=1.5, k1=0.01, k2=0.03):
    """Textbook SSIM of one 11x11 window in plain numpy (Wang et al. 2004, eq. 13)."""
    r = np.arange(11) - 5.0
    g = np.exp(-(r**2) / (2 * sigma**2))
    w = np.outer(g, g)
    w /= w.sum()
    ma, mb = (w * a).sum(), (w * b).sum()
    va = (w * (a - ma) ** 2).sum()
    vb = (w * (b - mb) ** 2).sum()
    cov = (w * (a - ma) * (b - mb)).sum()
    c1, c2 = (k1 * 1.0) ** 2, (k2 * 1.0) ** 2
    return ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2))


def test_ssim_matches_textbook_formula_on_one_window():
    rng = np.random.default_rng(0)
    a = rng.random((11, 11))
    b = np.clip(a + rng.normal(0, 0.1, (11, 11)), 0, 1)
    ours = float(evaluate.ssim(torch.tensor(a)[None, None], torch.tensor(b)[None, None])[0])
    assert ours == pytest.approx(_ssim_single_window(a, b), abs=1e-12)
    assert 0.3 < ours < 0.99


def test_ssim_identity_and_averaging_over_windows():
    rng = np.random.default_rng(1)
    a = torch.tensor(rng.random((2, 3, 20, 24)))
    assert torch.allclose(evaluate.ssim(a, a), torch.ones(2, dtype=torch.float64))
    b = (a + 0.2).clamp(0, 1)
    s = evaluate.ssim(a, b)
    # image 0, channel 1, window at (4, 7): equals the textbook value for that crop
    crop = _ssim_single_window(a[0, 1, 4:15, 7:18].numpy(), b[0, 1, 4:15, 7:18].numpy())
    per_window = evaluate.ssim(a[0:1, 1:2, 4:15, 7:18], b[0:1, 1:2, 4:15, 7:18])
    assert float(per_window[0]) == pytest.approx(crop, abs=1e-12)
    assert float(s[0]) < 1


def test_pca_baseline_is_zero_in_subspace_and_matches_lstsq_otherwise():
    rng = np.random.default_rng(2)
    basis = rng.normal(size=(3, 50))
    train = rng.normal(size=(400, 3)) @ basis + 0.5
    test = rng.normal(size=(30, 3)) @ basis + 0.5
    assert evaluate.pca_baseline_mse(train, test, 3) < 1e-20
    noisy = test + rng.normal(0, 0.1, test.shape)
    got = evaluate.pca_baseline_mse(train, noisy, 3)
    # independent: projection onto the span of the centred training data via lstsq
    mean = train.mean(0)
    coef, *_ = np.linalg.lstsq(basis.T, (noisy - mean).T, rcond=None)
    want = np.mean(((noisy - mean).T - basis.T @ coef) ** 2)
    assert got == pytest.approx(want, rel=1e-9)
    # with fewer training rows than pixels the SVD path is used; same answer
    assert evaluate.pca_baseline_mse(train[:20], noisy, 3) == pytest.approx(want, rel=1e-6)


def test_manifest_json_floats_round_trip_float32_and_are_stable():
    vals = np.random.default_rng(3).normal(size=200).astype(np.float32) * np.float32(1e-3)
    doc = {"b": [float(v) for v in vals], "a": {"x": 1, "y": [1.5, 2.0]}, "s": "ü"}
    text = export.dumps(doc)
    assert text == export.dumps(doc)
    back = json.loads(text)
    assert list(back) == ["b", "a", "s"]  # insertion order, not sorted
    assert np.array_equal(np.array(back["b"], dtype=np.float32), vals)
    assert back["a"] == {"x": 1, "y": [1.5, 2.0]}
    with pytest.raises(ValueError):
        export.dumps({"bad": float("nan")})


def test_randomized_pca_matches_the_exact_one():
    """Low-rank images plus noise, as uint8: the subspace-iteration basis gives the same test MSE
    as an exact PCA (numpy SVD of the float64 data) to 1e-6."""
    rng = np.random.default_rng(4)
    d, k = 600, 12
    basis = rng.normal(size=(20, d))
    scale = np.linspace(3, 0.2, 20)[:, None]  # a decaying spectrum, as images have

    def draw(n):
        x = 128 + rng.normal(size=(n, 20)) @ (scale * basis) * 6 + rng.normal(0, 4, (n, d))
        return np.clip(np.rint(x), 0, 255).astype(np.uint8)

    train, test = draw(300), draw(50)
    exact = evaluate.pca_baseline_mse(train / 255.0, test / 255.0, k)
    mean, b = evaluate.randomized_pca_basis(train, 255.0, k)
    assert b.shape == (d, k) and np.allclose(b.T @ b, np.eye(k), atol=1e-10)
    t = test / 255.0 - mean
    got = np.mean((t - t @ b @ b.T) ** 2)
    assert got == pytest.approx(exact, rel=1e-6)
    # fewer iterations than needed are measurably worse, so the comparison can fail
    _, rough = evaluate.randomized_pca_basis(train, 255.0, k, oversample=0, iterations=0)
    assert np.mean((t - t @ rough @ rough.T) ** 2) > exact * (1 + 1e-3)


def test_streamed_baselines_exact_and_randomized_paths_agree_and_the_sample_is_bounded(shapes_dir, monkeypatch):
    from aeonnx_training import splits
    from aeonnx_training.config import TrainConfig

    cfg = TrainConfig(dataset=str(shapes_dir), channels=3, image_size=(16, 16), latent_dim=6)
    tr, _, te = splits.load_splits(cfg)
    x = evaluate._load_uint8(tr, 0) / 255.0
    tx = evaluate._load_uint8(te, 0) / 255.0
    exact = evaluate.pca_baseline_mse(x, tx, 6)
    gram = evaluate.baselines_streamed(tr, te, 6)  # 768 values per image: exact path
    assert gram.method.startswith("exact") and gram.pca_mse == pytest.approx(exact, rel=1e-9)
    assert gram.mean_image_mse == pytest.approx(np.mean((tx - x.mean(0)) ** 2), rel=1e-12)
    monkeypatch.setattr(evaluate, "PCA_EXACT_MAX_DIM", 100)  # force the randomized path
    rand = evaluate.baselines_streamed(tr, te, 6)
    assert rand.method.startswith("randomized") and rand.pca_mse == pytest.approx(exact, rel=1e-6)
    assert 0 < rand.pca_ssim < 1 and rand.pca_ssim == pytest.approx(gram.pca_ssim, rel=1e-6)
    # a memory bound of 30 images' pixels: an evenly spaced sample of 30, fit exactly on just those
    monkeypatch.setattr(evaluate, "PCA_MAX_BYTES", 30 * 768)
    sampled = evaluate.baselines_streamed(tr, te, 6)
    idx = evaluate._sample_indices(len(tr), 30)
    assert len(idx) == 30 and idx[0] == 0 and idx[-1] == len(tr) - 1
    assert f"on 30 of {len(tr)} training images" in sampled.method
    assert sampled.pca_mse == pytest.approx(evaluate.pca_baseline_mse(x[idx], tx, 6), rel=1e-6)


def test_quality_warnings_name_the_baseline_that_wins():
    good = {"mse": 0.005, "pca_mse": 0.01, "mean_image_mse": 0.05}
    assert evaluate.quality_warnings(good, 32) == []
    w = evaluate.quality_warnings({"mse": 0.0143, "pca_mse": 0.01368, "mean_image_mse": 0.05}, 8)
    assert w == [
        "test MSE 0.01430 is 1.05x that of PCA with 8 components (0.01368): a linear projection of the "
        "same size reconstructs better; retrain (docs/TRAINING.md)"
    ]
    w = evaluate.quality_warnings({"mse": 0.06, "pca_mse": 0.01, "mean_image_mse": 0.05}, 8)
    assert len(w) == 2 and w[0].startswith("test MSE 0.06000 is not below the mean image's 0.05000")
