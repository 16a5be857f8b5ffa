#!/usr/bin/env python3
"""Check the Go-built models of bench/zoo against real torchvision exports.

NOT run by tests or CI. Needs the exports of bench/torchvision_export.py
(default /work/models) and the onnx Python package (/usr/bin/python3 has it).

Usage:
    /usr/bin/python3 bench/check_zoo_shapes.py [--models DIR] [--go GO] [NAME ...]

It runs `go run ./bench/cmd/zoodump` (from the repository root) for the JSON
list of each zoo model's Conv, MaxPool, AveragePool, GlobalAveragePool,
ReduceMean and Gemm nodes in graph order, reads the same nodes from
DIR/NAME.onnx, and compares them in order: operator, weight shape
([Cout, Cin/group, KH, KW] or Gemm's [out, in]), kernel, strides, pads,
group, ceil_mode. The exports have BatchNormalization folded into the Conv
weights, which does not change their shapes; biases are not compared.
Exit status 1 on any difference.
"""

import argparse
import json
import os
import subprocess
import sys

import onnx
from onnx import helper, numpy_helper

LAYER_OPS = {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean", "Gemm"}


def key(op, weight=None, kernel=None, strides=None, pads=None, group=None, ceil_mode=None, trans_b=None):
    """Normalise one layer (ONNX defaults filled in) into a comparable tuple."""
    k = list(kernel or [])
    if op in ("Conv", "MaxPool", "AveragePool"):
        strides = list(strides or [1] * len(k))
        pads = list(pads or [0] * (2 * len(k)))
    else:
        strides, pads = [], []
    if op != "Conv":
        group = None
    elif not group:
        group = 1
    if op not in ("MaxPool", "AveragePool"):
        ceil_mode = None
    return (op, tuple(weight or ()), tuple(k), tuple(strides), tuple(pads), group, int(ceil_mode or 0),
            int(trans_b or 0) if op == "Gemm" else None)


def fmt(k):
    op, w, kern, st, pads, g, ceil, tb = k
    s = op
    if w:
        s += " w" + "x".join(map(str, w))
    if kern:
        s += f" k{list(kern)} s{list(st)} p{list(pads)}"
    if g is not None:
        s += f" g{g}"
    if op in ("MaxPool", "AveragePool"):
        s += f" ceil{ceil}"
    if tb is not None:
        s += f" transB{tb}"
    return s


def export_layers(path):
    m = onnx.load(path)
    inits = {t.name: t for t in m.graph.initializer}
    consts = {}
    for n in m.graph.node:  # weights may come through Constant or Identity nodes
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    consts[n.output[0]] = tuple(a.t.dims)
        if n.op_type == "Identity" and n.input[0] in inits:
            consts[n.output[0]] = tuple(inits[n.input[0]].dims)
    out = []
    for n in m.graph.node:
        if n.op_type not in LAYER_OPS:
            continue
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        w = None
        if n.op_type in ("Conv", "Gemm"):
            w = tuple(inits[n.input[1]].dims) if n.input[1] in inits else consts.get(n.input[1])
        out.append((n.name, key(n.op_type, w, a.get("kernel_shape"), a.get("strides"), a.get("pads"),
                                a.get("group"), a.get("ceil_mode"), a.get("transB"))))
    return out


def zoo_layers(go, names, root):
    res = subprocess.run([go, "run", "./bench/cmd/zoodump", *names], cwd=root, check=True,
                         capture_output=True, text=True)
    out = {}
    for m in json.loads(res.stdout):
        out[m["name"]] = [(l["name"], key(l["op"], l.get("weight"), l.get("kernel"), l.get("strides"),
                                          l.get("pads"), l.get("group"), l.get("ceil_mode"), l.get("trans_b")))
                          for l in m["layers"]]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="/work/models")
    ap.add_argument("--go", default="go")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names = args.names or ["resnet18", "resnet50", "mobilenet_v2", "squeezenet1_1", "vgg16", "alexnet",
                           "googlenet", "shufflenet_v2_x1_0", "efficientnet_b0"]
    zoo = zoo_layers(args.go, names, root)
    failed = 0
    for name in names:
        ref = export_layers(os.path.join(args.models, name + ".onnx"))
        got = zoo[name]
        convs = sum(1 for _, k in ref if k[0] == "Conv")
        bad = []
        for i in range(max(len(ref), len(got))):
            r = ref[i] if i < len(ref) else ("-", None)
            g = got[i] if i < len(got) else ("-", None)
            if r[1] != g[1]:
                bad.append((i, r, g))
        if bad:
            failed += 1
            print(f"{name}: MISMATCH ({len(ref)} export layers, {len(got)} zoo layers; {len(bad)} differ)")
            for i, r, g in bad[:10]:
                print(f"  #{i}: torchvision {r[0]}: {fmt(r[1]) if r[1] else '-'}")
                print(f"  #{i}: zoo         {g[0]}: {fmt(g[1]) if g[1] else '-'}")
        else:
            print(f"{name}: OK, {len(ref)} layers ({convs} Conv) match in order")
    print(f"{len(names) - failed}/{len(names)} models match")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
