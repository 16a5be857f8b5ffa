#!/usr/bin/env python3
"""Export torchvision classification models to ONNX for local gocnn benchmarks.

NOT run by tests or CI, and its outputs are NOT committed (vgg16 alone is
~553 MB). See bench/README_models.md.

Usage:
    /usr/bin/python3 bench/torchvision_export.py [OUT_DIR] [--only NAME ...]
        OUT_DIR defaults to /work/models

For every model NAME it writes into OUT_DIR:
    NAME.onnx          opset 13, batch 1, input "input" [1,3,224,224] float32,
                       output "output" [1,1000]; static shapes; torch's default
                       export settings (eval mode, constant folding, Conv+BN fused)
    NAME_input.npy     float32 [1,3,224,224], numpy default_rng(0) standard normal
    NAME_output.npy    float32 [1,1000], torch eval-mode output on NAME_input.npy

Weights are random (weights=None, torch.manual_seed(0) before construction):
no pretrained weights are downloaded, so outputs are only meaningful for
numerical comparison, not classification.

BatchNorm calibration (default on, --no-bn-calibration to disable): with
torchvision's random init, BN layers have running_mean=0/running_var=1, so
activations are never renormalised; mobilenet_v2 then outputs ~1e-9 and
efficientnet_b0 ~1e-14 (the fan_out Kaiming init of depthwise convs shrinks
activations every block), and resnet50 ~1e2 -- useless for checking a runtime
numerically. So before export, only the BN layers are put in train mode with
momentum=None (cumulative average) and the model is run on 4 batches of 8
seeded standard-normal images; the BN running stats then match the actual
activations and outputs are O(0.01..1). Models without BN (vgg16, alexnet,
squeezenet1_1) are unaffected.

Last run with: torch 1.13.0a0 / torchvision 0.14.1a0 (Debian 12 python3-torch,
python3-torchvision), onnx 1.12.0, numpy 1.24.2, /usr/bin/python3 (3.11).
"""

import argparse
import os
import sys
import time
from collections import Counter

import numpy as np
import onnx
import torch
import torchvision.models as tvm

OPSET = 13


def calibrate_bn(model, batches=4, batch_size=8):
    """Set BN running stats to the statistics of seeded random inputs."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return False
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over all calibration batches
        m.train()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(batch_size, 3, 224, 224, generator=gen))
    model.eval()
    return True

MODELS = {
    "resnet18": lambda: tvm.resnet18(weights=None),
    "resnet50": lambda: tvm.resnet50(weights=None),
    "mobilenet_v2": lambda: tvm.mobilenet_v2(weights=None),
    "squeezenet1_1": lambda: tvm.squeezenet1_1(weights=None),
    "vgg16": lambda: tvm.vgg16(weights=None),
    "alexnet": lambda: tvm.alexnet(weights=None),
    "googlenet": lambda: tvm.googlenet(weights=None, aux_logits=False, init_weights=True),
    "shufflenet_v2_x1_0": lambda: tvm.shufflenet_v2_x1_0(weights=None),
    "efficientnet_b0": lambda: tvm.efficientnet_b0(weights=None),
    "densenet121": lambda: tvm.densenet121(weights=None),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default="/work/models")
    ap.add_argument("--no-bn-calibration", action="store_true",
                    help="keep torchvision's initial BN running stats (0/1)")
    ap.add_argument("--only", nargs="*", choices=sorted(MODELS), help="subset of models")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    print(f"torch {torch.__version__}, onnx {onnx.__version__}, opset {OPSET}")

    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    for name in args.only or MODELS:
        t0 = time.time()
        torch.manual_seed(0)
        model = MODELS[name]().eval()
        calibrated = False if args.no_bn_calibration else calibrate_bn(model)
        with torch.no_grad():
            y = model(torch.from_numpy(x)).numpy().astype(np.float32)
        path = os.path.join(args.out, f"{name}.onnx")
        with torch.no_grad():
            torch.onnx.export(model, torch.from_numpy(x), path, opset_version=OPSET,
                              input_names=["input"], output_names=["output"])
        np.save(os.path.join(args.out, f"{name}_input.npy"), x)
        np.save(os.path.join(args.out, f"{name}_output.npy"), y)
        m = onnx.load(path)
        onnx.checker.check_model(path)  # path form: works for >2 GB too
        ops = Counter(n.op_type for n in m.graph.node)
        print(f"{name}: {os.path.getsize(path) / 1e6:.1f} MB, {len(m.graph.node)} nodes, "
              f"out range [{y.min():.4g}, {y.max():.4g}], "
              f"bn calibrated: {calibrated}, {time.time() - t0:.1f}s")
        print("  ops: " + ", ".join(f"{k}×{v}" for k, v in sorted(ops.items())))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
