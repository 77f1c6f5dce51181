#!/usr/bin/env python3
"""zkinfer and EZKL side by side on the same ONNX files, on the same machine, in one run.

For every model: EZKL's full pipeline (gen_settings + calibrate_settings, compile_circuit,
gen_srs generated locally, setup, gen_witness + prove, verify) and zkinfer's (setup, prove,
verify through the release binary, once per backend: IPA and KZG), each step in its own process
so that its peak memory (ru_maxrss from wait4) is its own. Runs are interleaved (EZKL, zkinfer
IPA, zkinfer KZG, EZKL, ...) so that a load change on the machine hits all of them; medians are
reported, and ratios are taken within this one run. Accuracy: the argmax of each system's
quantized output against the labels (zoo models, all test digits) or against the float model
(generated MLPs, random inputs). Also: the marginal rows of one ReLU element and of one MAC in
each system, from one-op models of two sizes.

Zoo models are passed through `explicit_attributes` first (Conv's default strides, pads and
dilations written out, since EZKL 23 refuses a Conv without `strides`); both systems read that
same copy.

Both prove the same statement: input and output public, weights fixed in the circuit
(EZKL: input_visibility = output_visibility = "public", param_visibility = "fixed").

Usage (benches/ezkl_compare.sh installs EZKL in a virtualenv and builds zkinfer first):
  python benches/ezkl_compare.py --zkinfer target/release/zkinfer --out target/ezkl-compare
Needs ezkl, numpy, onnx. No network: EZKL's SRS comes from ezkl.gen_srs.
"""
import argparse
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# ---------------------------------------------------------------- child: one EZKL step
def argmaxes(ys, classes):
    """The argmax of each run of `classes` values (one per position; all of `ys` when None)."""
    c = classes or len(ys)
    return [max(range(i, i + c), key=lambda j: ys[j]) - i for i in range(0, len(ys), c)]


def hits(preds, truth):
    """Positions where two lists of per-sample argmax lists agree."""
    return sum(a == b for p, t in zip(preds, truth) for a, b in zip(p, t))


def ezkl_step(name, a):
    """Runs in a child process: one EZKL call, timed inside the process (import excluded)."""
    import ezkl

    t = time.perf_counter()
    out = {}
    if name == "calibrate":
        ra = ezkl.PyRunArgs()
        ra.input_visibility = "public"
        ra.output_visibility = "public"
        ra.param_visibility = "fixed"
        if a["variables"]:
            ra.variables = [(v, 1) for v in a["variables"]]
        assert ezkl.gen_settings(a["model"], a["settings"], py_run_args=ra)
        extra = {"max_logrows": a["max_logrows"]} if a.get("max_logrows") else {}
        assert ezkl.calibrate_settings(a["data"], a["model"], a["settings"], "resources", **extra)
    elif name == "compile":
        assert ezkl.compile_circuit(a["model"], a["compiled"], a["settings"])
    elif name == "srs":
        ezkl.gen_srs(a["srs"], a["logrows"])
    elif name == "setup":
        assert ezkl.setup(a["compiled"], a["vk"], a["pk"], srs_path=a["srs"])
    elif name == "prove":
        ezkl.gen_witness(a["input"], a["compiled"], a["witness"])
        out["witness_s"] = time.perf_counter() - t
        assert ezkl.prove(a["witness"], a["compiled"], a["pk"], a["proof"], srs_path=a["srs"])
    elif name == "verify":
        assert ezkl.verify(a["proof"], a["settings"], a["vk"], srs_path=a["srs"])
    elif name == "accuracy":
        preds = []
        with open(a["samples_file"]) as f:
            samples = json.load(f)["input_data"]
        for i, x in enumerate(samples):
            p = os.path.join(a["dir"], "acc_input.json")
            with open(p, "w") as f:
                json.dump({"input_data": [x]}, f)
            try:
                wp = os.path.join(a["dir"], "acc_witness.json")
                ezkl.gen_witness(p, a["compiled"], wp)
                with open(wp) as f:  # the returned dict lacks the rescaled outputs; the file has them
                    ys = [float(v) for v in json.load(f)["pretty_elements"]["rescaled_outputs"][0]]
                preds.append(argmaxes(ys, a.get("classes")))
            except Exception as e:  # an out-of-range sample counts as a miss
                print(f"sample {i}: {e}", file=sys.stderr)
                preds.append([-1] * a.get("positions", 1))
        out["preds"] = preds
    else:
        raise SystemExit(f"unknown step {name}")
    out["secs"] = time.perf_counter() - t
    print(json.dumps(out))


