//! Fixed-point quantization with power-of-two scales.
//!
//! A tensor with scale exponent `s` holds integers `x_int = round(x * 2^s)` in the signed
//! `bits`-bit range the circuit's lookup tables cover. An affine layer accumulates
//! `z = bias + sum coeff * x` at scale `S`, then rescales with a rounded shift
//! `q = floor((z + 2^(shift-1)) / 2^shift)` to the output scale `S - shift`, and applies its
//! activation (identity, ReLU, or a sigmoid/tanh table) to `q`.
mod bound;
mod calibrate;
mod config;
mod forward;
mod model;
mod table;
mod validate;

pub use bound::error_bounds;
pub use calibrate::{calibrate, quantize};
pub use config::QuantConfig;
pub use forward::{round_shift, Trace};
pub use model::{QAct, QLayer, QOp, QRow, QTerm, QuantModel, MODEL_FORMAT};
