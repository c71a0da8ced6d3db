"""Datasets: Fashion-MNIST idx files and image folders (recursive, labels, corrupt files)."""
import numpy as np
import pytest
from PIL import Image

from aeonnx_training import data
from conftest import FASHION_DIR, needs_fashion_mnist


def _img(path, value, size=(10, 10), mode="L"):
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "L":
        Image.fromarray(np.full(size, value, np.uint8), "L").save(path)
    else:
        Image.fromarray(np.full(size + (3,), value, np.uint8), "RGB").save(path)


def test_folder_is_recursive_with_subfolder_labels_and_all_formats(tmp_path):
    _img(tmp_path / "bags" / "a.png", 10)
    _img(tmp_path / "bags" / "deep" / "b.JPG", 20, mode="RGB")
    _img(tmp_path / "coats" / "c.bmp", 30)
    _img(tmp_path / "coats" / "d.gif", 40)
    _img(tmp_path / "e.jpeg", 50, mode="RGB")  # directly in the root: no label
    (tmp_path / "notes.txt").write_text("not an image")
    s = data.load_image_folder(tmp_path, data.InputSpec(1, 8, 8))
    assert s.files == ("bags/a.png", "bags/deep/b.JPG", "coats/c.bmp", "coats/d.gif", "e.jpeg")
    assert s.class_names == ("bags", "coats")
    assert s.labels.tolist() == [0, 0, 1, 1, -1]
    assert s.pixels.shape == (5, 1, 8, 8) and s.pixels.dtype == np.uint8
    assert s.label_name(4) is None and s.label_name(2) == "coats"


def test_folder_listing_takes_the_extensions_of_the_shared_format_registry(tmp_path):
    import json

    registry = json.loads((data.IMAGE_FORMATS_FILE).read_text(encoding="utf-8"))
    assert data.IMAGE_FORMATS_FILE.parts[-2:] == ("docs", "image-formats.json")
    assert data.IMAGE_EXTENSIONS == tuple(e for f in registry["formats"] for e in f["extensions"])
    assert ".webp" in data.IMAGE_EXTENSIONS
    Image.fromarray(np.full((10, 10, 3), 60, np.uint8), "RGB").save(tmp_path / "f.WebP")
    (tmp_path / "g.tiff").write_bytes(b"not listed")
    assert [p.name for p in data.list_image_files(tmp_path)] == ["f.WebP"]


def test_corrupt_files_are_skipped_with_a_warning_naming_them(tmp_path):
    _img(tmp_path / "ok" / "good1.png", 100)
    _img(tmp_path / "ok" / "good2.png", 120)
    (tmp_path / "ok" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    good = tmp_path / "ok" / "good1.png"
    (tmp_path / "ok" / "truncated.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"junk")
    (tmp_path / "ok" / "empty.gif").write_bytes(b"")
    with pytest.warns(UserWarning, match=r"skipped 3 unreadable") as rec:
        s = data.load_image_folder(tmp_path, data.InputSpec(1, 10, 10))
    msg = str(rec[0].message)
    for name in ("broken.png", "truncated.jpg", "empty.gif"):
        assert name in msg
    assert "good1.png" not in msg and good.is_file()
    assert len(s) == 2 and s.files == ("ok/good1.png", "ok/good2.png")


def test_folder_with_only_corrupt_files_is_an_error(tmp_path):
    (tmp_path / "x.png").write_bytes(b"nope")
    with pytest.warns(UserWarning), pytest.raises(data.DatasetError, match="none of the 1 image files"):
        data.load_image_folder(tmp_path, data.InputSpec(1, 8, 8))


def test_empty_or_missing_folder_is_an_error(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(data.DatasetError, match="no images"):
        data.load_image_folder(tmp_path, data.InputSpec(1, 8, 8))
    with pytest.raises(data.DatasetError, match="not found"):
        data.load_image_folder(tmp_path / "missing", data.InputSpec(1, 8, 8))


def test_holdout_split_is_deterministic_and_disjoint(shapes_dir):
    s = data.load_image_folder(shapes_dir, data.InputSpec(3, 16, 16))
    a1, b1 = data.split_holdout(s, 0.25, seed=7)
    a2, b2 = data.split_holdout(s, 0.25, seed=7)
    assert a1.files == a2.files and b1.files == b2.files
    assert len(b1) == 24 and len(a1) == 72
    assert not set(a1.files) & set(b1.files)
    _, b3 = data.split_holdout(s, 0.25, seed=8)
    assert b3.files != b1.files


def test_missing_fashion_mnist_dir_is_an_error(tmp_path):
    with pytest.raises(data.DatasetError, match="not found"):
        data.load_fashion_mnist(tmp_path, data.InputSpec(1, 28, 28))


@needs_fashion_mnist
def test_fashion_mnist_splits_and_labels():
    s = data.load_fashion_mnist(FASHION_DIR, data.InputSpec(1, 28, 28))
    assert s.train.pixels.shape == (60000, 1, 28, 28) and s.test.pixels.shape == (10000, 1, 28, 28)
    assert s.train.class_names[0] == "T-shirt/top" and s.train.class_names[9] == "Ankle boot"
    assert len(s.train.class_names) == 10
    assert np.bincount(s.test.labels).tolist() == [1000] * 10
    assert s.test.labels[0] == 9  # the first test image is an ankle boot