# ---------------------------------------------------------------- parent
def run(cmd, timeout):
    """Run a command; returns (stdout, wall seconds, stderr). Raises on failure."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise RuntimeError(f"timed out after {timeout} s: {' '.join(cmd[:4])}")
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])} failed ({p.returncode}): {err.strip()[-2000:]}")
    return out, wall, err


def measured(cmd, timeout):
    """Run `cmd` under a tiny fork/wait4 wrapper that reports the child's peak RSS and its own
    wall time (from fork to exit, without the wrapper's start-up)."""
    wrapper = [
        sys.executable,
        "-c",
        "import os,sys,time;t=time.perf_counter();pid=os.fork()\n"
        "if pid==0:\n os.execvp(sys.argv[1],sys.argv[1:])\n"
        "_,st,ru=os.wait4(pid,0);w=time.perf_counter()-t\n"
        "sys.stderr.write('\\nPEAK_KB=%d WALL_S=%.6f\\n'%(ru.ru_maxrss,w));"
        "sys.exit(os.waitstatus_to_exitcode(st))",
    ] + cmd
    out, wall, err = run(wrapper, timeout)
    peak = None
    for line in err.splitlines():
        if line.startswith("PEAK_KB="):
            kb, w = line.split()
            peak, wall = int(kb.split("=")[1]) * 1024, float(w.split("=")[1])
    return out, wall, peak


def ezkl(args, name, a, timeout):
    cmd = [args.python, os.path.abspath(__file__), "--ezkl-step", name, json.dumps(a)]
    out, wall, peak = measured(cmd, timeout)
    res = json.loads(out.strip().splitlines()[-1])
    res["wall_s"], res["peak_bytes"] = wall, peak
    return res


def zk(args, sub, timeout):
    out, wall, peak = measured([args.zkinfer, "--json"] + sub, timeout)
    res = json.loads(out)
    res["wall_s"], res["peak_bytes"] = wall, peak
    return res


def symbols(model):
    import onnx

    m = onnx.load(model)
    return sorted({d.dim_param for i in m.graph.input for d in i.type.tensor_type.shape.dim if d.dim_param})


def write_mlp(widths, seed, d):
    """An MLP with random weights as ONNX, plus calibration, input and an unlabelled test set."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, inits, x = [], [], "input"
    for l, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        lim = np.sqrt(6.0 / a)
        inits += [
            numpy_helper.from_array(rng.uniform(-lim, lim, (a, b)).astype(np.float32), f"W{l}"),
            numpy_helper.from_array(rng.uniform(-0.1, 0.1, (b,)).astype(np.float32), f"b{l}"),
        ]
        y = "output" if l == len(widths) - 2 else f"h{l}"
        nodes.append(helper.make_node("Gemm", [x, f"W{l}", f"b{l}"], [y], name=f"fc{l + 1}"))
        if y != "output":
            nodes.append(helper.make_node("Relu", [y], [f"a{l}"], name=f"relu{l + 1}"))
            y = f"a{l}"
        x = y
    g = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, widths[0]])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, widths[-1]])],
        inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    onnx.save(m, path)
    data = lambda n: [[round(float(v), 6) for v in row] for row in rng.uniform(0, 1, (n, widths[0]))]
    for name, n in [("calibration.json", 32), ("input.json", 1), ("test.json", 100)]:
        with open(os.path.join(d, name), "w") as f:
            json.dump({"input_data": data(n)}, f)
    return path


def write_op(kind, n, d):
    """A one-op model: `relu` over n inputs, or `gemm` n x n (n^2 MACs), with its data."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(n)
    if kind == "relu":
        nodes, inits, m_out = [helper.make_node("Relu", ["input"], ["output"])], [], n
    else:
        w = (rng.uniform(-1, 1, (n, n)) / np.sqrt(n)).astype(np.float32)
        nodes = [helper.make_node("Gemm", ["input", "W", "b"], ["output"])]
        inits, m_out = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(np.zeros(n, np.float32), "b")], n
    g = helper.make_graph(
        nodes, kind,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, n])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, m_out])],
        inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"{kind}-{n}.onnx")
    onnx.save(m, path)
    cal = os.path.join(d, f"{kind}-{n}.json")
    with open(cal, "w") as f:
        json.dump({"input_data": [[round(float(v), 6) for v in rng.uniform(-1, 1, n * 4)]]}, f)
    return path, cal


