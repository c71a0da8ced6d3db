import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def run(cmd, timeout=120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture(scope="session")
def aeonnx() -> Path:
    """The CLI as `make build` leaves it (make test builds first)."""
    exe = ROOT / "bin" / "aeonnx"
    if not exe.exists():
        pytest.fail("bin/aeonnx missing: run make build first")
    return exe
