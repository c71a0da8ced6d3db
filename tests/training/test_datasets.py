"""The generated datasets: the photo-like folder of the colour recipe and the Noto Color Emoji folder."""
import csv
import io
import os

import numpy as np
import pytest
from PIL import Image

from aeonnx_training import data, emoji, synthetic

needs_emoji = pytest.mark.skipif(
    not (os.path.isfile(emoji.FONT) and os.path.isfile(emoji.EMOJI_TEST)),
    reason=f"{emoji.FONT} or {emoji.EMOJI_TEST} missing (apt-get install fonts-noto-color-emoji unicode-data; "
    "make setup installs them)",
)


def test_photo_folder_is_reproducible_and_looks_like_the_issue_says(tmp_path):
    a = synthetic.write_photo_folder(tmp_path / "a", count=20, seed=4, corrupt=3)
    b = synthetic.write_photo_folder(tmp_path / "b", count=20, seed=4, corrupt=3)
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert sorted(p.name for p in a.iterdir()) == sorted(synthetic.PHOTO_CLASSES)
    images = [f for f in files if "broken" not in f]
    broken = [f for f in files if "broken" in f]
    assert len(images) == 20 and len(broken) == 3
    jpegs = [f for f in images if f.endswith(".jpg")]
    assert 0 < len(jpegs) < 20  # both formats (60 % / 40 % over many)
    for f in images:
        im = Image.open(a / f)
        assert im.mode == "RGB" and 96 <= im.width <= 128 and 96 <= im.height <= 128
        px = np.asarray(im, dtype=np.float64)
        assert px.std() > 10  # not flat: gradients, shapes, texture
    for f in broken:
        with pytest.raises((OSError, ValueError, SyntaxError)):
            data.load_pixels(a / f, data.InputSpec(3, 64, 64))
    other = synthetic.write_photo_folder(tmp_path / "c", count=2, seed=5, corrupt=0)
    first = next(f for f in files if f.startswith("discs/"))
    assert not (other / first).is_file() or (other / first).read_bytes() != (a / first).read_bytes()


def test_photo_shapes_have_soft_edges(tmp_path):
    """A blurred mask has values strictly between 0 and 1 along its edge."""
    m = synthetic._shape_mask("boxes", 100, 100, np.random.default_rng(1))
    assert m.max() > 0.95 and m.min() == 0 and ((m > 0.05) & (m < 0.95)).sum() > 50


@needs_emoji
def test_emoji_labels_come_from_unicode_groups():
    from fontTools.ttLib import TTFont

    table = emoji.read_emoji_test()
    assert table[(0x1F436,)] == emoji.EmojiInfo("Animals & Nature", "animal-mammal", "dog face")
    labels = emoji.EmojiLabels(table)
    seqs = emoji.glyph_sequences(TTFont(emoji.FONT))
    dog = next(g for g, s in seqs.items() if s == (0x1F436,))
    assert labels.label(seqs[dog]) == (table[(0x1F436,)], "exact")
    # a sequence the font stores in another order is found as a multiset (woman bouncing ball, light skin tone)
    info, how = labels.label((0x2640, 0x200D, 0x26F9, 0x1F3FB))
    assert (info, how) == (table[(0x26F9, 0x1F3FB, 0x200D, 0x2640)], "reordered")
    assert info.name == "woman bouncing ball: light skin tone"
    # Emoji 15.1, not in emoji-test 15.0: by its bases (man, white cane), else its first base
    info, how = labels.label((0x27A1, 0x200D, 0x1F9AF, 0x200D, 0x1F468))
    assert (info.group, info.subgroup, how) == ("People & Body", "person-activity", "bases")
    assert labels.label((0x1F426, 0x200D, 0x1F525))[0].group == "Animals & Nature"  # phoenix
    assert labels.label((0x1F3F4, 0xE0075, 0xE0073, 0xE0074, 0xE0078, 0xE007F))[0].group == "Flags"
    assert labels.label((0x1F1E6,)) == (emoji.EmojiInfo("Component", "", ""), "rule")
    assert emoji.slug("Animals & Nature") == "animals-nature"


@needs_emoji
def test_emoji_folder_composites_on_white(tmp_path):
    from fontTools.ttLib import TTFont

    font = TTFont(emoji.FONT)
    seqs = emoji.glyph_sequences(font)
    wanted = [g for g, s in seqs.items() if s in ((0x1F436,), (0x1F431,))]
    out = emoji.write_emoji_folder(tmp_path / "e", only=wanted)
    rows = list(csv.DictReader(open(out / "index.csv", encoding="utf-8")))
    assert [r["file"] for r in rows] == ["animals-nature/1f431.png", "animals-nature/1f436.png"]
    assert rows[1]["name"] == "dog face" and rows[1]["label_from"] == "exact"
    img = np.asarray(Image.open(out / "animals-nature" / "1f436.png"))
    assert img.shape == (136, 136, 3)
    # independent compositing of the font's own PNG: rgb * a + white * (1 - a), centred in 136x136
    strike = max(font["CBDT"].strikeData, key=len)
    dog = next(g for g in wanted if seqs[g] == (0x1F436,))
    rgba = np.asarray(Image.open(io.BytesIO(strike[dog].imageData)).convert("RGBA"), dtype=np.float64)
    want = rgba[..., :3] * rgba[..., 3:] / 255 + 255 * (1 - rgba[..., 3:] / 255)
    top = (136 - rgba.shape[0]) // 2
    assert np.abs(img[top : top + rgba.shape[0], : rgba.shape[1]].astype(np.float64) - want).max() <= 0.5 + 1e-9
    assert (img[:top] == 255).all() and (img[0, 0] == 255).all()
    assert 0 < (rgba[..., 3] == 0).mean() < 1  # the glyph really has transparent parts
