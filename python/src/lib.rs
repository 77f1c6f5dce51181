//! `zkinfer._zkinfer`: the Python extension module behind the `zkinfer` package.
//!
//! Every function calls the library verb the CLI command of the same name calls
//! (`zkinfer::verbs`), with the GIL released, and returns that verb's report converted to plain
//! Python objects: the same fields as the command's `--json` output. Errors are raised as the
//! `zkinfer.Error` subclass of their kind (`errors.rs`); a panic is caught and raised as
//! `zkinfer.InternalError`, never unwinding into the interpreter.
mod convert;
mod errors;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use zkinfer::pipeline::PipelineError;
use zkinfer::prover::ParamsCache;
use zkinfer::verbs;

use convert::{dataset, model_options, path, to_object};
use errors::{to_py, InternalError, VerificationError};

/// Runs `f` without the GIL, with panics caught, and converts its report.
fn run<'py, T, F>(py: Python<'py>, f: F) -> PyResult<Bound<'py, PyAny>>
where
    T: serde::Serialize + Send,
    F: FnOnce() -> Result<T, PipelineError> + Send,
{
    let out = py.detach(|| catch_unwind(AssertUnwindSafe(f)));
    match out {
        Ok(Ok(report)) => to_object(py, &report),
        Ok(Err(e)) => Err(to_py(e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(InternalError::new_err(format!("zkinfer panicked: {what}")))
        }
    }
}

fn opt_path(v: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<PathBuf>> {
    v.filter(|v| !v.is_none()).map(|v| path(v, name)).transpose()
}

/// `model_hash` and its alias `identity` (the CLI's `--model-hash` / `--identity`).
fn expected_identity(model_hash: Option<String>, identity: Option<String>) -> PyResult<Option<String>> {
    match (model_hash, identity) {
        (Some(_), Some(_)) => Err(errors::InputError::new_err("pass model_hash or identity (the same thing), not both")),
        (a, b) => Ok(a.or(b)),
    }
}

/// Layers, shapes, parameters, MACs, scales and the circuit size of a model.
#[pyfunction]
#[pyo3(signature = (model=None, **options))]
fn inspect<'py>(py: Python<'py>, model: Option<&Bound<'py, PyAny>>, options: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
    let o = model_options(model, options)?;
    run(py, move || verbs::inspect(&o))
}

/// Float against quantized accuracy on a labelled data set.
#[pyfunction]
#[pyo3(signature = (model=None, *, data, **options))]
fn accuracy<'py>(
    py: Python<'py>,
    model: Option<&Bound<'py, PyAny>>,
    data: &Bound<'py, PyAny>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let o = model_options(model, options)?;
    let (d, _) = dataset(data, "data")?;
    run(py, move || verbs::accuracy(&o, &d))
}

/// Compile a model into `out/compiled.json`.
#[pyfunction]
#[pyo3(signature = (model=None, *, out, **options))]
fn compile<'py>(
    py: Python<'py>,
    model: Option<&Bound<'py, PyAny>>,
    out: &Bound<'py, PyAny>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let o = model_options(model, options)?;
    let out = path(out, "out")?;
    run(py, move || verbs::compile(&o, &out))
}

/// Predicted k, rows, columns, and per backend the memory and time of setup and prove.
#[pyfunction]
#[pyo3(signature = (model=None, **options))]
fn estimate<'py>(py: Python<'py>, model: Option<&Bound<'py, PyAny>>, options: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
    let o = model_options(model, options)?;
    run(py, move || verbs::estimate(&o))
}

/// Compile the model and generate parameters and keys into `out`.
#[pyfunction]
#[pyo3(signature = (model=None, *, out, **options))]
fn setup<'py>(
    py: Python<'py>,
    model: Option<&Bound<'py, PyAny>>,
    out: &Bound<'py, PyAny>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let o = model_options(model, options)?;
    let out = path(out, "out")?;
    run(py, move || verbs::setup(&o, &out, &|_| {}))
}

/// Prove one inference (or a batch) and write `out/proof.json`; runs setup first unless `out`
/// holds keys for the same compiled model. With `profile=True` the report has `profile`, where
/// the proving time went (`zkinfer prove --profile`).
#[pyfunction]
#[pyo3(signature = (model=None, *, input, out, profile=false, **options))]
fn prove<'py>(
    py: Python<'py>,
    model: Option<&Bound<'py, PyAny>>,
    input: &Bound<'py, PyAny>,
    out: &Bound<'py, PyAny>,
    profile: bool,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let o = model_options(model, options)?;
    let (data, what) = dataset(input, "input")?;
    let out = path(out, "out")?;
    run(py, move || verbs::prove(&o, &data, &what, &out, profile, &|_| {}))
}