def op_rows(args):
    """Marginal circuit rows of one ReLU element and of one MAC, in EZKL and zkinfer: the row
    difference between two sizes of a one-op model, over the difference in elements / MACs."""
    d = os.path.join(args.out, "ops")
    out = {}
    for kind, (a, b) in [("relu", (1024, 4096)), ("gemm", (32, 64))]:
        rows = {}
        for n in (a, b):
            path, cal = write_op(kind, n, d)
            A = dict(model=path, settings=os.path.join(d, f"{kind}-{n}.settings.json"), data=cal, variables=[])
            ezkl(args, "calibrate", A, args.timeout)
            with open(A["settings"]) as f:
                e = json.load(f)["num_rows"]
            zc = os.path.join(d, f"{kind}-{n}.zk.json")
            with open(cal) as f:
                flat = json.load(f)["input_data"][0]
            with open(zc, "w") as f:
                json.dump({"input_data": [flat[i * n:(i + 1) * n] for i in range(4)]}, f)
            z = zk(args, ["inspect", "--model", path, "--calibration", zc], args.timeout)["circuit"]
            rows[n] = {"ezkl": e, "zkinfer": z["rows"], "zkinfer_width": z["params"]["width"]}
        units = (b - a) if kind == "relu" else (b * b - a * a)
        out[kind] = {
            "sizes": [a, b],
            "rows": rows,
            "ezkl_rows_per_unit": (rows[b]["ezkl"] - rows[a]["ezkl"]) / units,
            "zkinfer_rows_per_unit": (rows[b]["zkinfer"] - rows[a]["zkinfer"]) / units,
        }
    for sys_ in ["ezkl", "zkinfer"]:
        out[f"{sys_}_relu_in_macs"] = out["relu"][f"{sys_}_rows_per_unit"] / out["gemm"][f"{sys_}_rows_per_unit"]
    return out


