"""On-chain verification side by side: EZKL 23.0.5's generated Solidity verifier and zkinfer's
keyed verifier (`--target evm`), on the same zoo models, fixed and hashed weights, in the same
in-memory EVM (revm, through `cargo run --example evm_gas` for EZKL and `zkinfer verify-evm` for
zkinfer), compiled by the same solc-js 0.8.19 (`tools/solc`, legacy optimizer on: EZKL's
contract needs it).

EZKL: gen_settings (input and output public, param_visibility fixed or hashed) +
calibrate_settings (target `resources`) on the zoo calibration samples, compile_circuit,
gen_srs (or an SRS file of that k from an earlier run), setup, gen_witness + prove,
create_evm_verifier (its ABI step needs a network download of solc and fails here; the
Solidity file is written before it, and the script compiles that), encode_evm_calldata. Each
contract is called with the honest calldata and with one proof byte flipped.

Run with the EZKL virtualenv's Python (benches/ezkl_compare.sh makes it):
    target/ezkl-venv/bin/python benches/ezkl_evm_gas.py [--out target/ezkl-evm] [--srs-dir DIR]
Writes OUT/results.json and OUT/gas.md.
"""
import argparse
import asyncio
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO = os.path.join(ROOT, "models", "zoo")
# Built by `cargo build --release --example evm_gas` (main() does it).
EVM_GAS = os.path.join(ROOT, "target", "release", "examples", "evm_gas")


def sh(cmd, check_ok=False):
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0 and not check_ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return r


def call(f, *args, **kw):
    """Calls an EZKL function inside a running event loop (some are async in 23.0.5)."""

    async def inner():
        r = f(*args, **kw)
        if asyncio.iscoroutine(r) or isinstance(r, asyncio.Future):
            r = await r
        return r

    return asyncio.run(inner())


def solc(sol, flag):
    out = sh(["tools/solc", flag, "--optimize", sol]).stdout
    label = "Binary:" if flag == "--bin" else "Binary of the runtime part:"
    return out.split(label)[1].split()[0]


def flipped(path, at):
    with open(path, "rb") as f:
        b = bytearray(f.read())
    b[at] ^= 1
    bad = path + ".flipped"
    with open(bad, "wb") as f:
        f.write(bytes(b))
    return bad


def evm_gas(creation_hex, calls, d):
    c = os.path.join(d, "creation.hex")
    with open(c, "w") as f:
        f.write(creation_hex)
    r = sh([EVM_GAS, c] + calls, check_ok=True)
    return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]


def ezkl_side(model, vis, d, srs_dir):
    import ezkl

    os.makedirs(d, exist_ok=True)
    p = lambda n: os.path.join(d, n)
    ra = ezkl.PyRunArgs()
    ra.input_visibility = "public"
    ra.output_visibility = "public"
    ra.param_visibility = vis
    # As benches/ezkl_compare.py does: Conv's default attributes written out (EZKL needs them)
    # and the symbolic batch dimension fixed to 1.
    sys.path.insert(0, os.path.join(ROOT, "benches"))
    from ezkl_compare import explicit_attributes, symbols

    model = explicit_attributes(model, p("model.onnx"))
    variables = symbols(model)
    if variables:
        ra.variables = [(v, 1) for v in variables]
    calib = os.path.join(ZOO, "calibration.json")
    assert ezkl.gen_settings(model, p("settings.json"), py_run_args=ra)
    assert call(ezkl.calibrate_settings, calib, model, p("settings.json"), "resources")
    assert ezkl.compile_circuit(model, p("model.compiled"), p("settings.json"))
    with open(p("settings.json")) as f:
        k = json.load(f)["run_args"]["logrows"]
    srs = os.path.join(srs_dir, f"kzg{k}.srs")
    if not os.path.exists(srs):
        os.makedirs(srs_dir, exist_ok=True)
        ezkl.gen_srs(srs, k)
    assert ezkl.setup(p("model.compiled"), p("vk.key"), p("pk.key"), srs_path=srs)
    call(ezkl.gen_witness, os.path.join(ZOO, "input.json"), p("model.compiled"), p("witness.json"))
    assert ezkl.prove(p("witness.json"), p("model.compiled"), p("pk.key"), p("proof.json"), srs_path=srs)
    sol = p("Verifier.sol")
    try:
        call(ezkl.create_evm_verifier, p("vk.key"), p("settings.json"), sol, p("Verifier.abi"), srs)
    except Exception as e:  # the ABI step downloads solc; the Solidity file is already written
        if not os.path.exists(sol):
            raise
        print(f"  ({model}, {vis}) create_evm_verifier: {str(e)[:120]}", file=sys.stderr)
    calldata = p("calldata.bin")
    ezkl.encode_evm_calldata(p("proof.json"), calldata)
    size = os.path.getsize(calldata)
    runs = evm_gas(solc(sol, "--bin"), [calldata, flipped(calldata, size - 100)], d)
    return {
        "k": k,
        "runtime_bytes": len(solc(sol, "--bin-runtime")) // 2,
        "creation_bytes": runs[0]["creation_bytes"],
        "calldata_bytes": size,
        "gas": runs[0]["gas_used"],
        "accepted": runs[0]["accepted"],
        "flipped_rejected": not runs[1]["accepted"],
    }


