import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "training-scripts"

from aeonnx_training import data, synthetic  # noqa: E402

FASHION_DIR = Path(data.DEFAULT_DATA_DIR)
needs_fashion_mnist = pytest.mark.skipif(
    not (FASHION_DIR / "t10k-images-idx3-ubyte.gz").is_file(),
    reason=f"Fashion-MNIST not installed in {FASHION_DIR} (apt-get install dataset-fashion-mnist)",
)


def run_script(script: str, *args: str, cwd=None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run training-scripts/<script> with this interpreter as a subprocess."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS / script), *args], cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory) -> Path:
    """A small deterministic RGB image folder with 4 label subfolders (16x16)."""
    return synthetic.write_shapes_folder(tmp_path_factory.mktemp("shapes") / "shapes", count=96, size=16, seed=3)


def tiny_args(dataset: str, out: Path, *extra: str) -> list:
    return [
        "--dataset",
        dataset,
        "--image-size",
        "16x16",
        "--channels",
        "3",
        "--latent-dim",
        "4",
        "--widths",
        "4",
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--threads",
        "1",
        "--seed",
        "5",
        "--out",
        str(out),
        *extra,
    ]