def finite_masks(src, dst, fill=-30.0):
    """A copy of `src` with every -inf constant (a causal mask's fill) replaced by `fill`, for
    EZKL only: EZKL 23 refuses the TorchScript GPT-2 export ("significant bit truncation when
    instantiating" at every scale) for its `where(mask, s, -inf)`, and zkinfer reads the -inf
    form. After the softmax both compute the same function to f32 precision (exp(-30) is about
    1e-13 of the row's largest term; with -1e4 EZKL's calibration needed k = 26, with -30 and
    `max_logrows=21` it takes k = 19, see the GPT's job in `main`). Also
    drops Hugging Face's NaN guard `where(isnan(p), 0, p)` after a softmax (EZKL has no IsNaN;
    `p` is never NaN here, and zkinfer's import passes `p` through the same way)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    m = onnx.load(src)
    for n in m.graph.node:
        for at in n.attribute if n.op_type == "Constant" else []:
            if at.t and at.t.data_type:
                a = numpy_helper.to_array(at.t)
                if a.dtype.kind == "f" and np.isneginf(a).any():
                    at.t.CopyFrom(numpy_helper.from_array(np.where(np.isneginf(a), fill, a).astype(a.dtype), at.t.name))
    nan = {n.output[0]: n for n in m.graph.node if n.op_type == "IsNaN"}
    drop, rename = [], {}
    for n in m.graph.node:
        if n.op_type == "Where" and n.input[0] in nan and n.input[2] == nan[n.input[0]].input[0]:
            drop += [n, nan[n.input[0]]]
            rename[n.output[0]] = n.input[2]
    for n in drop:
        m.graph.node.remove(n)
    for n in m.graph.node:
        for i, x in enumerate(n.input):
            n.input[i] = rename.get(x, x)
    for o in m.graph.output:
        o.name = rename.get(o.name, o.name)
    onnx.save(m, dst)
    return dst


def explicit_attributes(src, dst):
    """A copy of `src` with ONNX's default Conv / pooling attributes written out (EZKL 23
    refuses a Conv without `strides`); the model computes the same function."""
    import onnx
    from onnx import helper

    m = onnx.load(src)
    for node in m.graph.node:
        if node.op_type not in ("Conv", "MaxPool", "AveragePool"):
            continue
        have = {a.name for a in node.attribute}
        kernel = next((list(a.ints) for a in node.attribute if a.name == "kernel_shape"), None)
        if kernel is None and node.op_type == "Conv":
            w = next(i for i in m.graph.initializer if i.name == node.input[1])
            kernel = list(w.dims[2:])
        nd = len(kernel or [1, 1])
        defaults = {"strides": [1] * nd, "pads": [0] * (2 * nd)}
        if node.op_type == "Conv":
            defaults.update({"dilations": [1] * nd, "kernel_shape": kernel})
        for name, v in defaults.items():
            if name not in have and v is not None and not (name == "pads" and "auto_pad" in have):
                node.attribute.append(helper.make_attribute(name, v))
    onnx.save(m, dst)
    return dst


def float_argmax(model, samples, classes=None):
    """Per sample, the float model's argmax of each position (see `argmaxes`)."""
    import numpy as np
    import onnx
    from onnx.reference import ReferenceEvaluator

    m = onnx.load(model)
    t = m.graph.input[0].type.tensor_type
    shape = [d.dim_value or 1 for d in t.shape.dim]
    dtype = np.int64 if t.elem_type == onnx.TensorProto.INT64 else np.float32
    sess = ReferenceEvaluator(m)
    name = m.graph.input[0].name
    out = lambda x: sess.run(None, {name: np.asarray(x).astype(dtype).reshape(shape)})[0].reshape(-1).tolist()
    return [argmaxes(out(x), classes) for x in samples]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def bench_model(args, name, model, calib, inp, test, srs_dir, zk_flags=(), classes=None, samples_max=None, ezkl_model=None, max_logrows=None):
    d = os.path.join(args.out, name)
    e = os.path.join(d, "ezkl")
    zdir = {b: os.path.join(d, f"zkinfer-{b}") for b in args.backends}
    for x in [e, *zdir.values()]:
        os.makedirs(x, exist_ok=True)
    with open(calib) as f:
        cal = json.load(f)["input_data"]
    cal_flat = os.path.join(e, "calibration.json")
    with open(cal_flat, "w") as f:  # EZKL splits one long list into batches of the input size
        json.dump({"input_data": [sum(cal, [])]}, f)
    with open(test) as f:
        t = json.load(f)
    samples, labels = t["input_data"][: samples_max or args.accuracy_samples], t.get("labels")
    T = args.timeout
    A = dict(
        model=ezkl_model or model, settings=os.path.join(e, "settings.json"), compiled=os.path.join(e, "model.compiled"),
        vk=os.path.join(e, "vk.key"), pk=os.path.join(e, "pk.key"), witness=os.path.join(e, "witness.json"),
        proof=os.path.join(e, "proof.json"), input=inp, data=cal_flat, variables=symbols(model), dir=e,
        max_logrows=max_logrows,
    )
    E = {}
    Z = {b: {} for b in args.backends}
    r = {"model": name, "onnx": os.path.relpath(model, ROOT), "ezkl": E, "zkinfer": Z}
    if ezkl_model:
        r["ezkl_onnx"] = os.path.relpath(ezkl_model, ROOT)
    log = lambda *m: print(f"[{time.strftime('%H:%M:%S')}] {name}:", *m, flush=True)
    log("ezkl calibrate")
    E["calibrate"] = ezkl(args, "calibrate", A, T)
    with open(A["settings"]) as f:
        s = json.load(f)
    k = s["run_args"]["logrows"]
    E["k"], E["rows"] = k, s.get("num_rows")
    E["scales"] = [s["run_args"]["input_scale"], s["run_args"]["param_scale"]]
    E["compile"] = ezkl(args, "compile", A, T)
    A["srs"], A["logrows"] = os.path.join(srs_dir, f"kzg{k}.srs"), k
    if not os.path.exists(A["srs"]):
        log(f"ezkl gen_srs k={k}")
        E["srs"] = ezkl(args, "srs", A, T)
    zk_model = ["--model", model, "--calibration", calib, *zk_flags]
    for b, z in zdir.items():
        log(f"zkinfer {b} warm-up setup (generates and caches the parameters for k the first time)")
        Z[b]["warmup"] = zk(args, ["setup"] + zk_model + ["--backend", b, "--out", z], T)
    for step in ["setup", "prove", "verify"]:
        E[step] = []
        for b in zdir:
            Z[b][step] = []
        for i in range(args.runs):
            log(f"{step} run {i + 1}/{args.runs}")
            E[step].append(ezkl(args, step, A, T))
            for b, z in zdir.items():
                if step == "setup":
                    sub = ["setup"] + zk_model + ["--backend", b, "--out", z]
                elif step == "prove":
                    sub = ["prove"] + zk_model + ["--backend", b, "--input", inp, "--out", z]
                else:
                    sub = ["verify", "--proof", os.path.join(z, "proof.json")]
                    if b == "kzg":
                        # zkinfer's test SRS, like EZKL's ezkl.gen_srs here: both insecure.
                        sub.append("--allow-insecure-srs")
                Z[b][step].append(zk(args, sub, T))
    with open(A["proof"]) as f:
        p = json.load(f)
    E["proof_bytes"] = len(p["hex_proof"]) // 2 - 1 if p.get("hex_proof") else len(p["proof"])
    for b in zdir:
        last = Z[b]["prove"][-1]
        Z[b]["proof_bytes"], Z[b]["k"], Z[b]["rows"], Z[b]["width"] = last["proof_bytes"], last["k"], last["rows"], last.get("width")
    # Accuracy: argmax of the quantized output against the labels (or the float argmax).
    log(f"accuracy on {len(samples)} samples")
    floats = float_argmax(model, samples, classes)
    positions = len(floats[0]) if floats else 1
    truth = [l if isinstance(l, list) else [l] for l in labels[: len(samples)]] if labels else floats
    acc_file = os.path.join(d, "accuracy.json")
    with open(acc_file, "w") as f:
        json.dump({"input_data": samples, **({"labels": truth} if labels else {})}, f)
    ez = ezkl(args, "accuracy", dict(A, samples_file=acc_file, classes=classes, positions=positions), T)["preds"]
    za = zk(args, ["accuracy"] + zk_model + ["--data", acc_file], T)["accuracy"]
    n = len(samples) * positions
    r["accuracy"] = {
        "samples": len(samples),
        "positions": positions,
        "against": "labels" if labels else "float argmax",
        "float": hits(floats, truth) / n,
        "ezkl": hits(ez, truth) / n,
        "ezkl_agree_float": hits(ez, floats) / n,
        "zkinfer": za["quant_accuracy"] if labels else za["argmax_agreement"],
        "zkinfer_agree_float": za["argmax_agreement"],
    }
    return r


