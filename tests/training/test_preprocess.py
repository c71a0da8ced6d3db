"""The preprocessing function against numbers computed by hand from docs/MODEL-FORMAT.md."""
import numpy as np
import pytest
from PIL import Image

from aeonnx_training.data import InputSpec, bt601_gray, load_pixels, postprocess_image, preprocess_image

GRAY28 = InputSpec(1, 28, 28)


def _save(tmp_path, name, img):
    p = tmp_path / name
    img.save(p)
    return p


@pytest.mark.parametrize(
    "rgb, gray",
    [
        # (R*19595 + G*38470 + B*7471 + 32768) >> 16, worked out by hand:
        ((255, 0, 0), 76),  # (4996725 + 32768) >> 16 = 5029493 >> 16 = 76
        ((0, 255, 0), 150),  # (9809850 + 32768) >> 16 = 150
        ((0, 0, 255), 29),  # (1905105 + 32768) >> 16 = 29
        ((10, 200, 30), 124),  # (195950 + 7694000 + 224130 + 32768) >> 16 = 8146848 >> 16 = 124
        ((255, 255, 255), 255),
        ((0, 0, 0), 0),
    ],
)
def test_bt601_rule_on_known_triples(rgb, gray):
    assert int(bt601_gray(np.array([[rgb]], dtype=np.uint8))[0, 0]) == gray


def test_bt601_matches_pil_convert_L():
    rgb = np.random.default_rng(0).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    ours = bt601_gray(rgb)
    pil = np.asarray(Image.fromarray(rgb, "RGB").convert("L"))
    assert np.array_equal(ours, pil)


def test_known_gray_pixel_to_float(tmp_path):
    a = np.zeros((28, 28), dtype=np.uint8)
    a[3, 5] = 51
    a[0, 0] = 255
    x = preprocess_image(_save(tmp_path, "g.png", Image.fromarray(a, "L")), GRAY28)
    assert x.dtype == np.float32 and x.shape == (1, 28, 28)
    assert x[0, 3, 5] == np.float32(0.2)  # 51 / 255
    assert x[0, 0, 0] == np.float32(1.0)
    assert x[0, 1, 1] == np.float32(0.0)


def test_rgb_file_into_gray_model_uses_bt601(tmp_path):
    a = np.zeros((28, 28, 3), dtype=np.uint8)
    a[:, :] = (10, 200, 30)
    x = preprocess_image(_save(tmp_path, "c.png", Image.fromarray(a, "RGB")), GRAY28)
    assert np.all(x == np.float32(124) / np.float32(255))


def test_gray_file_into_rgb_model_repeats_channel(tmp_path):
    a = np.full((16, 16), 102, dtype=np.uint8)
    x = preprocess_image(_save(tmp_path, "g.png", Image.fromarray(a, "L")), InputSpec(3, 16, 16))
    assert x.shape == (3, 16, 16)
    assert np.all(x == np.float32(0.4))  # 102 / 255


def test_alpha_is_dropped_not_composited(tmp_path):
    a = np.zeros((8, 8, 4), dtype=np.uint8)
    a[...] = (100, 150, 200, 0)  # fully transparent: color still counts
    x = preprocess_image(_save(tmp_path, "a.png", Image.fromarray(a, "RGBA")), InputSpec(3, 8, 8))
    assert x[:, 0, 0].tolist() == (np.array([100, 150, 200], np.float32) / np.float32(255)).tolist()
    la = Image.fromarray(np.dstack([np.full((8, 8), 77, np.uint8), np.zeros((8, 8), np.uint8)]), "LA")
    y = preprocess_image(_save(tmp_path, "la.png", la), InputSpec(1, 8, 8))
    assert np.all(y == np.float32(77) / np.float32(255))


def test_16bit_png_is_shifted_right_by_8(tmp_path):
    a = np.full((8, 8), 0x1234, dtype=np.uint16)
    a[0, 0] = 0xFFFF
    a[0, 1] = 0x00FF  # -> 0
    p = tmp_path / "w.png"
    Image.fromarray(a).save(p)
    assert Image.open(p).mode.startswith("I")
    x = preprocess_image(p, InputSpec(1, 8, 8))
    assert x[0, 1, 1] == np.float32(0x12) / np.float32(255)
    assert x[0, 0, 0] == np.float32(1.0)
    assert x[0, 0, 1] == np.float32(0.0)


