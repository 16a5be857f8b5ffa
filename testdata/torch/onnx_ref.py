#!/usr/bin/env python3
"""Tiny NumPy reference interpreter for the ONNX ops torch emits for CNNs.

NOT run by tests or CI. Used to check that the exported .onnx files really
reproduce torch's saved outputs (no onnxruntime is available here), and as a
readable, executable statement of the op semantics gocnn has to match.

Usage:
    /usr/bin/python3 testdata/torch/onnx_ref.py MODEL.onnx INPUT.npy EXPECTED.npy [...]
        (repeat triples; prints max abs / rel error per model, exit 1 on mismatch)
    /usr/bin/python3 testdata/torch/onnx_ref.py --testdata
        (checks every *_op*.onnx in testdata/torch and cmd/gocnn/digits/model.onnx)

Only default-domain ops seen in the gocnn test models and the torchvision
benchmark exports are implemented; anything else raises NotImplementedError.
"""

import glob
import math
import os
import sys

import numpy as np
import onnx
from numpy.lib.stride_tricks import sliding_window_view
from onnx import helper, numpy_helper


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _pool_windows(x, kernel, strides, pads, dilations, ceil_mode, fill):
    """Return windows [N,C,OH,OW,kh,kw] and the per-window count mask."""
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    dh, dw = dilations
    pt, pl, pb, pr = pads
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    rnd = math.ceil if ceil_mode else math.floor
    oh = int(rnd((h + pt + pb - ekh) / sh)) + 1
    ow = int(rnd((w + pl + pr - ekw) / sw)) + 1
    if ceil_mode:  # a window may not start in the bottom/right padding
        if (oh - 1) * sh >= h + pt:
            oh -= 1
        if (ow - 1) * sw >= w + pl:
            ow -= 1
    extra_b = max(0, (oh - 1) * sh + ekh - (h + pt + pb))
    extra_r = max(0, (ow - 1) * sw + ekw - (w + pl + pr))
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb + extra_b), (pl, pr + extra_r)),
                constant_values=fill)
    win = sliding_window_view(xp, (ekh, ekw), axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    return win[:, :, :oh, :ow], (h, w, pt, pb, pl, pr, extra_b, extra_r, oh, ow)


def conv(x, wt, b, a):
    n, c, h, w = x.shape
    m, cg, kh, kw = wt.shape
    g = a.get("group", 1)
    strides = a.get("strides", [1, 1])
    dil = a.get("dilations", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("auto_pad")
    pads = [pads[0], pads[1], pads[2], pads[3]]  # [t,l,b,r]
    win, _ = _pool_windows(x, (kh, kw), strides, pads, dil, False, 0.0)
    _, _, oh, ow, _, _ = win.shape
    win = win.reshape(n, g, cg, oh, ow, kh, kw)
    wg = wt.reshape(g, m // g, cg, kh, kw)
    if g == 1:
        y = np.tensordot(win[:, 0], wg[0], axes=([1, 4, 5], [1, 2, 3]))  # n,oh,ow,m
        y = y.transpose(0, 3, 1, 2)
    else:
        y = np.einsum("ngcxykl,gmckl->ngmxy", win, wg, optimize=True).reshape(n, m, oh, ow)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def pool(x, a, kind):
    kernel = a["kernel_shape"]
    strides = a.get("strides", [1, 1])
    dil = a.get("dilations", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    pads = [pads[0], pads[1], pads[2], pads[3]]
    ceil = a.get("ceil_mode", 0)
    if kind == "max":
        win, _ = _pool_windows(x, kernel, strides, pads, dil, ceil, -np.inf)
        return win.max(axis=(4, 5))
    win, info = _pool_windows(x, kernel, strides, pads, dil, ceil, 0.0)
    h, w, pt, pb, pl, pr, eb, er, oh, ow = info
    ones = np.zeros((1, 1, h + pt + pb + eb, w + pl + pr + er), np.float32)
    if a.get("count_include_pad", 0):
        ones[..., : h + pt + pb, : w + pl + pr] = 1  # padding counts, ceil overhang does not
    else:
        ones[..., pt:pt + h, pl:pl + w] = 1
    cnt = sliding_window_view(ones, kernel, axis=(2, 3))[:, :, ::strides[0], ::strides[1]]
    cnt = cnt[:, :, :oh, :ow].sum(axis=(4, 5))
    return (win.sum(axis=(4, 5)) / cnt).astype(np.float32)


def run(model, feeds):
    g = model.graph
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    env = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    env.update(feeds)
    for node in g.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        x = ins[0] if ins else None
        if op == "Conv":
            y = conv(x, ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "MaxPool":
            y = pool(x, a, "max")
        elif op == "AveragePool":
            y = pool(x, a, "avg")
        elif op == "GlobalAveragePool":
            y = x.mean(axis=(2, 3), keepdims=True)
        elif op == "BatchNormalization":
            s, bias, mean, var = ins[1:5]
            sh = (1, -1) + (1,) * (x.ndim - 2)
            y = (x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + a.get("epsilon", 1e-5))
            y = y * s.reshape(sh) + bias.reshape(sh)
        elif op == "Relu":
            y = np.maximum(x, 0)
        elif op == "Tanh":
            y = np.tanh(x)
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-x))
        elif op == "HardSigmoid":
            y = np.clip(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0, 1)
        elif op == "HardSwish":
            y = x * np.clip(x / 6 + 0.5, 0, 1)
        elif op == "Clip":
            if opset < 11:
                lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
            else:
                lo = ins[1] if len(ins) > 1 and ins[1] is not None else -np.inf
                hi = ins[2] if len(ins) > 2 and ins[2] is not None else np.inf
            y = np.clip(x, lo, hi)
        elif op in ("Add", "Sub", "Mul", "Div"):
            p, q = ins
            if op == "Div" and np.issubdtype(p.dtype, np.integer):
                y = np.trunc(p / q).astype(p.dtype)
            else:
                y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
                     "Div": np.divide}[op](p, q)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = x.reshape(int(np.prod(x.shape[:ax])), -1)
        elif op == "Reshape":
            shape = [x.shape[i] if s == 0 and not a.get("allowzero", 0) else s
                     for i, s in enumerate(ins[1].tolist())]
            y = x.reshape(shape)
        elif op == "Shape":
            y = np.array(x.shape, np.int64)
        elif op == "Gather":
            y = np.take(x, ins[1], axis=a.get("axis", 0))
        elif op == "Unsqueeze":
            axes = a["axes"] if opset < 13 else ins[1].tolist()
            y = x
            for ax in sorted(ax % (x.ndim + len(axes)) for ax in axes):
                y = np.expand_dims(y, ax)
        elif op == "Squeeze":
            axes = a.get("axes") if opset < 13 else (ins[1].tolist() if len(ins) > 1 else None)
            y = np.squeeze(x, axis=tuple(axes) if axes is not None else None)
        elif op == "Concat":
            y = np.concatenate(ins, axis=a["axis"])
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"])
        elif op in ("Identity", "Dropout"):
            y = x
        elif op == "Pad":
            if opset < 11:
                pads, val, mode = a["pads"], a.get("value", 0.0), a.get("mode", b"constant")
            else:
                pads = ins[1].tolist()
                val = ins[2].item() if len(ins) > 2 and ins[2] is not None else 0.0
                mode = a.get("mode", b"constant")
            if mode not in (b"constant", "constant"):
                raise NotImplementedError(f"Pad mode {mode}")
            r = x.ndim
            y = np.pad(x, [(pads[i], pads[i + r]) for i in range(r)], constant_values=val)
        elif op == "ReduceMean":
            axes = a.get("axes")
            y = x.mean(axis=tuple(axes) if axes else None, keepdims=bool(a.get("keepdims", 1)))
        elif op == "Softmax":
            ax = a.get("axis", 1 if opset < 13 else -1)
            if opset < 13:  # coerce to 2D [prod(shape[:ax]), prod(shape[ax:])]
                ax = ax % x.ndim
                x2 = x.reshape(int(np.prod(x.shape[:ax])), -1)
                e = np.exp(x2 - x2.max(axis=1, keepdims=True))
                y = (e / e.sum(axis=1, keepdims=True)).reshape(x.shape)
            else:
                e = np.exp(x - x.max(axis=ax, keepdims=True))
                y = e / e.sum(axis=ax, keepdims=True)
        elif op == "Transpose":
            y = np.transpose(x, a.get("perm"))
        elif op == "Slice":
            if opset < 10:
                starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
            else:
                starts, ends = ins[1].tolist(), ins[2].tolist()
                axes = ins[3].tolist() if len(ins) > 3 and ins[3] is not None else None
                steps = ins[4].tolist() if len(ins) > 4 and ins[4] is not None else None
            axes = axes if axes is not None else list(range(len(starts)))
            steps = steps or [1] * len(starts)
            sl = [slice(None)] * x.ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                sl[ax] = slice(s, e, st)  # Python slicing clamps like ONNX does
            y = x[tuple(sl)]
        else:
            raise NotImplementedError(op)
        if y.dtype == np.float64:
            y = y.astype(np.float32)
        env[node.output[0]] = np.asarray(y)
    return [env[o.name] for o in g.output]


def check(onnx_path, in_path, out_path, rtol=1e-3, atol=1e-5):
    m = onnx.load(onnx_path)
    x = np.load(in_path)
    want = np.load(out_path)
    got = run(m, {m.graph.input[0].name: x})[0]
    err = np.abs(got - want)
    scale = np.abs(want).max()
    ok = got.shape == want.shape and np.allclose(got, want, rtol=rtol, atol=atol + 1e-4 * scale)
    print(f"{'OK  ' if ok else 'FAIL'} {os.path.basename(onnx_path)}: shape {got.shape}, "
          f"max abs err {err.max():.3g}, max |want| {scale:.3g}")
    return ok


def main(argv):
    triples = []
    if argv == ["--testdata"]:
        here = os.path.dirname(os.path.abspath(__file__))
        for p in sorted(glob.glob(os.path.join(here, "*_op*.onnx"))):
            stem = os.path.basename(p).rsplit("_op", 1)[0]
            triples.append((p, os.path.join(here, stem + "_input.npy"),
                            os.path.join(here, stem + "_output.npy")))
        d = os.path.join(here, "..", "..", "cmd", "gocnn", "digits")
        if os.path.exists(os.path.join(d, "model.onnx")):
            triples.append((os.path.join(d, "model.onnx"), os.path.join(d, "test_images.npy"),
                            os.path.join(d, "expected_logits.npy")))
    elif argv and len(argv) % 3 == 0:
        triples = [tuple(argv[i:i + 3]) for i in range(0, len(argv), 3)]
    else:
        print(__doc__)
        return 2
    ok = all([check(*t) for t in triples])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
