#!/usr/bin/env python3
"""Exports a small PyTorch MLP the way PyTorch users do by default (torch >= 2.9:
`torch.onnx.export(..., dynamo=True)`), with its weights in an external data file:

  torch_mlp.onnx        the graph (no weights inside)
  torch_mlp.onnx.data   the weights (ONNX external data, read from the model's directory)

The model is 64 -> 24 -> ReLU -> 10, trained briefly on calibration.json (the first 200
training digits, scaled to [0, 1]); the import test only needs a real exporter's file.

Run with torch, onnx and onnxscript installed (outside the repository, e.g.
`python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install torch onnx onnxscript`):
  /work/venv-torch/bin/python models/zoo/export_torch.py
Deterministic training (fixed seed, one thread); the exporter's output may differ between torch
versions (this one: see the printout).
"""
import json
import os

import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    data = json.load(open(os.path.join(HERE, "calibration.json")))
    x = torch.tensor(data["input_data"], dtype=torch.float32)
    y = torch.tensor(data["labels"], dtype=torch.long)
    model = torch.nn.Sequential(torch.nn.Linear(64, 24), torch.nn.ReLU(), torch.nn.Linear(24, 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(300):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    model.eval()
    acc = (model(x).argmax(1) == y).float().mean().item()
    path = os.path.join(HERE, "torch_mlp.onnx")
    for f in (path, path + ".data"):
        if os.path.exists(f):
            os.remove(f)
    torch.onnx.export(model, (x[:1],), path, dynamo=True, external_data=True)
    m = onnx.load(path, load_external_data=False)
    external = [t.name for t in m.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert external, "the exporter wrote no external data"
    print(f"torch {torch.__version__}: wrote {os.path.relpath(path)} ({os.path.getsize(path)} B) and "
          f"{os.path.relpath(path)}.data ({os.path.getsize(path + '.data')} B); external: {external}; "
          f"train accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
