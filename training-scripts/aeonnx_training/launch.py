"""`torchrun`, working around two things:

- a launcher bug: torch < 2.0 on Python >= 3.11 (Debian's torch 1.13) parses its default
  `--redirects 0` / `--tee 0` to None and dies before starting any worker (`'NoneType' object has no
  attribute 'get'`), because Python 3.11 no longer lists the zero and alias members when an IntFlag is
  iterated;
- spelling: torch 1.13 knows only `--nproc_per_node`, `--node_rank`, `--rdzv_backend`, ...; newer
  releases and most documentation also write `--nproc-per-node`. Both spellings of every launcher
  option are accepted here, whichever this torch knows. The training script's own options (after
  the script name) are passed on untouched.

On other versions this is plain torchrun.

  python3 -m aeonnx_training.launch --standalone --nproc-per-node=2 train.py --device cpu ...
  aeonnx-torchrun --nnodes=2 --node_rank=0 --rdzv-backend=c10d --rdzv-endpoint=HEAD:29500 -m aeonnx_training.train ...
"""
from __future__ import annotations

import re
import sys
from typing import List, Optional, Sequence


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


def normalize_options(argv: Sequence[str], parser) -> List[str]:
    """The launcher's options in the spelling `parser` knows (`--nproc-per-node` <-> `--nproc_per_node`),
    up to the training script or module; everything from there on is the script's and stays as it is."""
    known = {}
    for action in parser._actions:
        for opt in action.option_strings:
            known[opt] = action
    out: List[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--" or not token.startswith("-"):
            break  # the training script (or module): the rest is its own
        name, eq, value = token.partition("=")
        if name not in known and name.startswith("--"):
            for other in ("--" + name[2:].replace("-", "_"), "--" + name[2:].replace("_", "-")):
                if other in known:
                    name = other
                    break
        out.append(name + eq + value)
        action = known.get(name)
        i += 1
        if action is not None and not eq and action.nargs != 0 and i < len(argv):
            out.append(argv[i])  # the option's value, as its own token
            i += 1
    return out + list(argv[i:])


def main(argv: Optional[Sequence[str]] = None) -> int:
    _patch()
    from torch.distributed.run import get_args_parser, main as torchrun_main

    args = list(sys.argv[1:] if argv is None else argv)
    torchrun_main(normalize_options(args, get_args_parser()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
