use crate::backend::Backend;

/// Why a proof was not accepted. Every variant carries what was found and what was expected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    #[error("unsupported {what} format version {got} (this verifier reads {expected})")]
    Version { what: &'static str, got: u32, expected: u32 },
    #[error("the proof was made with the {proof} backend but the verifying key is for {vk}")]
    BackendMismatch { proof: Backend, vk: Backend },
    #[error("visibility mismatch: the proof says {proof}, the verifying key {vk}")]
    VisibilityMismatch { proof: String, vk: String },
    #[error("the verifying key belongs to model {vk}, the proof claims model {proof}")]
    VkModelMismatch { vk: String, proof: String },
    #[error("circuit size mismatch: proof says k = {proof}, verifying key has k = {vk}")]
    KMismatch { proof: u32, vk: u32 },
    #[error("parameters are for k = {params}, the verifying key needs k = {vk}")]
    ParamsMismatch { params: u32, vk: u32 },
    #[error("{what} has {got} values, the verifying key expects {expected}")]
    Length { what: &'static str, got: usize, expected: usize },
    #[error("{what} value {value} at index {index} is outside [{min}, {max}]")]
    Range { what: &'static str, index: usize, value: i64, min: i64, max: i64 },
    #[error("the verifying key was made with the KZG SRS {vk}, but the parameters given are another SRS ({params})")]
    SrsMismatch { vk: String, params: String },
    #[error("proof rejected: {0}")]
    Rejected(String),
    #[error("model identity mismatch: the verifying key in hand is model {got}, expected {expected}{hint}")]
    IdentityMismatch { got: String, expected: String, hint: &'static str },
    #[error("malformed expected identity '{given}': {reason}")]
    BadIdentity { given: String, reason: String },
    #[error("the verifying key was made with the INSECURE fixed-seed KZG SRS, whose tau anyone can compute: such proofs can be forged (allow it for tests only: --allow-insecure-srs)")]
    InsecureSrs,
    #[error("{what}: {extra} bytes left over after the {what} was read (a proof or key must be consumed exactly)")]
    TrailingBytes { what: &'static str, extra: usize },
    #[error("{what} field `{field}` is {got}: {reason}")]
    Bound { what: &'static str, field: &'static str, got: String, reason: String },
}
