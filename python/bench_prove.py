"""Python-side overhead of zkinfer.prove against the CLI on the zoo MLP (keys reused).

    python python/bench_prove.py [--runs 5] [--cli target/release/zkinfer]

Per run: the wall time of one `zkinfer prove --json` process and of one `zkinfer.prove` call
in this interpreter (same model, input and key directory, so both reuse the compiled model and
keys), and the proving step itself (`timings_s.prove`) as each reports it. Prints medians.
"""
import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import zkinfer

root = Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("--cli", default=str(root / "target" / "release" / "zkinfer"))
a = ap.parse_args()

model = root / "models" / "zoo" / "mlp.onnx"
input_file = root / "models" / "zoo" / "input.json"
x = np.array(json.loads(input_file.read_text())["input_data"][0], dtype=np.float32)

with tempfile.TemporaryDirectory() as d:
    cli_dir, py_dir = Path(d) / "cli", Path(d) / "py"
    cmd = [a.cli, "prove", "--model", str(model), "--input", str(input_file), "--out", str(cli_dir), "--json"]
    subprocess.run(cmd, check=True, capture_output=True)  # setup once
    zkinfer.prove(model, input=x, out=py_dir)  # setup once
    cli_wall, cli_prove, py_wall, py_prove = [], [], [], []
    for _ in range(a.runs):
        t = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        cli_wall.append(time.perf_counter() - t)
        cli_prove.append(json.loads(out)["timings_s"]["prove"])
        t = time.perf_counter()
        r = zkinfer.prove(model, input=x, out=py_dir)
        py_wall.append(time.perf_counter() - t)
        py_prove.append(r["timings_s"]["prove"])
        assert r["reused_keys"]

med = statistics.median
print(f"runs {a.runs} (medians, seconds)")
print(f"CLI process wall   {med(cli_wall):.3f}   of which prove {med(cli_prove):.3f}")
print(f"Python call wall   {med(py_wall):.3f}   of which prove {med(py_prove):.3f}")
print(f"Python - CLI wall  {med(py_wall) - med(cli_wall):+.3f}")
print(f"outside prove: CLI {med(cli_wall) - med(cli_prove):.3f}, Python {med(py_wall) - med(py_prove):.3f}")