def test_gif_first_frame(tmp_path):
    f1 = Image.fromarray(np.full((8, 8), 200, np.uint8), "L").convert("P")
    f2 = Image.fromarray(np.full((8, 8), 20, np.uint8), "L").convert("P")
    p = tmp_path / "anim.gif"
    f1.save(p, save_all=True, append_images=[f2])
    im = Image.open(p)
    assert getattr(im, "n_frames", 1) == 2
    im.seek(1)  # even a seeked image restarts at frame 0
    x = preprocess_image(im, InputSpec(1, 8, 8))
    assert np.all(x == np.float32(200) / np.float32(255))


def test_model_size_image_is_not_resampled(tmp_path):
    a = np.random.default_rng(1).integers(0, 256, (28, 28), dtype=np.uint8)
    x = preprocess_image(_save(tmp_path, "r.png", Image.fromarray(a, "L")), GRAY28)
    assert np.array_equal(np.rint(x[0] * 255).astype(np.uint8), a)


def test_other_size_is_resized_with_manifest_resampler(tmp_path):
    a = np.zeros((10, 12), dtype=np.uint8)
    a[:, 6:] = 255
    p = _save(tmp_path, "s.png", Image.fromarray(a, "L"))
    near = preprocess_image(p, InputSpec(1, 20, 24, resize="nearest"))
    assert near.shape == (1, 20, 24)
    # nearest doubling: columns 0..11 black, 12..23 white, exactly
    assert np.all(near[0, :, :12] == 0) and np.all(near[0, :, 12:] == 1)
    bil = preprocess_image(p, InputSpec(1, 20, 24, resize="bilinear"))
    edge = bil[0, 0, 11:13]
    assert 0 < edge[0] < 1 or 0 < edge[1] < 1  # bilinear blends across the edge


def test_normalization_with_mean_and_std():
    spec = InputSpec(3, 4, 4, mean=(0.5, 0.0, 1.0), std=(0.25, 2.0, 0.5))
    px = np.zeros((4, 4, 3), dtype=np.uint8)
    px[...] = (255, 51, 0)
    x = preprocess_image(px, spec)
    assert x[:, 0, 0].tolist() == [2.0, pytest.approx(0.1), -2.0]  # (1-.5)/.25, .2/2, (0-1)/.5


def test_postprocess_rounds_half_to_even_and_clamps():
    spec = InputSpec(1, 1, 4, scale=2.0)  # p = y * 2: exact halves are easy to build
    y = np.array([[[0.25, 0.75, 1.25, 200.0]]], dtype=np.float32)  # 0.5, 1.5, 2.5, 400
    assert postprocess_image(y, spec).tolist() == [[[0, 2, 2, 255]]]
    assert postprocess_image(np.array([[[-1.0, 0.0, 0.5, 1.0]]], np.float32), InputSpec(1, 1, 4)).tolist() == [
        [[0, 0, 128, 255]]
    ]  # 127.5 -> 128 (even)


def test_unreadable_file_raises_oserror(tmp_path):
    p = tmp_path / "bad.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(OSError):
        preprocess_image(p, GRAY28)


def test_gif_transparent_palette_entry_reads_as_black(tmp_path):
    # Index 1 is transparent and white in the palette: the contract reads it as (0, 0, 0), as
    # Skia's GIF decoder does in .NET; opaque entries keep their color.
    a = np.zeros((8, 8), np.uint8)
    a[:4] = 1
    im = Image.fromarray(a, "P")
    im.putpalette([10, 20, 30, 255, 255, 255] + [0] * 762)
    p = tmp_path / "t.gif"
    im.save(p, transparency=1)
    x = load_pixels(p, InputSpec(3, 8, 8))
    assert x[:, :4].max() == 0
    assert x[:, 4:, :].reshape(3, -1)[:, 0].tolist() == [10, 20, 30]
    g = load_pixels(p, InputSpec(1, 8, 8))
    assert g[0, :4].max() == 0 and int(g[0, 7, 7]) == int(bt601_gray(np.array([10, 20, 30], np.uint8)))


