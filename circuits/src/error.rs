//! Typed errors of the circuit crate.
//!
//! Every error that a model or an input can cause is reported here, with the layer it concerns,
//! before any proving starts (see [`crate::spec::CircuitSpec::compile`] and [`crate::eval::eval`]).
use thiserror::Error;

/// What can go wrong when validating a model, evaluating it, or building its circuit.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CircuitError {
    /// A rescaled value (or a max-pool input) falls outside the activation range.
    #[error("layer `{layer}`: value {value} at index {index} is outside [{min}, {max}]")]
    OutOfRange {
        layer: String,
        index: usize,
        value: i128,
        min: i64,
        max: i64,
    },
    /// The input vector does not have the model's input length.
    #[error("input has {got} elements, the model expects {expected}")]
    InputLength { got: usize, expected: usize },
    /// A layer reads a tensor that is not produced before it.
    #[error(
        "layer `{layer}` reads tensor {tensor}, but only tensors 0..{available} exist before it"
    )]
    UnknownTensor {
        layer: String,
        tensor: usize,
        available: usize,
    },
    /// An element index (term, permutation or window entry) is past the end of its tensor.
    #[error("layer `{layer}`: index {index} is out of bounds for a tensor of length {len}")]
    IndexOutOfBounds {
        layer: String,
        index: usize,
        len: usize,
    },
    /// An affine term names an input slot that the layer does not have.
    #[error("layer `{layer}`: term source {src} but the layer has {inputs} inputs")]
    BadTermSource {
        layer: String,
        src: usize,
        inputs: usize,
    },
    /// The rescale shift is larger than the circuit supports.
    #[error("layer `{layer}`: shift {shift} exceeds the maximum {max}")]
    ShiftTooLarge { layer: String, shift: u32, max: u32 },
    /// The activation bit width is outside the supported range.
    #[error("activation width of {bits} bits is outside the supported range [{min}, {max}]")]
    BadBits { bits: u32, min: u32, max: u32 },
    /// A table activation does not cover the whole activation range.
    #[error(
        "layer `{layer}`: table activation `{name}` covers [{min}, {end}), \
         it must cover [{need_min}, {need_end})"
    )]
    TableCoverage {
        layer: String,
        name: String,
        min: i64,
        end: i64,
        need_min: i64,
        need_end: i64,
    },
    /// A max-pool window is empty.
    #[error("layer `{layer}`: max-pool window {window} is empty")]
    EmptyWindow { layer: String, window: usize },
    /// The model has no layers, so there is nothing to prove.
    #[error("the model has no layers")]
    NoLayers,
    /// The dot-product width is unsupported.
    #[error("width {width} is not supported (minimum {min}, maximum {max})")]
    BadWidth { width: usize, min: usize, max: usize },
    /// The model needs more rows than the largest supported circuit.
    #[error("the circuit needs {rows} rows, more than 2^{max_k} allows")]
    TooLarge { rows: usize, max_k: u32 },
    /// A halo2 error raised while laying out the circuit (dry run or configuration).
    #[error("halo2 synthesis error: {0}")]
    Synthesis(String),
    /// The circuit parameters do not fit the model (for example a max-pool layer without the
    /// max-pool chip configured).
    #[error("circuit parameters do not fit the model: {0}")]
    ParamsMismatch(String),
    /// A weight or bias does not fit the limb range of `hashed` weights.
    #[error(
        "layer `{layer}`: {what} {index} is {value}, outside the committed range [{min}, {max}]"
    )]
    ParamOutOfRange {
        layer: String,
        what: &'static str,
        index: usize,
        value: i128,
        min: i128,
        max: i128,
    },
    /// A layer's parameter map does not match its rows.
    #[error("layer `{layer}`: bad parameter map: {reason}")]
    BadParamMap { layer: String, reason: String },
    /// A product or softmax layer's structure does not wire its input to its output.
    #[error("layer `{layer}`: bad product or softmax: {reason}")]
    BadProduct { layer: String, reason: String },
    /// Unsupported visibility settings or limb width.
    #[error("unsupported circuit settings: {0}")]
    BadSettings(String),
}
