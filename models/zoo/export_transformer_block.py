#!/usr/bin/env python3
"""Exports one pre-norm transformer block with torch.onnx.export in both exporters, as the
fixtures of tests/transformer_block.rs (tests/fixtures/torch/):

  block_ts.onnx                 TorchScript exporter (dynamo=False, opset 17)
  block_dyn.onnx + .onnx.data   dynamo exporter (external data)

The block: LayerNorm -> fused QKV Linear -> split into 2 heads (view + transpose) ->
Q·Kᵀ / sqrt(d) -> causal masked_fill(-inf) -> softmax -> ·V -> merge heads -> Linear ->
residual; LayerNorm -> Linear -> GELU -> Linear -> residual. Sequence 5, width 8. Weights are
seeded random (LayerNorm scales and shifts included, so tract keeps them); nothing is trained.

Run with torch in a virtualenv outside the repository:
  python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install torch onnx onnxscript
  /work/venv-torch/bin/python models/zoo/export_transformer_block.py
"""
import math
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "tests", "fixtures", "torch")
T, D, H = 5, 8, 2


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.mlp = nn.Sequential(nn.Linear(D, 2 * D), nn.GELU(), nn.Linear(2 * D, D))
        self.register_buffer("causal", torch.tril(torch.ones(T, T)).view(1, 1, T, T))
        with torch.no_grad():
            for ln in (self.ln1, self.ln2):
                ln.weight.uniform_(0.7, 1.3)
                ln.bias.uniform_(-0.2, 0.2)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        heads = lambda z: z.view(b, t, H, d // H).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        a = (q @ k.transpose(-2, -1)) / math.sqrt(d // H)
        a = a.masked_fill(self.causal[:, :, :t, :t] == 0, float("-inf")).softmax(-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


torch.manual_seed(13)
m = Block().eval()
x = torch.randn(1, T, D)
os.makedirs(OUT, exist_ok=True)
torch.onnx.export(m, (x,), os.path.join(OUT, "block_ts.onnx"), dynamo=False, opset_version=17)
torch.onnx.export(m, (x,), os.path.join(OUT, "block_dyn.onnx"), dynamo=True, external_data=True)
for f in sorted(os.listdir(OUT)):
    print("wrote", os.path.relpath(os.path.join(OUT, f)), os.path.getsize(os.path.join(OUT, f)), "bytes")
