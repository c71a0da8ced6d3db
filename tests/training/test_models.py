"""Model shapes, refusals, and the VAE encoder being deterministic."""
import numpy as np
import pytest
import torch

from aeonnx_training.models import ModelConfigError, build_model


@pytest.mark.parametrize(
    "c, h, w, stages",
    [(1, 28, 28, 2), (3, 32, 32, 2), (1, 64, 256, 5), (3, 12, 20, 2), (1, 16, 16, 1), (3, 64, 64, 3), (3, 128, 96, 4)],
)
def test_shapes_and_depth_follow_the_image_size(c, h, w, stages):
    m = build_model("ae", c, h, w, 5, widths=(2, 3)).eval()
    assert m.spec.stages == stages
    convs = [layer for layer in m.encoder.features if isinstance(layer, torch.nn.Conv2d)]
    assert len(convs) == 2 * stages
    assert [c.out_channels for c in convs[::2]] == ([2, 3, 6, 12, 24][:stages])  # missing widths double
    fh, fw = h // 2**stages, w // 2**stages
    assert max(fh, fw) <= 8 and (stages == 1 or max(h, w) // 2 ** (stages - 1) > 8)
    assert m.decoder.shape == (m.spec.stage_widths()[-1], fh, fw)
    x = torch.rand(3, c, h, w)
    z = m.encoder(x)
    assert z.shape == (3, 5)
    y = m.decoder(z)
    assert y.shape == (3, c, h, w)
    assert float(y.min()) >= 0 and float(y.max()) <= 1  # sigmoid


def test_a_decoder_wider_than_its_encoder():
    """decoder_widths sets the decoder's channels per stage (missing ones double, like widths); the
    encoder keeps widths; a config without it saves no key, so older configs keep their bytes."""
    from aeonnx_training.config import TrainConfig
    from aeonnx_training.models import AutoEncoder, ModelSpec

    m = AutoEncoder(ModelSpec("ae", 3, 32, 32, 5, (2, 3), decoder_widths=(6,))).eval()
    enc = [c.out_channels for c in m.encoder.features if isinstance(c, torch.nn.Conv2d)]
    dec = [c.out_channels for c in m.decoder.body if isinstance(c, torch.nn.Conv2d)]
    assert enc == [2, 2, 3, 3] and dec == [12, 6, 3]
    assert m.encoder.mean.in_features == 3 * 8 * 8 and m.decoder.project.out_features == 12 * 8 * 8
    assert m.decoder(m.encoder(torch.rand(2, 3, 32, 32))).shape == (2, 3, 32, 32)
    with pytest.raises(ModelConfigError, match="decoder widths must be positive"):
        AutoEncoder(ModelSpec("ae", 3, 32, 32, 5, (2, 3), decoder_widths=(4, 0)))

    cfg = TrainConfig(widths=(2, 3), decoder_widths=(6, 12))
    saved = cfg.to_saved()
    assert saved["decoder_widths"] == [6, 12] and "decoder_widths" not in TrainConfig().to_saved()
    back = TrainConfig.from_saved(saved)
    assert back.decoder_widths == (6, 12) and back.model_spec().decoder_stage_widths()[:2] == [6, 12]
    assert TrainConfig.from_saved(TrainConfig().to_saved()).model_spec().decoder_widths == ()
    from aeonnx_training.train import config_from_args

    assert config_from_args(["--decoder-widths", "8,16"])[0].decoder_widths == (8, 16)
    assert config_from_args([])[0].decoder_widths == ()


@pytest.mark.parametrize(
    "h, w, msg",
    [
        (30, 28, "multiples of 4"),
        (28, 30, "multiples of 4"),
        (4, 4, "between 8 and 256"),
        (260, 28, "between 8 and 256"),
        (28, 6, "between 8 and 256"),
        (8, 256, "multiples of 32"),
        (100, 100, "multiples of 16"),
    ],
)
def test_unsupported_sizes_are_refused(h, w, msg):
    with pytest.raises(ModelConfigError, match=msg):
        build_model("ae", 1, h, w, 4, widths=(4,))


@pytest.mark.parametrize(
    "kw, msg",
    [
        (dict(latent_dim=0), "latent dimension must be at least 1"),
        (dict(channels=2), "channels must be 1"),
        (dict(kind="gan"), "model kind"),
    ],
)
def test_bad_settings_are_refused(kw, msg):
    args = dict(kind="ae", channels=1, height=16, width=16, latent_dim=4)
    args.update(kw)
    with pytest.raises(ModelConfigError, match=msg):
        build_model(**args)


def test_vae_encoder_returns_mean_and_logvar_deterministically():
    torch.manual_seed(0)
    m = build_model("vae", 1, 16, 16, 6, widths=(4, 4))
    m.train()  # even in training mode the encoder itself never samples
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
    l0, _ = m0.loss(x, x)  # eval, no generator: z = mean
    l2, _ = m2.loss(x, x)
    mean, logvar = m0.encoder(x)
    kl = (-0.5 * (1 + logvar - mean**2 - logvar.exp()).sum(1)).mean()
    assert float(l2 - l0) == pytest.approx(2 * float(kl), rel=1e-4)


def test_vae_loss_is_the_negative_elbo_with_a_gaussian_likelihood():
    """beta = 1: loss = -(log N(x | decoder(z), sigma^2 I) - KL), checked with torch.distributions."""
    torch.manual_seed(1)
    x = torch.rand(3, 1, 8, 8)
    m = build_model("vae", 1, 8, 8, 3, widths=(2,)).eval()
    with torch.no_grad():
        m.log_sigma.fill_(-1.7)
        loss, mse = m.loss(x, x)
        mean, logvar = m.encoder(x)
        rec = m.decoder.pixels(mean)
        ll = torch.distributions.Normal(rec, torch.exp(torch.tensor(-1.7))).log_prob(x).flatten(1).sum(1)
        q = torch.distributions.Normal(mean, torch.exp(0.5 * logvar))
        p = torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(mean))
        kl = torch.distributions.kl_divergence(q, p).sum(1)
    assert float(loss) == pytest.approx(float((-(ll - kl)).mean()), rel=1e-5)
    assert float(mse) == pytest.approx(float(((rec - x) ** 2).mean()), rel=1e-6)


