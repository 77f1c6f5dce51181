"""zkinfer: zero-knowledge proofs of quantized ONNX inference (halo2), from Python.

Each function does what the ``zkinfer`` command of the same name does (the same Rust library
code) and returns what that command prints with ``--json``, as plain Python objects::

    import numpy as np, zkinfer
    r = zkinfer.prove("models/zoo/mlp.onnx", input=np.zeros(64), out="proof-dir")
    v = zkinfer.verify("proof-dir/proof.json", model_hash=r["identity"])
    print(v["output_dequantized"], v["identity"])

Inputs are paths (EZKL's ``{"input_data": [[...]]}`` JSON), lists, tuples or numpy arrays (one
sample, or one row per sample). Errors are ``zkinfer.Error`` subclasses: ``InputError``,
``ModelError``, ``ProofError``, ``VerificationError``, ``EvmError``, ``IoError`` and
``InternalError``. Long steps (setup, prove, verify, ...) release the GIL.
"""
from ._zkinfer import (
    Error,
    EvmError,
    InputError,
    InternalError,
    IoError,
    ModelError,
    ProofError,
    VerificationError,
    __version__,
    accuracy,
    commit,
    compile,
    create_evm_verifier,
    estimate,
    inspect,
    prove,
    reveal_check,
    setup,
    verify,
    verify_evm,
)

__all__ = [
    "Error",
    "EvmError",
    "InputError",
    "InternalError",
    "IoError",
    "ModelError",
    "ProofError",
    "VerificationError",
    "__version__",
    "accuracy",
    "commit",
    "compile",
    "create_evm_verifier",
    "estimate",
    "inspect",
    "prove",
    "reveal_check",
    "setup",
    "verify",
    "verify_evm",
]
