"""Type stubs of the zkinfer extension module (the functions behind the ``zkinfer`` package).

Every function does what the CLI command of the same name does and returns the fields that
command prints with ``--json``.
"""
import os
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, Union

from typing_extensions import NotRequired, TypedDict, Unpack

__version__: str

PathLike = Union[str, "os.PathLike[str]"]
#: A path to EZKL's ``{"input_data": [[...]]}`` JSON, one sample (a list of numbers, a 1-D
#: numpy array), or several (a list of lists, a 2-D array: one row per sample).
Input = Union[PathLike, Sequence[float], Sequence[Sequence[float]], Any]

class Error(Exception):
    """Base class of every error zkinfer raises; the message is the typed error's, with its causes."""

class InputError(Error):
    """A bad input or argument: NaN or infinity, wrong length, out of the calibrated range, an unknown option."""

class ModelError(Error):
    """A model that cannot be loaded, quantized, compiled or laid out as a circuit."""

class ProofError(Error):
    """Parameters, key generation or proving failed."""

class VerificationError(Error):
    """A proof or key was rejected (tampered, malformed, wrong identity, insecure SRS)."""

class EvmError(Error):
    """The Solidity verifier could not be generated, compiled or run."""

class IoError(Error):
    """A file could not be read or written (a missing input file, an unwritable directory)."""

class InternalError(Error):
    """A bug in zkinfer (a Rust panic, caught): please report it."""

class ModelOptions(TypedDict, total=False):
    """Keyword options of the model functions: the CLI's flags, ``-`` written ``_``."""

    #: A compiled model (``compiled.json`` from :func:`compile`, or its directory) instead of ``model``.
    compiled: PathLike
    #: Instead of an ONNX file, the synthetic MLP with these layer widths, e.g. ``[64, 512, 10]``.
    mlp: Sequence[int]
    #: Seed of the ``mlp`` weights (default 1).
    seed: int
    #: Calibration samples (EZKL format); default ``calibration.json`` beside the model, else ``input_range``.
    calibration: PathLike
    #: Without calibration data: calibrate on 32 deterministic inputs in ``[lo, hi]`` (default ``(-1, 1)``).
    input_range: Tuple[float, float]
    #: Activation bits (lookup tables have ``2**bits`` rows).
    bits: int
    #: Signed bits of the largest weight of each layer.
    weight_bits: int
    #: Multiply-accumulates per row of the dot-product gate (default: chosen per model).
    width: int
    #: What the automatic width is chosen for: ``"prove"`` (proving time, the default) or ``"evm"`` (verify gas).
    target: Literal["prove", "evm"]
    #: ``"fixed"`` (in the verifying key, the default) or ``"hashed"`` (private, Poseidon commitment public).
    weights: Literal["fixed", "hashed"]
    #: ``"public"`` (default), ``"hashed"`` or ``"private"``.
    input_visibility: Literal["public", "hashed", "private"]
    output_visibility: Literal["public", "hashed", "private"]
    #: Inferences per proof (``prove`` takes it from the input).
    batch: int
    #: ``"ipa"`` (default) or ``"kzg"``.
    backend: Literal["ipa", "kzg"]
    #: Parameter cache directory (default ``$ZKINFER_CACHE`` or ``~/.cache/zkinfer``).
    cache: PathLike
    #: KZG only: an SRS file in halo2's ParamsKZG format (default: an INSECURE test SRS).
    srs: PathLike
    #: The SHA-256 (hex) the ``srs`` file must have.
    srs_sha256: str

class SetupReport(TypedDict):
    model_hash: str
    #: The model identity of the key: what :func:`verify` takes as ``model_hash``.
    identity: str
    k: int
    width: int
    rows: int
    advice_columns: int
    fixed_columns: int
    lookups: int
    timings_s: Dict[str, float]
    peak_memory_bytes: Optional[int]
    dir: str
    reused_keys: bool
    reused_compiled: bool
    compiled: str
    calibration: Dict[str, Any]
    default_calibration: bool

class ProveReport(SetupReport):
    proof_bytes: int
    #: Output integers (empty unless public); value = integer / 2**output_scale.
    output: List[int]
    output_scale: int
    output_dequantized: List[float]
    visibility: Dict[str, Any]
    input_hash: Optional[str]
    output_hash: Optional[str]
    #: Only with ``prove(..., profile=True)``: ``total_s``, ``steps`` (``step``, ``what``,
    #: ``seconds``), ``unaccounted_s`` and the circuit facts.
    profile: NotRequired[Dict[str, Any]]

class VerifyReport(TypedDict):
    verified: bool
    identity: str
    identity_checked: bool
    trusted: Literal["identity", "pinned key", "none"]
    model_hash: str
    output: List[int]
    output_scale: int
    output_dequantized: List[float]
    verify_s: float
    visibility: Dict[str, Any]
    input_hash: Optional[str]
    output_hash: Optional[str]
    batch: int
    outputs_dequantized: List[List[float]]

class CompileReport(TypedDict):
    compiled: str
    model_hash: str
    public_hash: str
    calibration: Dict[str, Any]
    default_calibration: bool
    settings: Dict[str, Any]
    circuit: Dict[str, Any]
    source: Dict[str, Any]
    timings_s: Dict[str, float]

class InspectReport(TypedDict):
    model: Dict[str, Any]
    circuit: Dict[str, Any]
    calibration: Any
    default_calibration: bool
    source: Dict[str, Any]