def test_ae_latent_penalty_adds_weighted_mean_square_latent():
    torch.manual_seed(2)
    x = torch.rand(4, 1, 8, 8)
    m = build_model("ae", 1, 8, 8, 3, widths=(2,)).eval()
    from aeonnx_training.models import AutoEncoder, ModelSpec

    mp = AutoEncoder(ModelSpec("ae", 1, 8, 8, 3, (2,), latent_penalty=0.5)).eval()
    mp.load_state_dict(m.state_dict())
    with torch.no_grad():
        l0, mse0 = m.loss(x, x)
        lp, msep = mp.loss(x, x)
        z = m.encoder(x)
    assert float(mse0) == float(msep) == float(l0)
    assert float(lp - l0) == pytest.approx(0.5 * float((z**2).mean()), rel=1e-5)


def test_normalized_models_learn_in_pixel_space_and_output_normalized_images():
    """With mean/std != 0/1 the encoder sees (p - mean)/std, the loss compares [0,1] pixels, and
    decoder(z) (the exported graph) is in normalized space: postprocessing recovers the pixels."""
    from aeonnx_training.models import AutoEncoder, ModelSpec

    mean, std = (0.5, 0.25, 0.1), (0.5, 0.2, 0.3)
    m = AutoEncoder(ModelSpec("ae", 3, 8, 8, 3, (4,), mean=mean, std=std)).eval()
    p01 = torch.rand(2, 3, 8, 8)
    mt, st = torch.tensor(mean).reshape(1, 3, 1, 1), torch.tensor(std).reshape(1, 3, 1, 1)
    x = (p01 - mt) / st
    with torch.no_grad():
        loss, mse = m.loss(x, p01)
        z = m.encoder(x)
        pix = m.decoder.pixels(z)
        out = m.decoder(z)
    assert float(loss) == pytest.approx(float(((pix - p01) ** 2).mean()), rel=1e-6)
    assert torch.allclose(out * st + mt, pix, atol=1e-6)
    assert (out - pix).abs().max() > 0.1  # the graph output is not the [0,1] image itself
    with pytest.raises(ModelConfigError, match="one value per channel"):
        AutoEncoder(ModelSpec("ae", 3, 8, 8, 3, (4,), mean=(0.5,), std=(0.5,)))


