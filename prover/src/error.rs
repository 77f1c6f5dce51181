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
    #[error("KZG SRS {path}: SHA-256 is {got}, expected {expected}")]
    SrsHashMismatch { path: PathBuf, got: String, expected: String },
    #[error("KZG SRS {path} covers circuits up to k = {srs_k}, this circuit needs k = {needed}: use a larger SRS file")]
    SrsTooSmall { path: PathBuf, srs_k: u32, needed: u32 },
    #[error("KZG SRS {path} is not a valid halo2 ParamsKZG<Bn256> file: {reason}")]
    SrsCorrupt { path: PathBuf, reason: String },
    #[error("the verifying key was made with the KZG SRS {srs}, which is not in the cache {dir}: pass the same file with --srs")]
    SrsNotCached { srs: String, dir: PathBuf },
    #[error("{what} parameters for k = {k} are not in the cache {dir}: a verifier never generates parameters because a file asked for them; run `zkinfer params --k {k} --backend {backend}` once (or point --cache / $ZKINFER_CACHE at a cache that has them)")]
    ParamsNotCached { what: &'static str, backend: &'static str, k: u32, dir: PathBuf },
    #[error("the verifying key names an unknown kind of KZG SRS '{srs}'")]
    SrsUnknown { srs: String },
    #[error("the KZG SRS found for {srs} is not the one the verifying key was made with ([tau]G2 differs)")]
    SrsMismatch { srs: String },
    #[error("halo2 {stage} failed: {reason}")]
    Halo2 { stage: &'static str, reason: String },
    #[error("the circuit's output {circuit:?} differs from the integer reference {reference:?}")]
    ReferenceMismatch { circuit: Vec<i64>, reference: Vec<i64> },
}