class AccuracyReport(TypedDict):
    accuracy: Dict[str, Any]
    layers: List[Dict[str, Any]]
    calibration: Any
    bits: int

class EstimateReport(TypedDict):
    estimate: Dict[str, Any]
    calibration: Dict[str, Any]
    default_calibration: bool

class CommitReport(TypedDict):
    identity: str
    model_hash: str
    architecture: str
    weights: str
    backend: str
    k: int
    width: int
    stored: str

RevealCheckReport = TypedDict(
    "RevealCheckReport", {"match": bool, "identity": str, "expected": str, "key_checked": bool}
)

class EvmVerifierReport(TypedDict):
    solidity: str
    bytecode: str
    model_hash: str
    identity: str
    srs: str
    solc: str
    source_chars: int
    deployment_bytes: int
    runtime_bytes: int
    kind: str  # "snark" or "keyed"
    key_contract: Optional[Dict[str, int]]  # keyed: deployment_bytes, runtime_bytes
    key_bytecode: Optional[str]  # keyed: VerifierKey.bin
    eip170_limit: int
    key: Dict[str, int]
    timings_s: Dict[str, float]

class VerifyEvmReport(TypedDict):
    accepted: bool
    gas_used: Optional[int]
    model_hash: str
    identity: str
    identity_checked: bool
    calldata: str
    calldata_bytes: int
    proof_bytes: int
    deployment_bytes: int
    runtime_bytes: int
    kind: str
    key_contract: Optional[Dict[str, int]]
    reason: Optional[str]

def inspect(model: Optional[PathLike] = None, **options: Unpack[ModelOptions]) -> InspectReport:
    """Layers, shapes, parameters, MACs, nonlinear elements, scales and circuit size (``zkinfer inspect``)."""

def accuracy(
    model: Optional[PathLike] = None, *, data: Union[PathLike, Dict[str, Any]], **options: Unpack[ModelOptions]
) -> AccuracyReport:
    """Float against quantized accuracy on labelled data: a path, or ``{"input_data": ..., "labels": [...]}``
    (a label per sample, or a list per sample with one per output position: a language model's
    next tokens). ``layers`` holds every layer's error against the float model."""

def compile(model: Optional[PathLike] = None, *, out: PathLike, **options: Unpack[ModelOptions]) -> CompileReport:
    """Compile a model into ``out/compiled.json`` (quantized model, settings, identity, circuit size)."""

def estimate(model: Optional[PathLike] = None, **options: Unpack[ModelOptions]) -> EstimateReport:
    """Predicted k, rows, columns and, per backend, setup/prove time and memory, before any key."""

def setup(model: Optional[PathLike] = None, *, out: PathLike, **options: Unpack[ModelOptions]) -> SetupReport:
    """Compile the model and generate parameters and keys into ``out`` (releases the GIL)."""

def prove(
    model: Optional[PathLike] = None,
    *,
    input: Input,
    out: PathLike,
    profile: bool = False,
    **options: Unpack[ModelOptions],
) -> ProveReport:
    """Prove the model's inference on ``input`` and write ``out/proof.json`` (releases the GIL).

    Runs setup into ``out`` first unless it holds keys for the same compiled model. With
    ``profile=True`` the report also has ``"profile"``: where the proving time went (the steps
    of ``zkinfer prove --profile``, their seconds, and the circuit facts). Raises
    :class:`InputError` for NaN, infinities, a wrong length or values outside the calibrated
    range, :class:`IoError` for a missing input file.
    """

def verify(
    proof: PathLike,
    *,
    vk: Optional[PathLike] = None,
    model_hash: Optional[str] = None,
    identity: Optional[str] = None,
    allow_insecure_srs: bool = False,
) -> VerifyReport:
    """Verify ``proof`` with ``vk`` (default ``vk.bin`` beside it); raises :class:`VerificationError` unless accepted.

    ``model_hash`` (alias ``identity``): reject unless the key has this model identity (what
    :func:`commit` and :func:`prove` report as ``identity``). Without it or ``vk``, only internal
    consistency is checked (``trusted == "none"``).
    """

def commit(model: Optional[PathLike] = None, *, out: PathLike = "commitment.json", **options: Unpack[ModelOptions]) -> CommitReport:
    """The model's identity (hashed weights by default), stored in ``out``."""

def reveal_check(model: Optional[PathLike] = None, *, hash: str, **options: Unpack[ModelOptions]) -> RevealCheckReport:
    """Recompute a revealed model's identity and compare it with ``hash``: see the result's ``"match"``."""

def create_evm_verifier(
    dir: PathLike, *, vk: Optional[PathLike] = None, srs: Optional[PathLike] = None, compiled: Optional[PathLike] = None
) -> EvmVerifierReport:
    """Write ``dir/Verifier.sol`` for a KZG key (``dir/vk.bin``) and compile it with solc 0.8.19 into ``dir/Verifier.bin``."""

def verify_evm(
    proof: PathLike,
    *,
    vk: Optional[PathLike] = None,
    verifier: Optional[PathLike] = None,
    model_hash: Optional[str] = None,
    identity: Optional[str] = None,
    allow_insecure_srs: bool = False,
) -> VerifyEvmReport:
    """Run the verifier contract on a KZG proof in an in-process EVM; raises :class:`VerificationError` when it reverts."""
