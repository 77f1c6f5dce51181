#!/usr/bin/env python3
"""Trains and exports the two zoo transformers, the way PyTorch and Hugging Face users do:

  vit.onnx                 tiny ViT on the 8x8 digits, torch.onnx.export (TorchScript exporter)
  vit_dynamo.onnx(.data)   the same weights, torch.onnx.export(dynamo=True), external data
  gpt.onnx                 tiny GPT-2 (transformers' GPT2LMHeadModel), TorchScript exporter
  gpt_dynamo.onnx(.data)   the same weights, dynamo exporter, external data
  gpt_data.json            held-out token sequences ("input_data": one list of SEQ ids each)
                           with the float model's next-token argmax per position ("labels")

ViT: input [1, 64] (pixels / 16, as every zoo model), 2x2 patches (16 patches of 4 values),
embedding 16, a class token, learned positions, 2 pre-norm encoder blocks of 2 heads (attention
written out as users write it: q, k, v projections, heads split by reshape and transpose,
softmax(q kᵀ / sqrt(d)) v), a GELU MLP of 32, a final LayerNorm, a linear head on the class
token. Trained on the zoo's training split (make_zoo.py's: train_test_split(test_size=0.25,
random_state=0, stratified)); its test split is digits_test.json.

GPT: GPT2Config(vocab 16, 2 layers, 2 heads, n_embd 32, positions 16), sequence length 8, trained
on a synthetic task: each sequence counts up by a per-sequence step modulo 16 from a random start
(so the next token is predictable from the two before it). Causal masks, the tanh GELU, layer
norms, token and position embeddings are all GPT-2's own code.

Run outside the repository's tests (they never run Python), with torch, transformers, onnx,
onnxscript and scikit-learn in a virtualenv outside the repository:
  python3 -m venv /work/venv-tx && /work/venv-tx/bin/pip install torch transformers onnx onnxscript scikit-learn
  /work/venv-tx/bin/python models/zoo/make_transformers.py
Deterministic (fixed seeds, one thread); the exporters' output may differ between versions.
"""
import json
import math
import os

import numpy as np
import onnx
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
# Where the files go (default: beside this script).
OUT = os.environ.get("ZOO_OUT", HERE)
SEQ = 8
VOCAB = 16


# ------------------------------------------------------------------------------------ ViT
class Block(nn.Module):
    def __init__(self, d, heads, hidden):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.reshape(b, t, h, d // h).transpose(1, 2)
        k = k.reshape(b, t, h, d // h).transpose(1, 2)
        v = v.reshape(b, t, h, d // h).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // h), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))


class ViT(nn.Module):
    def __init__(self, d=16, heads=2, hidden=32, blocks=2):
        super().__init__()
        self.embed = nn.Linear(4, d)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, 17, d) * 0.1)
        self.blocks = nn.ModuleList([Block(d, heads, hidden) for _ in range(blocks)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, 10)

    def forward(self, x):
        b = x.shape[0]
        # [b, 64] -> 16 patches of 2x2 pixels: (row block, col block, 2, 2)
        p = x.reshape(b, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(b, 16, 4)
        t = torch.cat([self.cls.expand(b, -1, -1), self.embed(p)], dim=1) + self.pos
        for blk in self.blocks:
            t = blk(t)
        return self.head(self.ln(t)[:, 0])


def digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = (d.data / 16.0).astype(np.float32)
    return train_test_split(X, d.target, test_size=0.25, random_state=0, stratify=d.target)


def train_vit():
    torch.manual_seed(0)
    Xtr, Xte, ytr, yte = digits_split()
    xtr, ytr_t = torch.tensor(Xtr), torch.tensor(ytr, dtype=torch.long)
    model = ViT()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    for epoch in range(60):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xtr[idx]), ytr_t[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(torch.tensor(Xte)).argmax(1).numpy() == yte).mean()
    params = sum(p.numel() for p in model.parameters())
    return model, acc, params


# ------------------------------------------------------------------------------------ GPT
def sequences(n, rng):
    start = rng.integers(0, VOCAB, size=(n, 1))
    step = rng.integers(1, 4, size=(n, 1))
    return (start + step * np.arange(SEQ + 1)[None, :]) % VOCAB


class GptLogits(nn.Module):
    """GPT2LMHeadModel with a plain tensor out (no cache, no dict), as users wrap it to export.
    The all-ones attention mask keeps transformers off its packed-sequence detection
    (`torch.diff`, which the TorchScript exporter cannot export)."""

    def __init__(self, gpt):
        super().__init__()
        self.gpt = gpt

    def forward(self, input_ids):
        mask = torch.ones_like(input_ids)
        return self.gpt(input_ids=input_ids, attention_mask=mask, use_cache=False, return_dict=False)[0]


def train_gpt():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    cfg = GPT2Config(vocab_size=VOCAB, n_positions=16, n_embd=32, n_layer=2, n_head=2,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    gpt = GPT2LMHeadModel(cfg)
    opt = torch.optim.AdamW(gpt.parameters(), lr=3e-3)
    for _ in range(600):
        s = torch.tensor(sequences(64, rng), dtype=torch.long)
        opt.zero_grad()
        out = gpt(input_ids=s[:, :SEQ], labels=None, use_cache=False)
        loss = nn.functional.cross_entropy(out.logits.reshape(-1, VOCAB), s[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
    gpt.eval()
    held = sequences(200, np.random.default_rng(1))
    with torch.no_grad():
        logits = gpt(input_ids=torch.tensor(held[:, :SEQ]), use_cache=False).logits
    pred = logits.argmax(-1).numpy()
    # Positions from the third on are determined by the sequence so far.
    acc = (pred[:, 1:] == held[:, 2:]).mean()
    params = sum(p.numel() for p in gpt.parameters())
    return GptLogits(gpt).eval(), held[:, :SEQ], pred, acc, params


# ------------------------------------------------------------------------------------ export
def export(model, example, name, **kw):
    path = os.path.join(OUT, name)
    for f in (path, path + ".data"):
        if os.path.exists(f):
            os.remove(f)
    torch.onnx.export(model, (example,), path, **kw)
    m = onnx.load(path, load_external_data=False)
    ops = sorted({n.op_type for n in m.graph.node})
    size = os.path.getsize(path) + (os.path.getsize(path + ".data") if os.path.exists(path + ".data") else 0)
    print(f"  {name}: {size} B, opset {m.opset_import[0].version}, ops {ops}")


def main():
    torch.set_num_threads(1)
    vit, acc, params = train_vit()
    print(f"torch {torch.__version__}: ViT {params} parameters, float test accuracy {acc:.3f}")
    x = torch.zeros(1, 64)
    export(vit, x, "vit.onnx", dynamo=False, opset_version=17, input_names=["input"], output_names=["logits"])
    export(vit, x, "vit_dynamo.onnx", dynamo=True, external_data=True)

    gpt, held, pred, acc, params = train_gpt()
    print(f"GPT-2 {params} parameters, held-out next-token accuracy (positions 2..) {acc:.3f}")
    ids = torch.tensor(held[:1], dtype=torch.long)
    export(gpt, ids, "gpt.onnx", dynamo=False, opset_version=17, input_names=["input_ids"], output_names=["logits"])
    export(gpt, ids, "gpt_dynamo.onnx", dynamo=True, external_data=True)
    with open(os.path.join(OUT, "gpt_data.json"), "w") as f:
        json.dump({"input_data": held.tolist(), "labels": pred.tolist()}, f)


if __name__ == "__main__":
    main()
