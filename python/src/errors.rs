//! The `zkinfer.Error` hierarchy and the mapping of the library's typed errors onto it.
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use zkinfer::models::ModelError as Model;
use zkinfer::pipeline::PipelineError;

create_exception!(zkinfer, Error, PyException, "Base class of every error zkinfer raises.");
create_exception!(zkinfer, InputError, Error, "A bad input or argument: NaN or infinity, wrong length, out of the calibrated range, an unknown option.");
create_exception!(zkinfer, ModelError, Error, "A model that cannot be loaded, quantized, compiled or laid out as a circuit.");
create_exception!(zkinfer, ProofError, Error, "Parameters, key generation or proving failed.");
create_exception!(zkinfer, VerificationError, Error, "A proof or key was rejected (tampered, malformed, wrong identity, insecure SRS).");
create_exception!(zkinfer, EvmError, Error, "The Solidity verifier could not be generated, compiled or run.");
create_exception!(zkinfer, IoError, Error, "A file could not be read or written.");
create_exception!(zkinfer, InternalError, Error, "A bug in zkinfer (a Rust panic, caught): please report it.");

/// Which Python class an error of the library is raised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Input,
    Model,
    Proof,
    Verification,
    Evm,
    Io,
}

/// The class of `e`: input problems (values, lengths, ranges, usage) apart from model problems,
/// file problems apart from both.
pub fn kind(e: &PipelineError) -> Kind {
    match e {
        PipelineError::Model(m) => match m {
            Model::Io { .. } => Kind::Io,
            Model::Data { .. } | Model::InputLength { .. } | Model::NonFinite { .. } | Model::OutOfRange { .. } => Kind::Input,
            _ => Kind::Model,
        },
        PipelineError::Circuit(_) | PipelineError::Compiled(_) | PipelineError::Estimate(_) => Kind::Model,
        PipelineError::Prover(_) => Kind::Proof,
        PipelineError::Verify(_) => Kind::Verification,
        PipelineError::Evm(_) => Kind::Evm,
        PipelineError::File { .. } => Kind::Io,
        PipelineError::Usage(_) => Kind::Input,
        PipelineError::Input { error, .. } => kind(error),
    }
}

/// The error's message: the whole cause chain, innermost last (as the CLI prints it).
pub fn message(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

/// `e` as the Python exception of its class.
pub fn to_py(e: PipelineError) -> PyErr {
    let msg = message(&e);
    match kind(&e) {
        Kind::Input => InputError::new_err(msg),
        Kind::Model => ModelError::new_err(msg),
        Kind::Proof => ProofError::new_err(msg),
        Kind::Verification => VerificationError::new_err(msg),
        Kind::Evm => EvmError::new_err(msg),
        Kind::Io => IoError::new_err(msg),
    }
}

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("ProofError", py.get_type::<ProofError>())?;
    m.add("VerificationError", py.get_type::<VerificationError>())?;
    m.add("EvmError", py.get_type::<EvmError>())?;
    m.add("IoError", py.get_type::<IoError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}
