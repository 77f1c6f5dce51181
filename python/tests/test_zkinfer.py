"""The Python bindings end to end: the zoo MLP proved and verified from Python, a tampered proof
rejected, bad inputs raising zkinfer.Error subclasses (never crashing the interpreter).

Parameters are cached in $ZKINFER_CACHE (.ci/run sets it); the zoo MLP is k = 12.
"""
import json
import math
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import zkinfer

ZOO = Path(__file__).resolve().parents[2] / "models" / "zoo"
MLP = ZOO / "mlp.onnx"


def digits():
    d = json.loads((ZOO / "digits_test.json").read_text())
    return np.array(d["input_data"], dtype=np.float32), d["labels"]


@pytest.fixture(scope="module")
def proved(tmp_path_factory):
    """One proof of the first test digit, given as a numpy array."""
    out = tmp_path_factory.mktemp("mlp")
    x, labels = digits()
    report = zkinfer.prove(MLP, input=x[0], out=out)
    return out, report, labels[0]


def test_prove_and_verify_a_digit(proved):
    out, r, label = proved
    assert (out / "proof.json").is_file() and (out / "vk.bin").is_file()
    assert r["k"] == 11 and r["proof_bytes"] > 0
    assert len(r["output"]) == 10 and len(r["output_dequantized"]) == 10
    assert r["output_dequantized"][0] == r["output"][0] / 2 ** r["output_scale"]
    assert int(np.argmax(r["output"])) == label
    v = zkinfer.verify(out / "proof.json", model_hash=r["identity"])
    assert v["verified"] is True and v["identity_checked"] is True and v["trusted"] == "identity"
    assert v["identity"] == r["identity"]
    assert v["output"] == r["output"]


def test_fields_match_the_cli_json(proved):
    _, r, _ = proved
    expected = {
        "model_hash", "identity", "k", "width", "rows", "advice_columns", "fixed_columns", "lookups",
        "timings_s", "peak_memory_bytes", "dir", "reused_keys", "reused_compiled", "compiled",
        "calibration", "default_calibration", "proof_bytes", "output", "output_scale",
        "output_dequantized", "visibility", "input_hash", "output_hash",
    }
    assert set(r) == expected
    assert "prove" in r["timings_s"]


def test_profile_accounts_for_the_prove_when_asked(proved):
    out, r, _ = proved
    x, _ = digits()
    p = zkinfer.prove(MLP, input=x[0], out=out, profile=True)
    assert set(p) == set(r) | {"profile"}
    prof = p["profile"]
    steps = {s["step"] for s in prof["steps"]}
    assert {"prove/quotient", "prove/advice", "prove/permutation"} <= steps
    # Every step plus the unaccounted rest is the whole span.
    total = sum(s["seconds"] for s in prof["steps"]) + prof["unaccounted_s"]
    assert abs(total - prof["total_s"]) <= 1e-6 * max(1.0, prof["total_s"])


def test_inputs_as_list_and_file_give_the_same_output(proved, tmp_path):
    out, r, _ = proved
    x, _ = digits()
    again = zkinfer.prove(MLP, input=x[0].tolist(), out=out)
    assert again["reused_keys"] is True and again["output"] == r["output"]
    f = tmp_path / "input.json"
    f.write_text(json.dumps({"input_data": [x[0].tolist()]}))
    from_file = zkinfer.prove(MLP, input=str(f), out=out)
    assert from_file["output"] == r["output"]


def test_identity_is_the_committed_one(proved, tmp_path):
    _, r, _ = proved
    c = zkinfer.commit(MLP, weights="fixed", out=tmp_path / "c.json")
    assert c["identity"] == r["identity"]
    assert (tmp_path / "c.json").is_file()


def test_tampered_proof_is_rejected(proved, tmp_path):
    out, r, _ = proved
    p = json.loads((out / "proof.json").read_text())
    p["output"]["values"][0] += 1
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(p))
    with pytest.raises(zkinfer.VerificationError) as e:
        zkinfer.verify(bad, vk=out / "vk.bin")
    assert isinstance(e.value, zkinfer.Error)
    assert "rejected" in str(e.value)


def test_wrong_identity_is_rejected(proved):
    out, _, _ = proved
    with pytest.raises(zkinfer.VerificationError, match="model identity mismatch"):
        zkinfer.verify(out / "proof.json", model_hash="0" * 64)


def test_nan_input_raises_input_error(proved):
    out, _, _ = proved
    x = np.zeros(64)
    x[3] = math.nan
    with pytest.raises(zkinfer.InputError, match="(?i)nan|finite"):
        zkinfer.prove(MLP, input=x, out=out)
    x[3] = math.inf
    with pytest.raises(zkinfer.InputError):
        zkinfer.prove(MLP, input=x, out=out)


