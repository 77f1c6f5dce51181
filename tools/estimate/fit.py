#!/usr/bin/env python3
"""Fits the constants of `zkinfer estimate` (src/estimate/cost_model.json) to the measurements
of tools/estimate/measure.py, and prints predicted / measured / error for every model.

For each backend and quantity y (setup_s, prove_s, setup_peak_bytes, prove_peak_bytes):

    y = c0 + n * (c1 + c2 * advice + c3 * fixed + c4 * lookups),   n = 2^k / 4096

(the features of src/estimate/mod.rs), with c >= 0, minimising the squared *relative* error
(each measurement weighted by 1/y), so that small and large circuits count alike.

    python3 tools/estimate/fit.py [--measurements tools/estimate/measurements.json]
        [--out src/estimate/cost_model.json] [--fit-on fit|all]

`--fit-on fit` (the default) fits on the `fit` set only, so the `validate` rows (the zoo and
64-512-512-10) are held out: their errors are those of models the fit has not seen.

Needs numpy (non-negative least squares: Lawson-Hanson, implemented here).
"""
import argparse
import json
import os
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FEATURES = ["1", "n", "n*advice", "n*fixed", "n*lookups"]
QUANTITIES = ["setup_s", "prove_s", "setup_peak_bytes", "prove_peak_bytes"]


def features(c):
    n = 2 ** c["k"] / 4096.0
    return [1.0, n, n * c["advice_columns"], n * c["fixed_columns"], n * c["lookups"]]


def nnls(A, b, iters=200):
    """Lawson-Hanson: min |Ax - b| subject to x >= 0."""
    m, n = A.shape
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    w = A.T @ (b - A @ x)
    for _ in range(iters):
        if passive.all() or w[~passive].max() <= 1e-12:
            break
        j = np.argmax(np.where(passive, -np.inf, w))
        passive[j] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(A[:, passive], b, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            neg = passive & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            passive &= x > 1e-15
        w = A.T @ (b - A @ x)
    return x


def fit(rows, q):
    A = np.array([features(r["circuit"]) for r in rows])
    y = np.array([float(r[q]) for r in rows])
    wts = 1.0 / y
    # Scale columns for conditioning, fit, scale back.
    scale = np.abs(A).max(axis=0)
    c = nnls(A * wts[:, None] / scale, y * wts) / scale
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--measurements", default=os.path.join(ROOT, "tools", "estimate", "measurements.json"))
    ap.add_argument("--out", default=os.path.join(ROOT, "src", "estimate", "cost_model.json"))
    ap.add_argument("--fit-on", choices=["all", "fit"], default="fit")
    a = ap.parse_args()
    doc = json.load(open(a.measurements))
    rows = doc["rows"]
    backends = []
    table = []
    for backend in sorted({r["backend"] for r in rows}):
        mine = [r for r in rows if r["backend"] == backend]
        train = mine if a.fit_on == "all" else [r for r in mine if r["set"] == "fit"]
        coeffs = {q: fit(train, q) for q in QUANTITIES}
        backends.append({"backend": backend, **{q: [float(f"{v:.6g}") for v in coeffs[q]] for q in QUANTITIES}})
        for r in mine:
            f = np.array(features(r["circuit"]))
            table.append((r, {q: max(float(coeffs[q] @ f), 0.0) for q in QUANTITIES}))
    loads = [l for r in rows for l in r["load"]]
    model = {
        "features": FEATURES,
        "fit": {
            "fitted_at": doc["measured_at"],
            "machine": doc["machine"],
            "load": [round(min(loads), 1), round(max(loads), 1)],
            "points": len(rows),
            "fit_on": a.fit_on,
            "validation_held_out": a.fit_on == "fit",
            "script": "tools/estimate/fit.py (measurements: tools/estimate/measurements.json, tools/estimate/measure.py)",
        },
        "backends": backends,
    }
    with open(a.out, "w") as f:
        json.dump(model, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(a.out, ROOT)} from {len(rows)} measurements (fit on {a.fit_on}), "
          f"load {min(loads):.1f}-{max(loads):.1f}, fitted {time.strftime('%Y-%m-%d')}")
    print()
    print("| model | set | backend | k | prove predicted / measured / error | peak memory (prove) predicted / measured / error | setup predicted / measured / error |")
    print("|---|---|---|---|---|---|---|")
    worst = {}
    for r, p in table:
        cells = []
        for q, unit in [("prove_s", "s"), ("prove_peak_bytes", "MiB"), ("setup_s", "s")]:
            m = float(r[q])
            e = (p[q] - m) / m
            if r["set"] == "validate":
                worst[q] = max(worst.get(q, 0.0), abs(e))
            scale = 2 ** 20 if unit == "MiB" else 1.0
            cells.append(f"{p[q] / scale:.2f} / {m / scale:.2f} {unit} / {100 * e:+.0f}%")
        print(f"| {r['name']} | {r['set']} | {r['backend']} | {r['circuit']['k']} | " + " | ".join(cells) + " |")
    print()
    print("largest |error| on the validation models: " + ", ".join(f"{q} {100 * v:.0f}%" for q, v in worst.items()))


if __name__ == "__main__":
    main()
