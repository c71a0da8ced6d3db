"""A small ONNX interpreter on torch ops, for the operators our exported graphs use.

onnx 1.12 has no reference evaluator (onnx.reference arrived in 1.13) and onnxruntime is not a
Debian package, so the tests run the serialized graphs with this instead: it reads nodes,
attributes and initializers from the file, so it checks what the file says, not what the torch
module says. Unknown operators raise, so a new op in the export fails loudly.
"""
from __future__ import annotations

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b=None, **a):
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("auto_pad")
    pads = a.get("pads", [0, 0, 0, 0])
    if pads[0] != pads[2] or pads[1] != pads[3]:
        raise NotImplementedError("asymmetric pads")
    return F.conv2d(
        x,
        w,
        b,
        stride=tuple(a.get("strides", [1, 1])),
        padding=(pads[0], pads[1]),
        dilation=tuple(a.get("dilations", [1, 1])),
        groups=a.get("group", 1),
    )


def _gemm(a_, b_, c=None, **a):
    if a.get("transA", 0):
        a_ = a_.T
    if a.get("transB", 0):
        b_ = b_.T
    y = a.get("alpha", 1.0) * (a_ @ b_)
    if c is not None:
        y = y + a.get("beta", 1.0) * c
    return y


def _reshape(x, shape, **a):
    shape = [int(v) for v in shape.tolist()]
    shape = [x.shape[i] if v == 0 and not a.get("allowzero", 0) else v for i, v in enumerate(shape)]
    return x.reshape(shape)


def _resize(x, roi=None, scales=None, sizes=None, **a):
    mode = a.get("mode", b"nearest")
    ctm = a.get("coordinate_transformation_mode", b"half_pixel")
    if scales is None or scales.numel() == 0:
        out = [int(v) for v in sizes.tolist()]
    else:
        out = [int(np.floor(s * f)) for s, f in zip(x.shape, scales.tolist())]
    if out[:2] != list(x.shape[:2]):
        raise NotImplementedError("Resize over N or C")
    if mode == b"linear" and ctm in (b"half_pixel", b"pytorch_half_pixel") and min(out[2:]) > 1:
        return _linear_half_pixel(x, out[2], out[3])
    if mode != b"nearest" or ctm != b"asymmetric" or a.get("nearest_mode", b"round_prefer_floor") != b"floor":
        raise NotImplementedError(f"Resize mode={mode} ctm={ctm}")
    # asymmetric + floor: source index = floor(dst * in / out)
    iy = (torch.arange(out[2]) * x.shape[2] // out[2]).long()
    ix = (torch.arange(out[3]) * x.shape[3] // out[3]).long()
    return x[:, :, iy][:, :, :, ix]


def _instance_norm(x, scale, bias, epsilon=1e-5):
    # ONNX: per instance and channel, over the remaining axes, biased variance
    dims = tuple(range(2, x.dim()))
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
    shape = (1, -1) + (1,) * len(dims)
    return (x - mean) / torch.sqrt(var + epsilon) * scale.reshape(shape) + bias.reshape(shape)


def _shape(x, start=0, end=None):
    return torch.tensor(list(x.shape)[start:end], dtype=torch.int64)


def _linear_half_pixel(x, oh, ow):
    """ONNX Resize linear, half_pixel: source coordinate (dst + 0.5) * in / out - 0.5, clamped at
    the edges, then the two neighbours weighted by distance, per axis (written out, not F.interpolate)."""

    def axis(n_in, n_out):
        src = ((torch.arange(n_out, dtype=torch.float64) + 0.5) * n_in / n_out - 0.5).clamp(min=0)
        lo = src.floor().long().clamp(max=n_in - 1)
        hi = (lo + 1).clamp(max=n_in - 1)
        w = (src - lo).to(x.dtype)
        return lo, hi, w

    lo, hi, w = axis(x.shape[2], oh)
    x = x[:, :, lo] * (1 - w)[:, None] + x[:, :, hi] * w[:, None]
    lo, hi, w = axis(x.shape[3], ow)
    return x[:, :, :, lo] * (1 - w) + x[:, :, :, hi] * w


def _cast(x, to):
    if to != onnx.TensorProto.FLOAT:
        raise NotImplementedError(f"Cast to type {to}")
    return x.float()


OPS = {
    "Cast": _cast,
    "Conv": _conv,
    "Relu": lambda x: torch.relu(x),
    "Sigmoid": lambda x: torch.sigmoid(x),
    "Flatten": lambda x, axis=1: x.reshape(int(np.prod(x.shape[:axis])), -1),
    "Gemm": _gemm,
    "Reshape": _reshape,
    "Resize": _resize,
    "Add": lambda a, b: a + b,
    "Sub": lambda a, b: a - b,
    "Div": lambda a, b: a / b,
    "Mul": lambda a, b: a * b,
    "Exp": lambda x: torch.exp(x),
    "MatMul": lambda a, b: a @ b,
    "Clip": lambda x, lo=None, hi=None: x.clamp(
        min=None if lo is None else float(lo), max=None if hi is None else float(hi)
    ),
    "Identity": lambda x: x,
    "Shape": _shape,
    "InstanceNormalization": _instance_norm,
}


def run(path_or_model, feeds: dict) -> dict:
    """Run the graph on numpy feeds; returns {output name: numpy array}."""
    m = onnx.load(str(path_or_model)) if not isinstance(path_or_model, onnx.ModelProto) else path_or_model
    env = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
    for k, v in feeds.items():
        env[k] = torch.from_numpy(np.asarray(v))
    env[""] = None
    for node in m.graph.node:
        a = _attrs(node)
        if node.op_type == "Constant":
            env[node.output[0]] = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
            continue
        if node.op_type not in OPS:
            raise NotImplementedError(f"operator {node.op_type} ({node.name})")
        args = [env[i] for i in node.input]
        while args and args[-1] is None:
            args.pop()
        with torch.no_grad():
            out = OPS[node.op_type](*args, **a)
        env[node.output[0]] = out
    return {o.name: env[o.name].numpy() for o in m.graph.output}