STEPS = ["setup", "prove", "verify"]
# Zoo files the default model list leaves out (`--transformers` runs them with their own data).
TRANSFORMERS = {"vit", "gpt"}


def summary(r):
    """One row per system: EZKL, then zkinfer per backend with its ratios to EZKL."""
    E = r["ezkl"]
    acc = r["accuracy"]
    peak = lambda S: max(x["peak_bytes"] or 0 for s in STEPS for x in S[s]) / 2**20
    e = {s: med([x["secs"] for x in E[s]]) for s in STEPS}
    rows = [{
        "model": r["model"], "system": "EZKL", "k": E["k"], "rows": E["rows"], **{f"{s}_s": e[s] for s in STEPS},
        "proof_bytes": E["proof_bytes"], "peak_mib": peak(E), "accuracy": acc["ezkl"], "agree_float": acc["ezkl_agree_float"],
        "calibrate_s": E["calibrate"]["secs"], "compile_s": E["compile"]["secs"], "witness_s": med([x.get("witness_s") for x in E["prove"]]),
        "accuracy_samples": acc["samples"], "accuracy_against": acc["against"], "float_accuracy": acc["float"],
    }]
    for b, Z in r["zkinfer"].items():
        z = {s: med([x["wall_s"] for x in Z[s]]) for s in STEPS}
        row = {
            "model": r["model"], "system": f"zkinfer {b.upper()}", "k": Z["k"], "rows": Z["rows"], "width": Z.get("width"),
            **{f"{s}_s": z[s] for s in STEPS}, "proof_bytes": Z["proof_bytes"], "peak_mib": peak(Z),
            "accuracy": acc["zkinfer"], "agree_float": acc["zkinfer_agree_float"],
            "prove_step_s": med([x["timings_s"].get("prove") for x in Z["prove"]]),
            "keygen_step_s": med([x["timings_s"].get("keygen") for x in Z["setup"]]),
            "accuracy_samples": acc["samples"], "accuracy_against": acc["against"], "float_accuracy": acc["float"],
        }
        for s in STEPS:
            row[f"{s}_speedup"] = e[s] / z[s]
        row["memory_ratio"] = row["peak_mib"] / max(rows[0]["peak_mib"], 1e-9)
        rows.append(row)
    return rows


