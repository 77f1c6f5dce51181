//! Typed errors of the model crate. Every variant names what went wrong and where.
use std::path::PathBuf;

/// One ONNX node that zkinfer cannot compile, reported with all the others at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedNode {
    /// The node's name in the ONNX graph (or tract's name for it).
    pub name: String,
    /// The op type as the importer sees it (for the message only).
    pub op: String,
    /// Why it is not supported (empty when the op is simply unknown to zkinfer).
    pub reason: String,
}

impl std::fmt::Display for UnsupportedNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'{}' ({})", self.name, self.op)?;
        if !self.reason.is_empty() {
            write!(f, ": {}", self.reason)?;
        }
        Ok(())
    }
}

fn list(nodes: &[UnsupportedNode]) -> String {
    nodes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a valid ONNX model: {reason}")]
    InvalidOnnx { path: PathBuf, reason: String },
    #[error("{path}: {} unsupported node(s): {}", nodes.len(), list(nodes))]
    Unsupported { path: PathBuf, nodes: Vec<UnsupportedNode> },
    #[error("{path}: the model has {count} inputs/outputs of kind {kind}; zkinfer needs exactly one")]
    Arity { path: PathBuf, kind: &'static str, count: usize },
    #[error("{path}: input shape {shape} is not supported: {reason}")]
    InputShape { path: PathBuf, shape: String, reason: String },
    #[error("node '{node}': {reason}")]
    Node { node: String, reason: String },
    #[error("{path}: invalid input data: {reason}")]
    Data { path: PathBuf, reason: String },
    #[error(
        "sample {sample}: expected {expected} values for input shape {shape:?}, got {got} \
         (one list per sample, or several samples concatenated: a multiple of {expected})"
    )]
    InputLength { sample: usize, expected: usize, got: usize, shape: Vec<usize> },
    #[error("sample {sample}: value at index {index} is {value}, not a finite number")]
    NonFinite { sample: usize, index: usize, value: f64 },
    #[error(
        "layer '{layer}': value {value} at element {index} is outside the {bits}-bit range \
         [{min}, {max}] of the lookup tables (raise --bits or calibrate on more representative inputs)"
    )]
    OutOfRange { layer: String, index: usize, value: i64, min: i64, max: i64, bits: u32 },
    #[error("malformed quantized model, layer '{layer}': {reason}")]
    InvalidQuantModel { layer: String, reason: String },
    #[error("calibration needs at least one sample")]
    NoCalibrationData,
    #[error("invalid quantization setting: {0}")]
    Config(String),
}

impl ModelError {
    /// Name sample `s` in a per-sample error ([`ModelError::InputLength`],
    /// [`ModelError::NonFinite`]); other errors are returned unchanged.
    pub fn at_sample(self, s: usize) -> ModelError {
        match self {
            ModelError::InputLength { expected, got, shape, .. } => {
                ModelError::InputLength { sample: s, expected, got, shape }
            }
            ModelError::NonFinite { index, value, .. } => ModelError::NonFinite { sample: s, index, value },
            other => other,
        }
    }
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;
