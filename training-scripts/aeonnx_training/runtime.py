"""Where a training process runs: the device (--device), the process group under torchrun
(DistributedDataParallel: gloo on CPU, nccl on CUDA) and mixed precision (--amp)."""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Optional

import torch
import torch.distributed as dist

from .config import UsageError


def resolve_device(text: str, local_rank: int = 0) -> torch.device:
    """auto | cpu | cuda | cuda:N -> torch.device; CUDA refused clearly where it is missing.
    Under torchrun, `cuda` and `auto` mean the process's own GPU (cuda:LOCAL_RANK)."""
    t = (text or "auto").strip().lower()
    if t == "cpu":
        return torch.device("cpu")
    if t == "auto":
        return torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
    if t == "cuda" or t.startswith("cuda:"):
        if not torch.cuda.is_available():
            built = torch.version.cuda
            why = (
                f"this torch {torch.__version__} is built without CUDA"
                if built is None
                else f"torch {torch.__version__} (CUDA {built}) finds no usable GPU or driver"
            )
            raise UsageError(f"--device {text}: CUDA is not available ({why}); use --device cpu or auto")
        if t == "cuda":
            index = local_rank
        else:
            try:
                index = int(t.split(":", 1)[1])
            except ValueError:
                raise UsageError(f"--device {text}: expected cuda:N with N a device number") from None
        count = torch.cuda.device_count()
        if not (0 <= index < count):
            raise UsageError(f"--device {text}: device {index} does not exist ({count} CUDA device(s))")
        return torch.device("cuda", index)
    raise UsageError(f"--device must be auto, cpu, cuda or cuda:N, got {text!r}")


@dataclass
class Runtime:
    device: torch.device
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def backend(self) -> Optional[str]:
        if not self.distributed:
            return None
        return "nccl" if self.device.type == "cuda" else "gloo"

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def all_sum(self, values):
        """Sum a list of floats over all processes (float64, so the order of ranks is the only rounding)."""
        if not self.distributed:
            return list(values)
        t = torch.tensor(list(values), dtype=torch.float64, device=self.device if self.device.type == "cuda" else "cpu")
        dist.all_reduce(t)
        return [float(v) for v in t.cpu().tolist()]

    def gather_lists(self, items):
        """Concatenate a list of picklable items from all processes (same result on every rank)."""
        if not self.distributed:
            return list(items)
        out = [None] * self.world_size
        dist.all_gather_object(out, list(items))
        return [x for part in out for x in part]

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def start(device_text: str) -> Runtime:
    """The runtime of this process: plain, or one rank of a torchrun job (WORLD_SIZE > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_text, local if world > 1 else 0)
    rt = Runtime(device, rank, world, local)
    if rt.distributed:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=rt.backend, rank=rank, world_size=world)
    return rt


def autocast(amp: str, device: torch.device):
    """Mixed-precision context for the forward pass (no-op for amp 'none')."""
    if amp == "none":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def check_amp(amp: str, device: torch.device) -> None:
    if amp == "fp16" and device.type != "cuda":
        raise UsageError("--amp fp16 needs a CUDA device (CPU autocast supports bf16 only); " "use --amp bf16 or none")
    if amp == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise UsageError(
            f"--amp bf16: {torch.cuda.get_device_name(device)} does not support bfloat16; " "use --amp fp16 or none"
        )
