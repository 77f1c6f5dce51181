"""Prove and verify the zoo MLP on one handwritten digit given as a numpy array.

    pip install ./python numpy
    python examples/prove_digit.py            # proof files in ./target/py-example
"""
import json
import sys
from pathlib import Path

import numpy as np

import zkinfer

root = Path(__file__).resolve().parents[1]
model = root / "models" / "zoo" / "mlp.onnx"
out = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "target" / "py-example"

# An 8x8 digit (values in [0, 1]) from the zoo's test set, as a numpy array.
digits = json.loads((root / "models" / "zoo" / "digits_test.json").read_text())
x = np.array(digits["input_data"][0], dtype=np.float32)

r = zkinfer.prove(model, input=x, out=out)
print(f"proved in {r['timings_s']['prove']:.2f} s, {r['proof_bytes']} bytes, k = {r['k']}")

# Verify against the model identity we trust (here: the one prove reported; in practice the
# one the model's owner published with zkinfer.commit).
v = zkinfer.verify(out / "proof.json", model_hash=r["identity"])
print("model identity", v["identity"])
print("output        ", np.round(v["output_dequantized"], 3))
print("digit         ", int(np.argmax(v["output"])), "(label", digits["labels"][0], ")")

try:
    zkinfer.prove(model, input=np.full(64, np.nan), out=out)
except zkinfer.InputError as e:
    print("refused NaN:  ", e)
