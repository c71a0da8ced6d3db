"""Model shapes, refusals, and the VAE encoder being deterministic."""
import numpy as np
import pytest
import torch

from models import ModelConfigError, build_model


@pytest.mark.parametrize("c, h, w", [(1, 28, 28), (3, 32, 32), (1, 8, 256), (3, 12, 20)])
def test_shapes(c, h, w):
    m = build_model("ae", c, h, w, 5, widths=(2, 3)).eval()
    x = torch.rand(3, c, h, w)
    z = m.encoder(x)
    assert z.shape == (3, 5)
    y = m.decoder(z)
    assert y.shape == (3, c, h, w)
    assert float(y.min()) >= 0 and float(y.max()) <= 1          # sigmoid


@pytest.mark.parametrize("h, w", [(30, 28), (28, 30), (4, 4), (260, 28), (28, 6)])
def test_unsupported_sizes_are_refused(h, w):
    with pytest.raises(ModelConfigError, match="multiples of 4 between 8 and 256"):
        build_model("ae", 1, h, w, 4)


@pytest.mark.parametrize("kw, msg", [
    (dict(latent_dim=0), "latent dimension must be at least 1"),
    (dict(channels=2), "channels must be 1"),
    (dict(kind="gan"), "model kind"),
])
def test_bad_settings_are_refused(kw, msg):
    args = dict(kind="ae", channels=1, height=16, width=16, latent_dim=4)
    args.update(kw)
    with pytest.raises(ModelConfigError, match=msg):
        build_model(**args)


def test_vae_encoder_returns_mean_and_logvar_deterministically():
    torch.manual_seed(0)
    m = build_model("vae", 1, 16, 16, 6, widths=(4, 4))
    m.train()                     # even in training mode the encoder itself never samples
    x = torch.rand(4, 1, 16, 16)
    out1 = m.encoder(x)
    out2 = m.encoder(x)
    assert isinstance(out1, tuple) and len(out1) == 2
    assert out1[0].shape == (4, 6) and out1[1].shape == (4, 6)
    assert torch.equal(out1[0], out2[0]) and torch.equal(out1[1], out2[1])
    m.eval()
    assert torch.equal(m.encode_mean(x), out1[0])
    # the training forward does sample: with different noise the reconstructions differ
    r1, _, _ = m(x, torch.Generator().manual_seed(1))
    r2, _, _ = m(x, torch.Generator().manual_seed(2))
    r3, _, _ = m(x, torch.Generator().manual_seed(1))
    assert not torch.equal(r1, r2) and torch.equal(r1, r3)


def test_vae_loss_is_nll_plus_beta_kl():
    torch.manual_seed(0)
    x = torch.rand(2, 1, 8, 8)
    m0 = build_model("vae", 1, 8, 8, 3, widths=(2, 2), beta=0.0).eval()
    m2 = build_model("vae", 1, 8, 8, 3, widths=(2, 2), beta=2.0).eval()
    m2.load_state_dict(m0.state_dict())
    l0, _ = m0.loss(x)           # eval, no generator: z = mean
    l2, _ = m2.loss(x)
    mean, logvar = m0.encoder(x)
    kl = (-0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(1)).mean()
    assert float(l2 - l0) == pytest.approx(2 * float(kl), rel=1e-4)
