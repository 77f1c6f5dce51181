#!/usr/bin/env python3
"""Trains the zoo's tiny ViT on scikit-learn's 8x8 digits (the split of make_zoo.py: the 450
held-out digits are models/zoo/digits_test.json) and exports it with torch.onnx.export in both
exporters:

  vit.onnx                  TorchScript exporter (dynamo=False, opset 17)
  vit_dyn.onnx + .data      dynamo exporter (external data)

Architecture: 2x2 patches (a Conv2d of stride 2: 16 patches), width 16, a class token and
position embeddings, 2 pre-norm encoder blocks of 2 heads with a GELU MLP of width 32, a final
LayerNorm on the class token and a Linear head. Input [1, 1, 8, 8], pixels / 16.

Run with torch and scikit-learn in a virtualenv outside the repository:
  /work/venv-torch/bin/pip install torch onnx onnxscript scikit-learn
  /work/venv-torch/bin/python models/zoo/train_vit.py
"""
import math
import os

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
D, H, M, BLOCKS = 16, 2, 32, 2


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.mlp = nn.Sequential(nn.Linear(D, M), nn.GELU(), nn.Linear(M, D))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        heads = lambda z: z.view(b, t, H, d // H).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        a = ((q @ k.transpose(-2, -1)) / math.sqrt(d // H)).softmax(-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(1, D, kernel_size=2, stride=2)
        self.cls = nn.Parameter(torch.zeros(1, 1, D))
        self.pos = nn.Parameter(torch.randn(1, 17, D) * 0.1)
        self.blocks = nn.Sequential(*[Block() for _ in range(BLOCKS)])
        self.ln, self.head = nn.LayerNorm(D), nn.Linear(D, 10)

    def forward(self, x):
        p = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), p], dim=1) + self.pos
        return self.head(self.ln(self.blocks(x)[:, 0]))


digits = load_digits()
X = (digits.data / 16.0).astype(np.float32)
y = digits.target
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
torch.manual_seed(0)
m = ViT()
opt = torch.optim.AdamW(m.parameters(), lr=3e-3, weight_decay=1e-4)
xt, yt = torch.tensor(Xtr).view(-1, 1, 8, 8), torch.tensor(ytr)
for epoch in range(60):
    m.train()
    perm = torch.randperm(len(xt))
    for i in range(0, len(xt), 64):
        idx = perm[i:i + 64]
        loss = nn.functional.cross_entropy(m(xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
m.eval()
with torch.no_grad():
    acc = (m(torch.tensor(Xte).view(-1, 1, 8, 8)).argmax(1).numpy() == yte).mean()
print(f"float test accuracy {acc:.4f} on {len(yte)} digits")
x = torch.tensor(Xte[:1]).view(1, 1, 8, 8)
torch.onnx.export(m, (x,), os.path.join(HERE, "vit.onnx"), dynamo=False, opset_version=17)
torch.onnx.export(m, (x,), os.path.join(HERE, "vit_dyn.onnx"), dynamo=True, external_data=True)
for f in ["vit.onnx", "vit_dyn.onnx", "vit_dyn.onnx.data"]:
    print("wrote", f, os.path.getsize(os.path.join(HERE, f)), "bytes")