def test_png_palette_transparency_keeps_its_color(tmp_path):
    # Only GIF's transparent index is special: a PNG palette entry with alpha 0 keeps its color.
    a = np.ones((8, 8), np.uint8)
    im = Image.fromarray(a, "P")
    im.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    p = tmp_path / "t.png"
    im.save(p, transparency=1)
    x = load_pixels(p, InputSpec(3, 8, 8))
    assert x[:, 0, 0].tolist() == [200, 100, 50]


def _photo(h, w, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([128 + 100 * np.sin(x / 37 + c) * np.cos(y / 23 - c) for c in range(3)], -1)
    return np.clip(img + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    "size, expected_scale",
    [
        ((640, 480), 8),  # min(640 // 32, 480 // 32) = 15 -> 8: decoded at 80x60
        ((200, 100), 2),  # min(6, 3) = 3 -> 2
        ((130, 140), 4),  # min(4, 4) = 4
        ((63, 300), 1),  # 63 // 32 = 1: no scaling, although ceil(63/8) = 8 >= ... is not the rule
    ],
)
def test_jpeg_draft_scale_rule(tmp_path, size, expected_scale):
    w, h = size
    p = tmp_path / "p.jpg"
    Image.fromarray(_photo(h, w)).save(p, quality=90)
    spec = InputSpec(3, 32, 32, jpeg_draft=True)
    ours = load_pixels(p, spec)
    # Independently: libjpeg's scaled decode at 1/s is the (ceil) size ...
    im = Image.open(p)
    im.draft("RGB", (w // expected_scale, h // expected_scale))
    assert im.size == ((w + expected_scale - 1) // expected_scale, (h + expected_scale - 1) // expected_scale)
    # ... and the result is that image resized with the manifest's resampler.
    want = np.asarray(im.convert("RGB").resize((32, 32), Image.BILINEAR)).transpose(2, 0, 1)
    assert np.array_equal(ours, want)


def test_jpeg_draft_false_decodes_full_size(tmp_path):
    p = tmp_path / "p.jpg"
    Image.fromarray(_photo(480, 640)).save(p, quality=90)
    full = load_pixels(p, InputSpec(3, 32, 32, jpeg_draft=False))
    want = np.asarray(Image.open(p).convert("RGB").resize((32, 32), Image.BILINEAR)).transpose(2, 0, 1)
    assert np.array_equal(full, want)
    drafted = load_pixels(p, InputSpec(3, 32, 32, jpeg_draft=True))
    assert not np.array_equal(full, drafted)  # the rule changes pixels: it must be in the manifest
    assert np.abs(full.astype(int) - drafted.astype(int)).mean() < 4


def test_manifest_names_jpeg_draft():
    assert InputSpec(1, 28, 28).to_manifest()["jpeg_draft"] is True
    assert InputSpec(1, 28, 28, jpeg_draft=False).to_manifest()["jpeg_draft"] is False


def _progressive_jpeg(ac_scans: int) -> bytes:
    """An 8x8 gray progressive JPEG by hand: a DC scan, then one AC scan repeated (the scan-bomb shape)."""
    s = bytearray(b"\xff\xd8\xff\xdb\x00\x43\x00" + b"\x01" * 64)
    s += bytes([0xFF, 0xC2, 0, 0x0B, 8, 0, 8, 0, 8, 1, 1, 0x11, 0])
    for table in (0x00, 0x10):
        s += bytes([0xFF, 0xC4, 0, 0x14, table, 1]) + bytes(15) + b"\x00"
    s += bytes([0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 0, 0, 0])
    for k in range(1, ac_scans + 1):
        s += bytes([0xFF, 0xDA, 0, 8, 1, 1, 0, k, k, 0, 0])
    return bytes(s + b"\xff\xd9")


def test_jpeg_scan_bomb_is_refused_before_decoding(tmp_path):
    ok = tmp_path / "ok.jpg"
    ok.write_bytes(_progressive_jpeg(63))  # 64 valid scans: decodes, every sample 128
    assert np.all(load_pixels(ok, InputSpec(1, 8, 8)) == 128)
    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes(
        _progressive_jpeg(63)[:-2] + bytes([0xFF, 0xDA, 0, 8, 1, 1, 0, 1, 0x3F, 0, 0]) * 20000 + b"\xff\xd9"
    )
    with pytest.raises(ValueError, match="more than 200 scans"):
        load_pixels(bomb, InputSpec(1, 8, 8))