def test_wrong_length_raises_input_error(proved):
    out, _, _ = proved
    with pytest.raises(zkinfer.InputError, match="63"):
        zkinfer.prove(MLP, input=[0.5] * 63, out=out)
    with pytest.raises(zkinfer.InputError):
        zkinfer.prove(MLP, input=[], out=out)
    with pytest.raises(zkinfer.InputError):
        zkinfer.prove(MLP, input=3.0, out=out)


def test_missing_files_raise_io_error(tmp_path):
    with pytest.raises(zkinfer.IoError):
        zkinfer.prove(MLP, input=str(tmp_path / "nope.json"), out=tmp_path)
    with pytest.raises(zkinfer.IoError):
        zkinfer.inspect(tmp_path / "missing.onnx")
    with pytest.raises(zkinfer.IoError):
        zkinfer.verify(tmp_path / "no-proof.json")


def test_bad_options_raise_input_error():
    with pytest.raises(zkinfer.InputError, match="unknown option"):
        zkinfer.inspect(MLP, bitz=8)
    with pytest.raises(zkinfer.InputError):
        zkinfer.inspect(MLP, backend="groth16")
    with pytest.raises(zkinfer.InputError):
        zkinfer.inspect()
    with pytest.raises(zkinfer.InputError):
        zkinfer.inspect(MLP, input_range=(1.0, -1.0))


def test_not_an_onnx_file_raises_model_error(tmp_path):
    f = tmp_path / "junk.onnx"
    f.write_bytes(b"not a model")
    with pytest.raises(zkinfer.ModelError):
        zkinfer.inspect(f)


def test_inspect_compile_estimate_accuracy(tmp_path):
    i = zkinfer.inspect(MLP)
    assert i["model"]["input_shape"] == [1, 64] and i["circuit"]["k"] == 11
    c = zkinfer.compile(MLP, out=tmp_path)
    assert Path(c["compiled"]).is_file() and c["model_hash"] == i["model"]["model_hash"]
    e = zkinfer.estimate(compiled=tmp_path, backend="ipa")
    assert e["estimate"]["circuit"]["k"] == 11 and e["estimate"]["backends"][0]["prove_s"] > 0
    x, labels = digits()
    a = zkinfer.accuracy(MLP, data={"input_data": x[:40], "labels": labels[:40]})
    assert a["accuracy"]["samples"] == 40 and a["accuracy"]["quant_accuracy"] > 0.8


def test_reveal_check(tmp_path):
    c = zkinfer.commit(MLP, out=tmp_path / "c.json")
    assert zkinfer.reveal_check(MLP, hash=c["identity"])["match"] is True
    assert zkinfer.reveal_check(MLP, hash=c["identity"], bits=9)["match"] is False


def test_prove_releases_the_gil(proved):
    out, _, _ = proved
    x, _ = digits()
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            stop.wait(0.001)

    t = threading.Thread(target=tick)
    t.start()
    try:
        start = time.perf_counter()
        zkinfer.prove(MLP, input=x[1], out=out)
        end = time.perf_counter()
    finally:
        stop.set()
        t.join()
    # The other thread ran while Rust proved: it could not, had the call held the GIL (then at
    # most a tick or two at the call's edges would fall inside).
    inside = [s for s in ticks if start < s < end]
    assert len(inside) >= 5, (len(inside), end - start)


def test_error_hierarchy():
    for cls in [zkinfer.InputError, zkinfer.ModelError, zkinfer.ProofError, zkinfer.VerificationError,
                zkinfer.EvmError, zkinfer.IoError, zkinfer.InternalError]:
        assert issubclass(cls, zkinfer.Error) and issubclass(cls, Exception)
    assert zkinfer.Error.__module__ == "zkinfer"


def test_evm_verifier_accepts_the_proof_and_rejects_tampering(tmp_path):
    """KZG (the insecure test SRS) proof of the zoo MLP, its Solidity verifier (solc-js from
    npm, tools/solc) and the contract run in revm: accepted, and a tampered proof reverts."""
    x, _ = digits()
    out = tmp_path / "kzg"
    r = zkinfer.prove(MLP, input=x[2], out=out, backend="kzg")
    with pytest.raises(zkinfer.VerificationError, match="INSECURE"):
        zkinfer.verify(out / "proof.json")
    assert zkinfer.verify(out / "proof.json", allow_insecure_srs=True)["output"] == r["output"]
    c = zkinfer.create_evm_verifier(out)
    assert Path(c["bytecode"]).is_file() and c["identity"] == r["identity"]
    assert 0 < c["runtime_bytes"] <= c["eip170_limit"]
    e = zkinfer.verify_evm(out / "proof.json", model_hash=r["identity"], allow_insecure_srs=True)
    assert e["accepted"] is True and e["gas_used"] > 21000 and e["reason"] is None
    p = json.loads((out / "proof.json").read_text())
    p["output"]["values"][0] += 1
    bad = out / "tampered.json"
    bad.write_text(json.dumps(p))
    with pytest.raises(zkinfer.VerificationError, match="reverted"):
        zkinfer.verify_evm(bad, allow_insecure_srs=True)
