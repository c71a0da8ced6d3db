"""Baseline 1: the PyTorch eager script a competent user would write to encode a folder.

PIL decodes (with `draft` for JPEG, so libjpeg scales large photos down in the DCT domain, as a
skilled user would), a DataLoader with one worker per core feeds batches, the encoder from the same
checkpoint runs under inference_mode on all cores, and the latents go to a .npy file.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training-scripts"))
from aeonnx_training import checkpoint as train_mod  # noqa: E402  (the checkpoint loader that training wrote with)
from aeonnx_training.data import IMAGE_EXTENSIONS  # noqa: E402  (the format registry, docs/image-formats.json)


class Folder(Dataset):
    def __init__(self, root: Path, channels: int, size):
        self.files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
        self.mode = "L" if channels == 1 else "RGB"
        self.size = size

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        with Image.open(self.files[i]) as img:
            if img.format == "JPEG":
                img.draft(img.mode, self.size)
            img = img.convert(self.mode)
            if img.size != self.size:
                img = img.resize(self.size, Image.BILINEAR)
            a = np.asarray(img, dtype=np.float32) / 255.0
        return torch.from_numpy(a[None] if a.ndim == 2 else a.transpose(2, 0, 1).copy())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("folder")
    p.add_argument("--checkpoint", default="models/fashion-mnist-ae/checkpoint.pt")
    p.add_argument("--output", default="bench/out/torch-latents.npy")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--workers", type=int, default=os.cpu_count())
    args = p.parse_args()
    torch.set_num_threads(os.cpu_count())
    model, cfg, _ = train_mod.load_checkpoint(args.checkpoint)
    spec = cfg.input_spec()
    ds = Folder(Path(args.folder), spec.channels, (spec.width, spec.height))
    loader = DataLoader(ds, batch_size=args.batch_size, num_workers=args.workers)
    mean = torch.tensor(spec.mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(spec.std, dtype=torch.float32).view(1, -1, 1, 1)
    start = time.perf_counter()
    out = []
    with torch.inference_mode():
        for x in loader:
            out.append(model.encode_mean((x - mean) / std).numpy())
    latents = np.concatenate(out) if out else np.zeros((0, cfg.latent_dim), np.float32)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    np.save(args.output, latents.astype(np.float32))
    print(f"encoded {len(latents)} images in {time.perf_counter() - start:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
