#!/usr/bin/env python3
"""Trains and exports the zoo's tiny GPT-2 the way Hugging Face users do (the zoo's ViT is
train_vit.py's):

  gpt.onnx                 tiny GPT-2 (transformers' GPT2LMHeadModel), TorchScript exporter
  gpt_dynamo.onnx(.data)   the same weights, dynamo exporter, external data
  gpt_data.json            held-out token sequences ("input_data": one list of SEQ ids each)
                           with the float model's next-token argmax per position ("labels")
  gpt_calibration.json     the 48 sequences of the task (calibration)

GPT: GPT2Config(vocab 16, 2 layers, 2 heads, n_embd 32, positions 16), sequence length 8, trained
on a synthetic task: each sequence counts up by a per-sequence step modulo 16 from a random start
(so the next token is predictable from the two before it). Causal masks, the tanh GELU, layer
norms, token and position embeddings are all GPT-2's own code.

Run outside the repository's tests (they never run Python), with torch, transformers, onnx,
onnxscript and scikit-learn in a virtualenv outside the repository:
  python3 -m venv /work/venv-tx && /work/venv-tx/bin/pip install torch transformers onnx onnxscript scikit-learn
  /work/venv-tx/bin/python models/zoo/make_gpt.py
Deterministic (fixed seeds, one thread); the exporters' output may differ between versions.
"""
import json
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
    gpt, held, pred, acc, params = train_gpt()
    print(f"GPT-2 {params} parameters, held-out next-token accuracy (positions 2..) {acc:.3f}")
    ids = torch.tensor(held[:1], dtype=torch.long)
    export(gpt, ids, "gpt.onnx", dynamo=False, opset_version=17, input_names=["input_ids"], output_names=["logits"])
    export(gpt, ids, "gpt_dynamo.onnx", dynamo=True, external_data=True)
    with open(os.path.join(OUT, "gpt_data.json"), "w") as f:
        json.dump({"input_data": held.tolist(), "labels": pred.tolist()}, f)
    write_gpt_calibration()


def write_gpt_calibration():
    """gpt_calibration.json: the GPT's calibration data, every sequence of the task (16 starts x
    3 steps = 48: the training distribution has no others)."""
    cal = np.array([[(a + s * i) % VOCAB for i in range(SEQ)] for a in range(VOCAB) for s in range(1, 4)])
    with open(os.path.join(OUT, "gpt_calibration.json"), "w") as f:
        json.dump({"input_data": cal.tolist()}, f)


if __name__ == "__main__":
    main()
