"""The one way the training side writes a file that others read (checkpoints, ONNX graphs, manifests):
a temporary file in the same folder, flushed and fsync'ed, then renamed over the final name, so a
killed run leaves the previous file intact and a reader never sees half a file (.NET: AeOnnx.IO.AtomicFile)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator, Union


@contextmanager
def atomic_open(path: Union[str, os.PathLike]) -> Iterator[BinaryIO]:
    """Opens a temporary file for binary writing; on a clean exit it replaces `path`, on an error it is removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(path: Union[str, os.PathLike], data: bytes) -> None:
    """Writes `data` to `path` atomically (see atomic_open)."""
    with atomic_open(path) as f:
        f.write(data)
