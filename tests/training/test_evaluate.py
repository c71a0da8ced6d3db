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
    g = np.exp(-r ** 2 / (2 * sigma ** 2))
    w = np.outer(g, g)
    w /= w.sum()
    ma, mb = (w * a).sum(), (w * b).sum()
    va = (w * (a - ma) ** 2).sum()
    vb = (w * (b - mb) ** 2).sum()
    cov = (w * (a - ma) * (b - mb)).sum()
    c1, c2 = (k1 * 1.0) ** 2, (k2 * 1.0) ** 2
    return ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))


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
    assert list(back) == ["b", "a", "s"]                         # insertion order, not sorted
    assert np.array_equal(np.array(back["b"], dtype=np.float32), vals)
    assert back["a"] == {"x": 1, "y": [1.5, 2.0]}
    with pytest.raises(ValueError):
        export.dumps({"bad": float("nan")})