@pytest.mark.parametrize(
    "arch, upsample, pca, extra_ops",
    [
        ("plain", "nearest", False, set()),
        ("bn", "nearest", False, set()),
        ("bn", "bilinear", False, set()),
        ("bn", "nearest", True, {"Add", "Clip"}),
        ("gn", "nearest", False, {"Shape", "InstanceNormalization", "Mul", "Add", "Identity"}),
    ],
)
def test_each_architecture_exports_graphs_that_run_like_torch(arch, upsample, pca, extra_ops):
    """bn's BatchNorm (with non-trivial running statistics) folds into the convolutions: no new op
    for .NET; gn's GroupNorm becomes InstanceNormalization between reshapes; the PCA path of a
    pca_residual model is a Gemm added to the convolutional path, then a Clip."""
    import collections
    import onnx
    import onnx_torch_eval
    from aeonnx_training import export

    torch.manual_seed(3)
    from aeonnx_training.models import AutoEncoder, ModelSpec

    m = AutoEncoder(ModelSpec("ae", 3, 16, 16, 4, (4, 8), arch=arch, upsample=upsample, pca_residual=pca))
    if pca:
        basis = torch.linalg.qr(torch.randn(768, 4, dtype=torch.float64))[0]
        m.init_pca(torch.rand(768, dtype=torch.float64), basis, torch.tensor([3.0, 2.0, 1.0, 0.5]))
        with torch.no_grad():  # the residual paths start at zero: make them count
            for p in (m.encoder.mean.weight, m.decoder.body[-1].weight):
                p.normal_(0, 0.3)
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(torch.rand(8, 3, 16, 16) * 2)  # moves BatchNorm's running mean and variance
    m.eval()
    x = np.random.default_rng(0).random((3, 3, 16, 16), dtype=np.float32)
    base = {"Conv", "Relu", "Flatten", "Gemm", "Reshape", "Resize", "Constant"} | ({"Sigmoid"} if not pca else set())
    for graph, feed, name, out, shape in (
        (export._EncoderGraph(m), x, "image", "latent", [4]),
        (export._DecoderGraph(m), None, "latent", "image", [3, 16, 16]),
    ):
        with torch.no_grad():
            feed = feed if feed is not None else m.encoder(torch.from_numpy(x)).numpy()
            want = graph(torch.from_numpy(feed)).numpy()
        proto = onnx.load_from_string(export.export_graph(graph, torch.from_numpy(feed), name, [out], [shape], {}))
        ops = set(collections.Counter(n.op_type for n in proto.graph.node))
        assert ops <= base | extra_ops and (arch != "gn" or "InstanceNormalization" in ops), ops
        assert "BatchNormalization" not in ops
        np.testing.assert_allclose(onnx_torch_eval.run(proto, {name: feed})[out], want, rtol=1e-5, atol=1e-5)
        resize = [n for n in proto.graph.node if n.op_type == "Resize"]
        modes = {onnx.helper.get_attribute_value(a) for n in resize for a in n.attribute if a.name == "mode"}
        assert modes == ({b"linear"} if upsample == "bilinear" else {b"nearest"}) or name == "image"
