#!/usr/bin/env python3
"""Measures what `zkinfer estimate` predicts, by running the CLI (one process per step, so that
each peak memory figure is that step's alone). Standard library only.

For every model and backend: `zkinfer compile` (the exact circuit size), then `setup` RUNS
times into a fresh directory (parameters cached: the first setup of a k fills the cache and is
not counted), then `prove` RUNS times with those keys (no keygen). Records the medians of the
`params + keygen` and `prove` steps and of the processes' peak resident memory, and the
1-minute load average before and after each model.

    python3 tools/estimate/measure.py [--runs 3] [--out tools/estimate/measurements.json]
        [--set fit|validate|all] [--bin target/release/zkinfer]

`fit` is the training set of tools/estimate/fit.py (synthetic MLPs 64-H-H-10 and 64-H-10 at
k = 12..14, dot widths 4..64 with one output per row, and four MLPs at the automatic shape,
several outputs per row); `validate` is the zoo and the 64-512-512-10 MLP, the models the
estimate is checked on, held out of the fit (`fit.py --fit-on fit` prints predicted / measured /
error for both sets).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZOO = os.path.join(ROOT, "models", "zoo")

VALIDATE = [
    ("zoo mlp", ["--model", os.path.join(ZOO, "mlp.onnx")], os.path.join(ZOO, "input.json")),
    ("zoo cnn", ["--model", os.path.join(ZOO, "cnn.onnx")], os.path.join(ZOO, "input.json")),
    ("zoo resnet", ["--model", os.path.join(ZOO, "resnet.onnx")], os.path.join(ZOO, "input.json")),
    ("zoo smooth", ["--model", os.path.join(ZOO, "smooth.onnx")], os.path.join(ZOO, "input.json")),
    ("mlp 64-512-512-10", ["--mlp", "64,512,512,10"], None),
]
FIT = [
    (f"mlp {w} width {width}", ["--mlp", w, "--width", str(width)], None)
    for w, width in [
        ("64,64,64,10", 8), ("64,256,256,10", 32), ("64,768,10", 16),
        ("64,512,512,10", 64), ("64,256,256,10", 8), ("64,384,384,10", 16),
        # Small circuits at the zoo's width 4 (k = 12: the range table's size).
        ("64,16,10", 4), ("64,48,10", 4), ("64,96,10", 4),
    ]
] + [
    # The automatic shape, which gives several outputs per dot row (many fixed columns per
    # advice column) to the wider MLPs: the fixed-column cost is then not collinear with the
    # advice-column cost.
    (f"mlp {w} auto", ["--mlp", w], None)
    for w in ["64,256,256,10", "64,384,384,10", "64,768,10", "64,128,128,128,10"]
]


def run(binary, args):
    out = subprocess.run([binary, *args, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def load():
    return os.getloadavg()[0]


def input_file(tmp, n):
    """A deterministic input of n values in [0, 1) (inside the default range [-1, 1])."""
    path = os.path.join(tmp, "input.json")
    with open(path, "w") as f:
        json.dump({"input_data": [[((i * 37) % 100) / 100.0 for i in range(n)]]}, f)
    return path


def measure(binary, name, args, inp, backend, runs):
    with tempfile.TemporaryDirectory(prefix="zkinfer-estimate-") as tmp:
        out = os.path.join(tmp, "m")
        load0 = load()
        c = run(binary, ["compile", *args, "--backend", backend, "--out", out])
        compiled = os.path.join(out, "compiled.json")
        if inp is None:
            n = 1
            for d in json.load(open(compiled))["quant"]["input_shape"]:
                n *= d
            inp = input_file(tmp, n)
        # The first setup fills the parameter cache for this k; not counted.
        run(binary, ["setup", "--compiled", compiled, "--out", out])
        setups = [run(binary, ["setup", "--compiled", compiled, "--out", out]) for _ in range(runs)]
        proves = [run(binary, ["prove", "--compiled", compiled, "--input", inp, "--out", out]) for _ in range(runs)]
        for p in proves:
            assert "keygen" not in p["timings_s"], "prove should reuse the keys"
        med = lambda xs: statistics.median(xs)
        row = {
            "name": name,
            "backend": backend,
            "args": args,
            "circuit": c["circuit"],
            "setup_s": med([s["timings_s"].get("params", 0) + s["timings_s"]["keygen"] for s in setups]),
            "prove_s": med([p["timings_s"]["prove"] for p in proves]),
            "setup_peak_bytes": med([s["peak_memory_bytes"] for s in setups]),
            "prove_peak_bytes": med([p["peak_memory_bytes"] for p in proves]),
            "setup_runs": [s["timings_s"].get("params", 0) + s["timings_s"]["keygen"] for s in setups],
            "prove_runs": [p["timings_s"]["prove"] for p in proves],
            "load": [load0, load()],
        }
        print(f"{name:<32} {backend} k={row['circuit']['k']} setup {row['setup_s']:.2f}s prove {row['prove_s']:.2f}s "
              f"mem {row['prove_peak_bytes'] / 2**20:.0f} MiB load {row['load'][0]:.1f}-{row['load'][1]:.1f}", flush=True)
        return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--set", choices=["fit", "validate", "all"], default="all")
    ap.add_argument("--backends", default="ipa,kzg")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "zkinfer"))
    ap.add_argument("--only", action="append", help="measure only the model with this name (repeatable; e.g. to repeat one disturbed point)")
    ap.add_argument("--merge", action="store_true", help="replace or add the measured rows in --out instead of rewriting it")
    ap.add_argument("--out", default=os.path.join(ROOT, "tools", "estimate", "measurements.json"))
    a = ap.parse_args()
    models = {"fit": FIT, "validate": VALIDATE, "all": FIT + VALIDATE}[a.set]
    if a.only:
        models = [m for m in models if m[0] in a.only]
    rows = []
    for backend in a.backends.split(","):
        for name, args, inp in models:
            row = measure(a.bin, name, args, inp, backend, a.runs)
            row["set"] = "validate" if (name, args, inp) in VALIDATE else "fit"
            rows.append(row)
    if a.merge and os.path.exists(a.out):
        old = json.load(open(a.out))["rows"]
        new = {(r["name"], r["backend"]) for r in rows}
        rows = [r for r in old if (r["name"], r["backend"]) not in new] + rows
    doc = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, {os.uname().machine}, shared with other builds",
        "runs": a.runs,
        "rows": rows,
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
    print("wrote", os.path.relpath(a.out, ROOT))


if __name__ == "__main__":
    main()
