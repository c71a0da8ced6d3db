"""Export a checkpoint as a model folder (docs/MODEL-FORMAT.md, manifest aeonnx.model/1).

  export.py --checkpoint runs/fashion-mnist-ae/checkpoint.pt --out models/fashion-mnist-ae

Writes encoder.onnx, decoder.onnx (opset 17, dynamic batch axis, metadata_props, no doc strings),
manifest.json (fixed key order and float formatting), fixtures/ (PNG test images + torch values),
checkpoint.pt, samples.png, reconstructions.png. Exporting the same checkpoint again gives the
same bytes.

--weights float16 stores the weights at half the size: the model's tensors are rounded to float16,
BatchNorm is folded into the convolutions in torch (not by the exporter) and the result rounded
again, so the graphs hold float16 initializers, each behind a Cast to float32, whose values are
exactly the weights of the torch model that the metrics, fixtures and pictures come from; ONNX
Runtime folds the Casts when it loads the graph and computes in float32 as before. The folder's
checkpoint.pt is the float16 state, from which a re-export gives the same graphs.
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import io
import json
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np
import onnx
import torch
from torch import nn

from . import data as data_mod
from . import evaluate, plots, splits
from .checkpoint import load_checkpoint
from .config import machine_facts, setup_torch
from .files import atomic_write_bytes
from .models import AutoEncoder

MANIFEST_FORMAT = "aeonnx.model/1"
OPSET = 17
FIXTURE_COUNT = 8
WEIGHT_FORMATS = ("float32", "float16")
# float initializers with fewer elements than this stay float32 (biases, Resize scales): they save nothing
FLOAT16_MIN_ELEMENTS = 256


# ---------------------------------------------------------------------------------------------
# Deterministic JSON
# ---------------------------------------------------------------------------------------------


def format_float(v) -> str:
    """Shortest decimal that round-trips the float32 value (numpy's str of float32)."""
    f = np.float32(v)
    if not np.isfinite(f):
        raise ValueError(f"non-finite number {v!r} cannot be written to JSON")
    s = str(f)
    if s in ("-0.0",):
        s = "0.0"
    return s


def _scalar(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return format_float(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    raise TypeError(f"cannot write {type(v).__name__} to JSON")


def dumps(obj, indent: int = 0) -> str:
    """JSON with insertion key order, 2-space indent, lists of scalars on one line, float32 floats."""
    pad, pad1 = "  " * indent, "  " * (indent + 1)
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad1}{json.dumps(str(k))}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if not obj:
            return "[]"
        if all(not isinstance(v, (dict, list, tuple, np.ndarray)) for v in obj):
            return "[" + ", ".join(_scalar(v) for v in obj) + "]"
        return "[\n" + ",\n".join(pad1 + dumps(v, indent + 1) for v in obj) + "\n" + pad + "]"
    return _scalar(obj)


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# ONNX
# ---------------------------------------------------------------------------------------------


class _EncoderGraph(nn.Module):
    """image -> latent (AE) or (mean, logvar) (VAE); never a sample."""

    def __init__(self, model: AutoEncoder):
        super().__init__()
        self.encoder = model.encoder

    def forward(self, image):
        return self.encoder(image)


class _DecoderGraph(nn.Module):
    def __init__(self, model: AutoEncoder):
        super().__init__()
        self.decoder = model.decoder

    def forward(self, latent):
        return self.decoder(latent)


def _strip(graph: onnx.GraphProto) -> None:
    """Remove doc strings (stack traces with source paths) recursively."""
    graph.doc_string = ""
    for node in graph.node:
        node.doc_string = ""
        if hasattr(node, "metadata_props"):
            del node.metadata_props[:]
        for attr in node.attribute:
            attr.doc_string = ""
            if attr.HasField("g"):
                _strip(attr.g)
            for g in attr.graphs:
                _strip(g)
    for vi in list(graph.input) + list(graph.output) + list(graph.value_info):
        vi.doc_string = ""
    for init in graph.initializer:
        init.doc_string = ""
    if hasattr(graph, "metadata_props"):
        del graph.metadata_props[:]


def export_graph(
    module: nn.Module,
    example: torch.Tensor,
    input_name: str,
    output_names: List[str],
    output_shapes: List[List[int]],
    metadata: dict,
    weights: str = "float32",
) -> bytes:
    """torch -> ONNX bytes: TorchScript exporter (dynamo=False on torch 2.x), opset 17, batch axis N.
    output_shapes are the per-image shapes; the graph outputs are declared [N, *shape] so readers
    see static sizes (the exporter leaves Resize outputs symbolic)."""
    module.eval()
    kwargs = dict(
        input_names=[input_name],
        output_names=list(output_names),
        opset_version=OPSET,
        dynamic_axes={n: {0: "N"} for n in [input_name, *output_names]},
        do_constant_folding=True,
        export_params=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        torch.onnx.export(module, (example,), buf, **kwargs)
    proto = onnx.load_from_string(buf.getvalue())
    for vi, shape in zip(proto.graph.output, output_shapes):
        dims = vi.type.tensor_type.shape.dim
        if len(dims) != 1 + len(shape):
            raise ValueError(f"output {vi.name}: rank {len(dims)}, expected {1 + len(shape)}")
        for d, v in zip(dims[1:], shape):
            d.Clear()
            d.dim_value = int(v)
        dims[0].Clear()
        dims[0].dim_param = "N"
    if weights == "float16":
        store_float16(proto.graph)
    proto.doc_string = ""
    _strip(proto.graph)
    for f in proto.functions:
        f.doc_string = ""
        for node in f.node:
            node.doc_string = ""
    del proto.metadata_props[:]
    for k, v in metadata.items():
        p = proto.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(proto, full_check=True)
    return proto.SerializeToString()


def round_to_float16(model: nn.Module) -> None:
    """Round every floating tensor of the model (parameters and buffers) to a float16 value, in place;
    refuses a tensor that float16 cannot hold."""
    with torch.no_grad():
        for name, t in model.state_dict(keep_vars=True).items():
            if not t.is_floating_point():
                continue
            half = t.detach().half()
            if not torch.isfinite(half).all() and torch.isfinite(t).all():
                raise ValueError(f"{name}: values beyond float16's range (largest {float(t.abs().max()):g})")
            t.data.copy_(half.float())


def fold_batchnorm(model: nn.Module) -> int:
    """Fold each BatchNorm2d into the Conv2d before it (eval mode), in place: the conv takes the
    folded weight and bias, the BatchNorm becomes Identity. Returns the number of folds."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    model.eval()
    folds = 0
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            if isinstance(seq[i], nn.Conv2d) and isinstance(seq[i + 1], nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(seq[i], seq[i + 1])
                seq[i + 1] = nn.Identity()
                folds += 1
    return folds


def store_float16(graph: onnx.GraphProto) -> int:
    """Rewrite the float32 initializers of FLOAT16_MIN_ELEMENTS or more as float16, each read through
    a Cast to float32 under its old name. Only values that float16 holds exactly are accepted (the
    model was rounded, folded and rounded again, as export_model does), so the graph computes what the torch model computes.
    """
    from onnx import TensorProto, helper, numpy_helper

    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(init)
        if arr.size < FLOAT16_MIN_ELEMENTS:
            continue
        half = arr.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), arr):
            raise ValueError(f"initializer {init.name}: not float16 values (round the model first)")
        name = init.name
        init.CopyFrom(numpy_helper.from_array(half, name + ".float16"))
        casts.append(helper.make_node("Cast", [name + ".float16"], [name], name=name + ".cast", to=TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return len(casts)


def checkpoint_weights(ckpt: dict) -> str:
    """'float16' when the checkpoint's state holds float16 tensors (a float16 export's checkpoint)."""
    state = ckpt.get("state_dict", {})
    return "float16" if any(t.dtype == torch.float16 for t in state.values()) else "float32"


def graph_io(path) -> dict:
    """Names and shapes of a graph's inputs/outputs ('N' for symbolic dims)."""
    m = onnx.load(str(path))

    def dims(vi):
        return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]

    inits = {i.name for i in m.graph.initializer}
    return {
        "inputs": {vi.name: dims(vi) for vi in m.graph.input if vi.name not in inits},
        "outputs": {vi.name: dims(vi) for vi in m.graph.output},
        "opset": max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")),
        "metadata": {p.key: p.value for p in m.metadata_props},
    }


# ---------------------------------------------------------------------------------------------
# Model folder
# ---------------------------------------------------------------------------------------------


def _pick_fixtures(images: splits.Source, count: int) -> List[int]:
    """One image per class in class order (first decodable occurrence), then the next images, up to count."""
    picked: List[int] = []

    def ok(i: int) -> bool:
        try:
            images.load(i)
            return True
        except splits.DECODE_ERRORS:
            return False

    if images.labels is not None:
        for c in range(len(images.class_names)):
            hits = [int(h) for h in np.nonzero(images.labels == c)[0]]
            hit = next((h for h in hits if ok(h)), None)
            if hit is not None and len(picked) < count:
                picked.append(hit)
    for i in range(len(images)):
        if len(picked) >= count:
            break
        if i not in picked and ok(i):
            picked.append(i)
    return picked


def _floats(t: torch.Tensor) -> list:
    return [float(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def write_fixtures(
    model: AutoEncoder,
    images: splits.Source,
    spec: data_mod.InputSpec,
    name: str,
    folder: Path,
    count: int = FIXTURE_COUNT,
) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    entries = []
    for k, i in enumerate(_pick_fixtures(images, count)):
        fname = f"{k:03d}.png"
        px = images.load(i)
        arr = px[0] if spec.channels == 1 else px.transpose(1, 2, 0)
        plots.save_png(folder / fname, np.ascontiguousarray(arr))
        # torch values come from the PNG re-read through THE preprocessing function
        x = torch.from_numpy(data_mod.preprocess_image(folder / fname, spec))[None]
        with torch.no_grad():
            enc = model.encoder(x)
            mean, logvar = enc if model.variational else (enc, None)
            rec = model.decoder(mean)
        entry = {"file": fname, "label": images.label_name(i)}
        if entry["label"] is None:
            del entry["label"]
        entry["latent"] = _floats(mean)
        if logvar is not None:
            entry["logvar"] = _floats(logvar)
        entry["reconstruction"] = _floats(rec)
        entries.append(entry)
    doc = {"model": name, "images": entries}
    (folder / "fixtures.json").write_text(dumps(doc) + "\n")
    return doc


def export_model(
    checkpoint,
    out,
    name: Optional[str] = None,
    progress: bool = True,
    workers: int = 0,
    calibrate: Optional[bool] = None,
    weights: Optional[str] = None,
) -> dict:
    """Write the model folder; returns the manifest dict. Always on CPU, whatever trained the model.
    calibrate: add the `anomaly` block, calibrated on the validation split (held-out images the
    model did not train on); None = when the model was trained on one normal class.
    weights: float32 or float16 (module doc); None = the checkpoint's (float16 for a float16 export's)."""
    checkpoint, out = Path(checkpoint), Path(out)
    model, cfg, ckpt = load_checkpoint(checkpoint)
    weights = weights or checkpoint_weights(ckpt)
    if weights not in WEIGHT_FORMATS:
        raise ValueError(f"weights must be one of {', '.join(WEIGHT_FORMATS)}, got {weights!r}")
    if weights == "float16":
        # the unfolded state rounded: what the folder's checkpoint holds, so a re-export starts here too
        round_to_float16(model)
        half_state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
        # the graphs' weights: BatchNorm folded here, not by the exporter, and rounded again
        fold_batchnorm(model)
        round_to_float16(model)
    setup_torch(cfg.threads, cfg.seed)
    name = name or cfg.name
    spec = cfg.input_spec()
    out.mkdir(parents=True, exist_ok=True)
    log = (lambda m: print(m, file=sys.stderr)) if progress else (lambda m: None)

    tr, va, te = splits.load_splits(cfg)
    log(f"[{name}] evaluating on {len(te)} test images")
    metrics = evaluate.evaluate_model(model, te, tr, seed=cfg.seed, workers=workers)
    log(
        f"[{name}] "
        + ", ".join(
            f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items() if k != "warnings"
        )
    )
    for w in metrics["warnings"]:
        # printed whatever `progress` says: a model worse than its baselines must not ship unnoticed
        print(f"warning: [{name}] {w}", file=sys.stderr, flush=True)
    stats = evaluate.latent_statistics(model, tr, workers=workers)

    input_obj = spec.to_manifest()
    meta = {
        "aeonnx.format": MANIFEST_FORMAT,
        "aeonnx.name": name,
        "aeonnx.kind": cfg.model,
        "aeonnx.input": json.dumps(input_obj, separators=(",", ":")),
        "aeonnx.latent_dim": str(cfg.latent_dim),
    }
    enc_outputs = ["mean", "logvar"] if model.variational else ["latent"]
    enc_bytes = export_graph(
        _EncoderGraph(model),
        torch.zeros(2, spec.channels, spec.height, spec.width),
        "image",
        enc_outputs,
        [[cfg.latent_dim]] * len(enc_outputs),
        {**meta, "aeonnx.role": "encoder"},
        weights,
    )
    dec_bytes = export_graph(
        _DecoderGraph(model),
        torch.zeros(2, cfg.latent_dim),
        "latent",
        ["image"],
        [[spec.channels, spec.height, spec.width]],
        {**meta, "aeonnx.role": "decoder"},
        weights,
    )
    atomic_write_bytes(out / "encoder.onnx", enc_bytes)
    atomic_write_bytes(out / "decoder.onnx", dec_bytes)

    if weights == "float16":
        buf = io.BytesIO()
        torch.save({**ckpt, "state_dict": half_state}, buf)
        atomic_write_bytes(out / "checkpoint.pt", buf.getvalue())
    elif checkpoint.resolve() != (out / "checkpoint.pt").resolve():
        shutil.copyfile(checkpoint, out / "checkpoint.pt")
    train_metrics = {}
    for src_dir in (checkpoint.parent, out):
        p = src_dir / "train_metrics.json"
        if p.is_file():
            train_metrics = json.loads(p.read_text())
            if src_dir != out:
                shutil.copyfile(p, out / "train_metrics.json")
                lc = src_dir / "loss_curve.png"
                if lc.is_file():
                    shutil.copyfile(lc, out / "loss_curve.png")
            break

    write_fixtures(model, te, spec, name, out / "fixtures")
    px, _ = splits.first_images(te, 16)
    x16, p16 = splits.normalize(torch.from_numpy(px), spec, torch.device("cpu"))
    plots.save_reconstructions(out / "reconstructions.png", model, x16, p16)
    plots.save_samples(out / "samples.png", model, stats, seed=cfg.seed)

    vers = ckpt.get("versions", {})
    manifest = {
        "format": MANIFEST_FORMAT,
        "name": name,
        "kind": cfg.model,
        "input": input_obj,
        "output": {"activation": "clip" if model.spec.pca_residual else "sigmoid"},
        "latent": {
            "dim": cfg.latent_dim,
            "mean": stats["mean"],
            "std": stats["std"],
            "covariance": stats["covariance"],
            "cholesky": stats["cholesky"],
            "classes": [
                {"label": c["label"], "index": c["index"], "count": c["count"], "centroid": c["centroid"]}
                for c in stats["classes"]
            ],
        },
        "encoder": {
            "file": "encoder.onnx",
            "sha256": hashlib.sha256(enc_bytes).hexdigest(),
            "input": "image",
            "outputs": enc_outputs,
            "opset": OPSET,
        },
        "decoder": {
            "file": "decoder.onnx",
            "sha256": hashlib.sha256(dec_bytes).hexdigest(),
            "input": "latent",
            "output": "image",
            "opset": OPSET,
        },
        "training": {
            "dataset": cfg.dataset,
            "seed": cfg.seed,
            "epochs": cfg.epochs,
            "config": cfg.to_saved(),
            "torch": vers.get("torch", torch.__version__),
            "onnx": onnx.__version__,
            "threads": cfg.threads,
            # runs of the first trainer recorded none of these: it trained on CPU, float32, one process
            "device": train_metrics.get("device", "cpu"),
            "precision": train_metrics.get("precision", "float32"),
            "world_size": train_metrics.get("world_size", 1),
            "wall_seconds": train_metrics.get("wall_seconds"),
            "train_count": ckpt.get("train_count"),
            "val_count": ckpt.get("val_count"),
            "machine": train_metrics.get("machine"),
            "export_machine": machine_facts(cfg.threads),
        },
        "metrics": metrics,
    }
    if calibrate or (calibrate is None and cfg.normal_class):
        from . import anomaly

        # the statistics as the manifest stores them (float32), so .NET's scores are the same
        block = anomaly.calibrate(
            model,
            va,
            _as_stored(stats["mean"]),
            _as_stored(stats["cholesky"]),
            source="validation split",
            workers=workers,
        )
        log(f"[{name}] calibrated {block['score']} on {block['calibration']['images']} held-out images")
        manifest["anomaly"] = block
    if not manifest["latent"]["classes"]:
        del manifest["latent"]["classes"]
    if manifest["training"]["machine"] is None:
        del manifest["training"]["machine"]
    atomic_write_bytes(out / "manifest.json", (dumps(manifest) + "\n").encode())
    log(
        f"[{name}] wrote {out}: encoder {manifest['encoder']['sha256'][:12]}, decoder {manifest['decoder']['sha256'][:12]}"
    )
    return manifest


def _as_stored(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="checkpoint.pt written by train.py")
    ap.add_argument("--out", required=True, help="model folder to write (e.g. models/<name>)")
    ap.add_argument("--name", default=None, help="model name (default: the name in the checkpoint's config)")
    ap.add_argument(
        "--calibrate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="add the anomaly block (score statistics and quantiles on the validation split); "
        "default: only for models trained with --normal-class",
    )
    ap.add_argument(
        "--weights",
        choices=WEIGHT_FORMATS,
        default=None,
        help="float16 stores the weights at half the size (computed in float32 as before; the folder's "
        "checkpoint is float16 too); default: the checkpoint's, float32 for one written by train.py",
    )
    args = ap.parse_args(argv)
    if not os.path.isfile(args.checkpoint):
        print(f"error: checkpoint not found: {args.checkpoint}", file=sys.stderr)
        return 2
    try:
        export_model(args.checkpoint, args.out, args.name, calibrate=args.calibrate, weights=args.weights)
    except (data_mod.DatasetError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