/// Verify a proof; raises `VerificationError` unless it is accepted.
#[pyfunction]
#[pyo3(signature = (proof, *, vk=None, model_hash=None, identity=None, allow_insecure_srs=false))]
fn verify<'py>(
    py: Python<'py>,
    proof: &Bound<'py, PyAny>,
    vk: Option<&Bound<'py, PyAny>>,
    model_hash: Option<String>,
    identity: Option<String>,
    allow_insecure_srs: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let proof = path(proof, "proof")?;
    let vk = opt_path(vk, "vk")?;
    let expected = expected_identity(model_hash, identity)?;
    run(py, move || verbs::verify(&proof, vk.as_deref(), expected.as_deref(), allow_insecure_srs, &ParamsCache::default()))
}

/// The model's identity (what `verify(model_hash=...)` takes), stored in `out`.
#[pyfunction]
#[pyo3(signature = (model=None, *, out="commitment.json".into(), **options))]
fn commit<'py>(
    py: Python<'py>,
    model: Option<&Bound<'py, PyAny>>,
    out: PathBuf,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let o = model_options(model, options)?;
    run(py, move || verbs::commit(&o, &out))
}

/// Recompute a revealed model's identity and compare it with `hash`: the result's `match`.
#[pyfunction]
#[pyo3(signature = (model=None, *, hash, **options))]
fn reveal_check<'py>(
    py: Python<'py>,
    model: Option<&Bound<'py, PyAny>>,
    hash: String,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let o = model_options(model, options)?;
    run(py, move || verbs::reveal_check(&o, &hash))
}

/// Write `dir/Verifier.sol` for a KZG key and compile it into `dir/Verifier.bin`.
#[pyfunction]
#[pyo3(signature = (dir, *, vk=None, srs=None, compiled=None))]
fn create_evm_verifier<'py>(
    py: Python<'py>,
    dir: &Bound<'py, PyAny>,
    vk: Option<&Bound<'py, PyAny>>,
    srs: Option<&Bound<'py, PyAny>>,
    compiled: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let dir = path(dir, "dir")?;
    let (vk, srs, compiled) = (opt_path(vk, "vk")?, opt_path(srs, "srs")?, opt_path(compiled, "compiled")?);
    run(py, move || verbs::create_evm_verifier(&dir, vk.as_deref(), srs.as_deref(), compiled.as_deref(), zkinfer::evm::VerifierKind::Auto, &|_| {}))
}

/// Run the verifier contract on a KZG proof in an in-process EVM; raises `VerificationError`
/// when the contract rejects it.
#[pyfunction]
#[pyo3(signature = (proof, *, vk=None, verifier=None, model_hash=None, identity=None, allow_insecure_srs=false))]
#[allow(clippy::too_many_arguments)]
fn verify_evm<'py>(
    py: Python<'py>,
    proof: &Bound<'py, PyAny>,
    vk: Option<&Bound<'py, PyAny>>,
    verifier: Option<&Bound<'py, PyAny>>,
    model_hash: Option<String>,
    identity: Option<String>,
    allow_insecure_srs: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let proof = path(proof, "proof")?;
    let (vk, verifier) = (opt_path(vk, "vk")?, opt_path(verifier, "verifier")?);
    let expected = expected_identity(model_hash, identity)?;
    let r = py.detach(|| {
        catch_unwind(AssertUnwindSafe(|| {
            verbs::verify_evm(&proof, vk.as_deref(), verifier.as_deref(), expected.as_deref(), allow_insecure_srs, zkinfer::evm::VerifierKind::Auto, &ParamsCache::default())
        }))
    });
    let r = match r {
        Ok(r) => r.map_err(to_py)?,
        Err(_) => return Err(InternalError::new_err("zkinfer panicked in verify_evm")),
    };
    if !r.accepted {
        let gas = r.gas_used.map(|g| format!(" after {g} gas")).unwrap_or_default();
        return Err(VerificationError::new_err(format!("rejected: the EVM verifier reverted{gas}")));
    }
    to_object(py, &r)
}

#[pymodule]
fn _zkinfer(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Before any field arithmetic: the x86-64 build's may use instructions the CPU lacks.
    zkinfer::prover::cpu::check().map_err(|e| pyo3::exceptions::PyImportError::new_err(e.to_string()))?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(accuracy, m)?)?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(estimate, m)?)?;
    m.add_function(wrap_pyfunction!(setup, m)?)?;
    m.add_function(wrap_pyfunction!(prove, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(commit, m)?)?;
    m.add_function(wrap_pyfunction!(reveal_check, m)?)?;
    m.add_function(wrap_pyfunction!(create_evm_verifier, m)?)?;
    m.add_function(wrap_pyfunction!(verify_evm, m)?)?;
    Ok(())
}