def zkinfer_side(model, vis, d, zk):
    common = ["--model", model, "--calibration", os.path.join(ZOO, "calibration.json")]
    sh([zk, "prove", *common, "--input", os.path.join(ZOO, "input.json"), "--backend", "kzg",
        "--target", "evm", "--weights", vis, "--out", d])
    meta = json.loads(sh([zk, "--json", "create-evm-verifier", "--dir", d]).stdout)
    run = json.loads(sh([zk, "--json", "verify-evm", "--proof", os.path.join(d, "proof.json"),
                         "--allow-insecure-srs"]).stdout)
    return {
        "k": meta["key"]["k"],
        "runtime_bytes": meta["runtime_bytes"],
        "creation_bytes": meta["deployment_bytes"],
        "key_runtime_bytes": (meta.get("key_contract") or {}).get("runtime_bytes"),
        "calldata_bytes": run["calldata_bytes"],
        "gas": run["gas_used"],
        "accepted": run["accepted"],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "ezkl-evm"))
    ap.add_argument("--srs-dir", default=os.path.join(ROOT, "target", "ezkl-compare", "srs"))
    ap.add_argument("--zkinfer", default=os.path.join(ROOT, "target", "release", "zkinfer"))
    ap.add_argument("--models", nargs="+", default=["mlp", "cnn"])
    a = ap.parse_args()
    cargo = os.path.join(os.path.expanduser("~"), ".cargo", "bin", "cargo")
    sh([cargo if os.path.exists(cargo) else "cargo", "build", "--release", "--example", "evm_gas", "--bin", "zkinfer"])
    rows = []
    for name in a.models:
        model = os.path.join(ZOO, f"{name}.onnx")
        for vis in ["fixed", "hashed"]:
            d = os.path.join(a.out, f"{name}-{vis}")
            e = ezkl_side(model, vis, os.path.join(d, "ezkl"), a.srs_dir)
            z = zkinfer_side(model, vis, os.path.join(d, "zkinfer"), a.zkinfer)
            rows.append({"model": name, "weights": vis, "ezkl": e, "zkinfer": z})
            print(json.dumps(rows[-1]), flush=True)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
    lines = [
        "| model | weights | system | k | verifier runtime / creation | key contract | calldata | verify gas |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        e, z = r["ezkl"], r["zkinfer"]
        lines.append(f"| {r['model']} | {r['weights']} | EZKL | {e['k']} | {e['runtime_bytes']:,} / {e['creation_bytes']:,} B | (in the contract) | {e['calldata_bytes']:,} B | {e['gas']:,} |")
        ratio = e["gas"] / z["gas"] if z["gas"] else 0
        lines.append(f"| {r['model']} | {r['weights']} | zkinfer `--target evm` | {z['k']} | {z['runtime_bytes']:,} / {z['creation_bytes']:,} B | {z['key_runtime_bytes'] or 0:,} B | {z['calldata_bytes']:,} B | {z['gas']:,} ({z['gas'] / e['gas']:.2f} of EZKL's; EZKL {ratio:.2f}x) |")
    with open(os.path.join(a.out, "gas.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    bad = [r for r in rows if not (r["ezkl"]["accepted"] and r["ezkl"]["flipped_rejected"] and r["zkinfer"]["accepted"])]
    if bad:
        raise SystemExit(f"not accepted / flipped byte accepted: {bad}")


if __name__ == "__main__":
    main()
