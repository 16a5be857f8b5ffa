#!/usr/bin/env python3
"""Train the small digits CNN that gocnn embeds as its default model.

NOT run by tests or CI. The outputs are committed; re-run only to regenerate
them (results are deterministic for a given torch build, CPU, 1 thread).

How to run (from the repository root):

    /usr/bin/python3 cmd/gocnn/digits/train.py           # writes next to this file
    /usr/bin/python3 cmd/gocnn/digits/train.py --out DIR

Last run with: /usr/bin/python3 (3.11), torch 1.13.0a0 (Debian python3-torch),
scikit-learn 1.2.1 (python3-sklearn), onnx 1.12.0, numpy 1.24.2.

Data: scikit-learn's bundled digits data set (sklearn.datasets.load_digits,
1797 8x8 grayscale images, integer pixel values 0..16, labels 0..9; no
download). Split: train_test_split(test_size=0.25, stratify=labels,
random_state=0) -> 1347 train / 450 test.

Preprocessing (the model's contract): float32 pixels divided by 16, i.e.
values in [0,1], layout NCHW [N,1,8,8], row-major as in load_digits().images
(0 = white/background, 1 = black/ink). No mean/std normalisation.

Model (outputs LOGITS, no softmax; apply softmax yourself for probabilities):
    Conv 3x3 pad 1, 1->16, ReLU       [N,16,8,8]
    Conv 3x3 pad 1, 16->32, ReLU      [N,32,8,8]
    MaxPool 2x2                       [N,32,4,4]
    Flatten                           [N,512]
    Linear 512->10                    [N,10]  logits

Outputs (in --out):
    model.onnx            opset 13, input "image" [N,1,8,8] float32 (N dynamic),
                          output "logits" [N,10] float32
    test_images.npy       float32 [450,1,8,8], already scaled to [0,1]
    test_labels.npy       int64 [450]
    expected_logits.npy   float32 [450,10], torch eval-mode logits on test_images
"""

import argparse
import os
from collections import Counter

import numpy as np
import onnx
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
EPOCHS = 40
BATCH = 32
LR = 2e-3


class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.flatten = nn.Flatten()  # -> ONNX Flatten(axis=1)
        self.fc = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        return self.fc(self.flatten(self.features(x)))


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    digits = load_digits()
    images = (digits.images.astype(np.float32) / 16.0)[:, None, :, :]  # [N,1,8,8]
    labels = digits.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(
        images, labels, test_size=0.25, stratify=labels, random_state=SEED)
    print(f"train {len(xtr)}, test {len(xte)}")
    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr)
    xte_t, yte_t = torch.from_numpy(xte), torch.from_numpy(yte)

    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    lossf = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(xtr_t), generator=gen)
        total = 0.0
        for i in range(0, len(perm), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = lossf(model(xtr_t[idx]), ytr_t[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        model.eval()
        if epoch % 5 == 4 or epoch == EPOCHS - 1:
            print(f"epoch {epoch + 1:3d} loss {total / len(xtr):.4f} "
                  f"train acc {accuracy(model, xtr_t, ytr_t):.4f} "
                  f"test acc {accuracy(model, xte_t, yte_t):.4f}")

    model.eval()
    with torch.no_grad():
        logits = model(xte_t).numpy().astype(np.float32)
    acc = float((logits.argmax(1) == yte).mean())
    print(f"held-out test accuracy (torch): {acc:.4f} "
          f"({int((logits.argmax(1) == yte).sum())}/{len(yte)})")
    assert acc > 0.97, "accuracy target not met"

    path = os.path.join(args.out, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model, xte_t[:1], path, opset_version=13,
            input_names=["image"], output_names=["logits"],
            dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}})
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    print(f"{path}: {os.path.getsize(path)} bytes, ops: "
          + ", ".join(f"{k}×{v}" for k, v in sorted(Counter(n.op_type for n in m.graph.node).items())))
    np.save(os.path.join(args.out, "test_images.npy"), xte.astype(np.float32))
    np.save(os.path.join(args.out, "test_labels.npy"), yte.astype(np.int64))
    np.save(os.path.join(args.out, "expected_logits.npy"), logits)


if __name__ == "__main__":
    main()
