#!/usr/bin/env python3
"""Export small PyTorch CNNs to ONNX as golden test data for gocnn.

NOT run by tests or CI. The generated files are committed; re-run only when
the models or the export policy change.

How to run (from the repository root):

    /usr/bin/python3 testdata/torch/export.py            # writes into testdata/torch/
    /usr/bin/python3 testdata/torch/export.py --out DIR  # writes elsewhere
    /usr/bin/python3 testdata/torch/export.py --all-opsets
        # also exports keras_cifar at opsets 9 and 11 (+6.4 MB, not committed)

Tool versions it was last run with (Debian 12 packages, CPU only):
    python 3.11 (/usr/bin/python3), torch 1.13.0a0 (python3-torch),
    onnx 1.12.0 (python3-onnx), numpy 1.24.2

Models (all weights random, seeded; BN running stats/affine params randomised):
    lenet5       1x32x32  conv5-tanh-avgpool, conv5-relu-maxpool, x.view(N,-1), 3 FCs
    tiny_resnet  3x32x32  conv-BN-ReLU stem, 2 basic blocks (2nd: stride 2 with
                          1x1 conv+BN shortcut), GAP, torch.flatten, FC
    tiny_mbv2    3x32x32  MobileNetV2-style inverted residuals (1x1 expand,
                          dw3x3 s1/s2, 1x1 project), BN, ReLU6, Hardswish,
                          residual adds, x.mean((2,3)), FC
    keras_cifar  3x32x32  conv32-relu, conv32-relu, maxpool2, dropout .25,
                          x.view(N,-1), dense128-relu, dropout .5, dense10, softmax

Export policy (per opset):
    opset 9, 11: do_constant_folding=False, training=TrainingMode.PRESERVE
                 (model is in eval mode, so BatchNormalization nodes are kept
                 as-is instead of being fused into the preceding Conv; all
                 Shape->Gather->Unsqueeze->Concat->Reshape chains are kept).
    opset 13:    do_constant_folding=True, training=TrainingMode.EVAL (torch's
                 default: the exporter fuses Conv+BN itself).
    The batch dimension of "input" and "output" is dynamic ("N") everywhere.
    keras_cifar is exported at opset 13 only by default (each file is 3.2 MB
    because of the 6272x128 dense layer), see README.md.

Files per model M: M_op{9,11,13}.onnx, M_input.npy (float32, batch 2, seeded
normal), M_output.npy (torch eval-mode output on M_input.npy, float32).
"""

import argparse
import os
import sys
from collections import Counter

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSETS = (9, 11, 13)
SEED = 0


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)  # 32 -> 28
        self.pool1 = nn.AvgPool2d(2)  # 28 -> 14
        self.conv2 = nn.Conv2d(6, 16, 5)  # 14 -> 10
        self.pool2 = nn.MaxPool2d(2)  # 10 -> 5
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(torch.tanh(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = x.view(x.size(0), -1)  # Shape->Gather->Unsqueeze->Concat->Reshape
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + sc)


class TinyResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()
        )
        self.block1 = BasicBlock(16, 16, 1)
        self.block2 = BasicBlock(16, 32, 2)  # 32x32 -> 16x16, 1x1 conv+BN shortcut
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        x = torch.flatten(self.pool(x), 1)  # -> ONNX Flatten
        return self.fc(x)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand, act):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False),  # 1x1 expand
            nn.BatchNorm2d(hidden),
            act(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),  # dw
            nn.BatchNorm2d(hidden),
            act(),
            nn.Conv2d(hidden, cout, 1, bias=False),  # 1x1 project (linear)
            nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        out = self.block(x)
        return x + out if self.use_res else out


class TinyMobileNetV2(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6()
        )
        self.blocks = nn.Sequential(
            InvertedResidual(16, 16, 1, 4, nn.ReLU6),  # residual
            InvertedResidual(16, 24, 2, 4, nn.Hardswish),  # dw stride 2
            InvertedResidual(24, 24, 1, 4, nn.Hardswish),  # residual
        )
        self.head = nn.Sequential(
            nn.Conv2d(24, 64, 1, bias=False), nn.BatchNorm2d(64), nn.Hardswish()
        )
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        x = x.mean((2, 3))  # -> ONNX ReduceMean(axes=[2,3], keepdims=0)
        return self.fc(x)


class KerasCifar(nn.Module):
    """The classic Keras CIFAR-10 example net ('valid' padding, as Keras' default)."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3)  # 32 -> 30
        self.conv2 = nn.Conv2d(32, 32, 3)  # 30 -> 28
        self.pool = nn.MaxPool2d(2)  # 28 -> 14
        self.drop1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(32 * 14 * 14, 128)
        self.drop2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.drop1(self.pool(x))
        x = x.view(x.size(0), -1)
        x = self.drop2(F.relu(self.fc1(x)))
        return F.softmax(self.fc2(x), dim=1)


def randomize_bn(model, gen):
    """Give every BatchNorm non-trivial running stats and affine params."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.3)
                m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)


MODELS = [
    # name, constructor, input shape (without batch), default opsets
    ("lenet5", LeNet5, (1, 32, 32), OPSETS),
    ("tiny_resnet", TinyResNet, (3, 32, 32), OPSETS),
    ("tiny_mbv2", TinyMobileNetV2, (3, 32, 32), OPSETS),
    ("keras_cifar", KerasCifar, (3, 32, 32), (13,)),
]


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def export_one(model, x, path, opset):
    if opset >= 13:
        kw = dict(do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    else:
        kw = dict(do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    torch.onnx.export(
        model,
        x,
        path,
        opset_version=opset,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
        **kw,
    )
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)  # full_check runs shape inference
    return m


def op_summary(m):
    c = Counter(n.op_type for n in m.graph.node)
    return ", ".join(f"{k}×{v}" if v > 1 else k for k, v in sorted(c.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--all-opsets", action="store_true",
                    help="export every model at every opset (keras_cifar: +6.4 MB)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)  # deterministic reductions

    print(f"torch {torch.__version__}, onnx {onnx.__version__}, numpy {np.__version__}")
    for name, ctor, shape, opsets in MODELS:
        if args.all_opsets:
            opsets = OPSETS
        torch.manual_seed(SEED)
        model = ctor()
        gen = torch.Generator().manual_seed(SEED + 1)
        randomize_bn(model, gen)
        model.eval()

        rng = np.random.default_rng(SEED)
        x = rng.standard_normal((2,) + shape).astype(np.float32)
        with torch.no_grad():
            y = model(torch.from_numpy(x)).numpy().astype(np.float32)
        np.save(os.path.join(args.out, f"{name}_input.npy"), x)
        np.save(os.path.join(args.out, f"{name}_output.npy"), y)
        print(f"\n{name}: input {x.shape} output {y.shape} "
              f"out range [{y.min():.4g}, {y.max():.4g}]")

        for opset in opsets:
            path = os.path.join(args.out, f"{name}_op{opset}.onnx")
            try:
                with torch.no_grad():
                    m = export_one(model, torch.from_numpy(x), path, opset)
            except Exception as e:  # skip unsupported (model, opset) combination
                print(f"  op{opset}: SKIPPED: {type(e).__name__}: {e}", file=sys.stderr)
                if os.path.exists(path):
                    os.remove(path)
                continue
            size = os.path.getsize(path)
            print(f"  op{opset}: {os.path.basename(path)} {size} bytes, "
                  f"{len(m.graph.node)} nodes, {len(m.graph.initializer)} initializers")
            print(f"    ops: {op_summary(m)}")


if __name__ == "__main__":
    main()
