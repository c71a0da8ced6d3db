"""`torchrun`, working around one launcher bug: torch < 2.0 on Python >= 3.11 (Debian's torch
1.13) parses its default `--redirects 0` / `--tee 0` to None and dies before starting any worker
(`'NoneType' object has no attribute 'get'`), because Python 3.11 no longer lists the zero and
alias members when an IntFlag is iterated. On other versions this is plain torchrun.

  python3 -m aeonnx_training.launch --standalone --nproc_per_node=2 train.py --device cpu ...
"""
from __future__ import annotations

import re
import sys
from typing import Optional, Sequence


def _patch() -> None:
    from torch.distributed.elastic.multiprocessing import api

    if api.Std.from_str("0") is not None:
        return

    def from_str(cls, vm: str):
        if re.match(api._VALUE_REGEX, vm):
            return cls(int(vm))
        if re.match(api._MAPPING_REGEX, vm):
            return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")

    api.Std.from_str = classmethod(from_str)


def main(argv: Optional[Sequence[str]] = None) -> int:
    _patch()
    from torch.distributed.run import main as torchrun_main
    torchrun_main(list(argv) if argv is not None else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
