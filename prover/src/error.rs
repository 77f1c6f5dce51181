use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    #[error(transparent)]
    Model(#[from] zkinfer_models::ModelError),
    #[error(transparent)]
    Circuit(#[from] zkinfer_circuits::CircuitError),
    #[error("cannot {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("the circuit needs k = {k}, above the limit {max}")]
    TooLarge { k: u32, max: u32 },
    #[error("the {0} backend is not available yet")]
    BackendUnavailable(zkinfer_verifier::Backend),
    #[error("halo2 {stage} failed: {reason}")]
    Halo2 { stage: &'static str, reason: String },
    #[error("the circuit's output {circuit:?} differs from the integer reference {reference:?}")]
    ReferenceMismatch { circuit: Vec<i64>, reference: Vec<i64> },
}