def markdown(rows, meta):
    f = lambda x: f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"
    x = lambda r, k: f" ({r[k]:.1f}x)" if k in r else ""
    out = [
        f"Machine: {meta['machine']}; load average at start {meta['load_start']}, at end {meta.get('load_end', '?')}.",
        f"EZKL {meta['ezkl']} (KZG, SRS from ezkl.gen_srs, calibrate target 'resources'), zkinfer {meta['zkinfer_rev']}. "
        f"Medians of {meta['runs']} interleaved runs; each step a separate process; (Nx) = EZKL time / zkinfer time, "
        "memory ratio = zkinfer peak / EZKL peak.",
        "",
        "| model | system | k | rows | setup s | prove s | verify s | proof bytes | peak MiB | argmax accuracy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        mem = f" ({r['memory_ratio']:.2f})" if "memory_ratio" in r else ""
        out.append(
            f"| {r['model']} | {r['system']} | {r['k']} | {r['rows']} "
            f"| {f(r['setup_s'])}{x(r, 'setup_speedup')} | {f(r['prove_s'])}{x(r, 'prove_speedup')} "
            f"| {f(r['verify_s'])}{x(r, 'verify_speedup')} | {r['proof_bytes']:,} | {r['peak_mib']:.0f}{mem} "
            f"| {100 * r['accuracy']:.1f}% (float {100 * r['float_accuracy']:.1f}%, {r['accuracy_samples']} vs {r['accuracy_against']}) |"
        )
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ezkl-step", help=argparse.SUPPRESS)
    ap.add_argument("step_args", nargs="?", help=argparse.SUPPRESS)
    ap.add_argument("--zkinfer", default=os.path.join(ROOT, "target/release/zkinfer"))
    ap.add_argument("--out", default=os.path.join(ROOT, "target/ezkl-compare"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--models", nargs="*", help="ONNX files (default: every models/zoo/*.onnx but the transformers)")
    ap.add_argument("--transformers", action="store_true", help="also the zoo ViT (digits) and GPT-2 (next tokens, --bits 11)")
    ap.add_argument("--transformer-samples", type=int, default=50, help="accuracy samples of the transformers")
    ap.add_argument("--transformer-models", default="vit,gpt", help="which of them, comma-separated")
    ap.add_argument("--mlp", default="64-512-512-10", help="generated MLPs, comma-separated ('' for none)")
    ap.add_argument("--backends", default="ipa,kzg", help="zkinfer backends to run, comma-separated")
    ap.add_argument("--accuracy-samples", type=int, default=450)
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per step")
    ap.add_argument("--no-op-rows", dest="op_rows", action="store_false", help="skip the ReLU-vs-MAC row count")
    args = ap.parse_args()
    if args.ezkl_step:
        return ezkl_step(args.ezkl_step, json.loads(args.step_args))
    args.python = sys.executable
    args.backends = [b for b in args.backends.split(",") if b]
    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)
    srs_dir = os.path.join(args.out, "srs")
    os.makedirs(srs_dir, exist_ok=True)
    zoo = os.path.join(ROOT, "models", "zoo")
    jobs = []
    default = [m for m in sorted(glob.glob(os.path.join(zoo, "*.onnx"))) if os.path.basename(m).split("_")[0].split(".")[0] not in TRANSFORMERS]
    for m in args.models if args.models is not None else default:
        name = os.path.splitext(os.path.basename(m))[0]
        os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
        m = explicit_attributes(m, os.path.join(args.out, "onnx", os.path.basename(m)))
        jobs.append((name, m, os.path.join(zoo, "calibration.json"), os.path.join(zoo, "input.json"), os.path.join(zoo, "digits_test.json")))
    if args.transformers:
        z = lambda f: os.path.join(zoo, f)
        n = args.transformer_samples
        # The GPT: EZKL's calibration limited to k <= 21 (without it, it picks k = 26, whose
        # SRS and keys do not fit in 24 GiB).
        for m, cal, inp, test, flags, classes, max_logrows in [
            ("vit.onnx", "calibration.json", "input.json", "digits_test.json", [], None, None),
            ("gpt.onnx", "gpt_calibration.json", "gpt_input.json", "gpt_data.json", ["--bits", "11"], 16, 21),
        ]:
            if m.split(".")[0] not in args.transformer_models.split(","):
                continue
            os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
            path = explicit_attributes(z(m), os.path.join(args.out, "onnx", m))
            ez = finite_masks(path, os.path.join(args.out, "onnx", "ezkl_" + m)) if m.startswith("gpt") else None
            jobs.append((m.split(".")[0], path, z(cal), z(inp), z(test), flags, classes, n, ez, max_logrows))
    for spec in filter(None, args.mlp.split(",")):
        widths = [int(w) for w in spec.split("-")]
        d = os.path.join(args.out, "gen", f"mlp-{spec}")
        path = write_mlp(widths, 1, d)
        jobs.append((f"mlp-{spec}", path, os.path.join(d, "calibration.json"), os.path.join(d, "input.json"), os.path.join(d, "test.json")))
    import ezkl

    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    meta = {
        "machine": f"{cpu}, {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, {platform.system()} {platform.release()}",
        "ezkl": getattr(ezkl, "__version__", "?"),
        "zkinfer_rev": rev,
        "runs": args.runs,
        "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    results, rows = [], []
    ops = None
    if args.op_rows:
        print("rows of one ReLU element and one MAC, EZKL and zkinfer", flush=True)
        try:
            ops = op_rows(args)
            print(json.dumps(ops), flush=True)
        except Exception as e:
            print(f"op rows: FAILED: {e}", flush=True)
    for job in jobs:
        try:
            r = bench_model(args, *job[:5], srs_dir, *job[5:])
        except Exception as e:  # report and go on with the next model
            print(f"{job[0]}: FAILED: {e}", flush=True)
            results.append({"model": job[0], "error": str(e)})
            continue
        results.append(r)
        rows.extend(summary(r))
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump({"meta": meta, "results": results, "summary": rows, "op_rows": ops}, f, indent=1)
        print(markdown(rows, meta), flush=True)
    meta["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": results, "summary": rows, "op_rows": ops}, f, indent=1)
    md = markdown(rows, meta)
    if ops:
        md += (
            f"\nOne ReLU element costs {ops['ezkl_relu_in_macs']:.1f} MACs of rows in EZKL and "
            f"{ops['zkinfer_relu_in_macs']:.1f} in zkinfer (a standalone ReLU layer; marginal rows: "
            f"EZKL {ops['relu']['ezkl_rows_per_unit']:.3f} per ReLU element, {ops['gemm']['ezkl_rows_per_unit']:.4f} per MAC; "
            f"zkinfer {ops['relu']['zkinfer_rows_per_unit']:.3f} per ReLU element, {ops['gemm']['zkinfer_rows_per_unit']:.4f} per MAC).\n"
        )
    with open(os.path.join(args.out, "comparison.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
