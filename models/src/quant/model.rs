//! The quantized model: typed, serializable layers with integer weights. This is what the
//! model hash covers and what the circuit proves.
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::config::QuantConfig;
use crate::error::{ModelError, Result};
use crate::graph::{AffineKind, Nonlinearity, ProductBlock, ProductKind, TensorId};

/// Version of the serialized [`QuantModel`]; part of the hash.
/// 2: activation tables record their input scale.
pub const MODEL_FORMAT: u32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QTerm {
    pub src: u8,
    pub idx: u32,
    pub coeff: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QRow {
    pub bias: i64,
    pub terms: Vec<QTerm>,
}

/// The activation applied to the rescaled value `q`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QAct {
    Identity,
    Relu,
    /// `values[q - min] = round(f(q * 2^-in_scale) * 2^out)` for every `q` in the activation
    /// range (sigmoid, tanh); `out` is the layer's scale.
    Table { f: Nonlinearity, min: i64, in_scale: i32, values: Vec<i64> },
}

impl QAct {
    pub fn apply(&self, q: i64) -> i64 {
        match self {
            QAct::Identity => q,
            QAct::Relu => q.max(0),
            QAct::Table { min, values, .. } => {
                // In range by construction (the caller checked q against the range first).
                values.get((q - min) as usize).copied().unwrap_or(0)
            }
        }
    }
    pub fn is_nonlinear(&self) -> bool {
        !matches!(self, QAct::Identity)
    }
    pub fn label(&self) -> &'static str {
        match self {
            QAct::Identity => "",
            QAct::Relu => "relu",
            QAct::Table { f, .. } => f.label(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QOp {
    /// `q_j = round_shift(bias_j + sum coeff * x[src][idx], shift)`, `y_j = act(q_j)`.
    Affine { kind: AffineKind, inputs: Vec<TensorId>, rows: Vec<QRow>, shift: u32, act: QAct, params: usize },
    /// `y = act(round_shift(x, shift))` element-wise.
    Activation { input: TensorId, shift: u32, act: QAct },
    MaxPool { input: TensorId, windows: Vec<Vec<u32>> },
    Permute { input: TensorId, perm: Vec<u32> },
    /// Products of two activations (see [`crate::product`]): `z_j = sum x0[a]·x1[b]` over
    /// output `j`'s pairs at scale `s0 + s1`, then `y_j = act(round_shift(z_j, shift))`.
    Product { kind: ProductKind, inputs: [TensorId; 2], blocks: Vec<ProductBlock>, shift: u32, act: QAct },
    /// Softmax of each row (see [`crate::softmax`] for the integer specification): `exp` is the
    /// table `EXP[u - min]` for the input's scale `in_scale`, `sum_bits` the width of the
    /// division's remainder checks; the output scale is `bits - 2`.
    /// `masked` outputs are 0.
    Softmax { input: TensorId, rows: Vec<Vec<u32>>, masked: Vec<u32>, in_scale: i32, exp: Vec<i64>, sum_bits: u32 },
    /// Embedding lookup (see [`crate::embedding`]): output `(t, d)` is `tables[d][x_t]`; an id
    /// `x_t` outside `[0, V)` (`V` the tables' length, the vocabulary) is out of range.
    Embedding { input: TensorId, tables: Vec<Vec<i64>> },
}

impl QOp {
    /// The pairs of a product layer per output element (see [`crate::product::Product::pairs`]).
    pub fn product_pairs(&self, len: usize) -> Option<Vec<Vec<(u32, u32)>>> {
        match self {
            QOp::Product { kind, inputs, blocks, .. } => {
                let p = crate::product::Product { kind: *kind, inputs: *inputs, blocks: blocks.clone() };
                Some(p.pairs(len))
            }
            _ => None,
        }
    }
    pub fn inputs(&self) -> Vec<TensorId> {
        match self {
            QOp::Affine { inputs, .. } => inputs.clone(),
            QOp::Product { inputs, .. } => inputs.to_vec(),
            QOp::Activation { input, .. } | QOp::MaxPool { input, .. } | QOp::Permute { input, .. } | QOp::Softmax { input, .. } | QOp::Embedding { input, .. } => {
                vec![*input]
            }
        }
    }
}

/// One layer; layer `i` produces tensor `i + 1` with scale exponent `scale`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QLayer {
    pub name: String,
    pub op: QOp,
    pub shape: Vec<usize>,
    pub scale: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantModel {
    pub format: u32,
    pub config: QuantConfig,
    pub input_shape: Vec<usize>,
    pub input_scale: i32,
    pub layers: Vec<QLayer>,
}

impl QuantModel {
    pub fn input_len(&self) -> usize {
        self.input_shape.iter().product()
    }
    pub fn output_shape(&self) -> &[usize] {
        self.layers.last().map(|l| l.shape.as_slice()).unwrap_or(&self.input_shape)
    }
    pub fn output_scale(&self) -> i32 {
        self.layers.last().map(|l| l.scale).unwrap_or(self.input_scale)
    }
    /// Scale exponent of tensor `t` (0 = the input); `None` past the last layer.
    pub fn scale_of(&self, t: TensorId) -> Option<i32> {
        match t {
            0 => Some(self.input_scale),
            _ => self.layers.get(t - 1).map(|l| l.scale),
        }
    }

    /// SHA-256 over the canonical JSON encoding of the whole quantized model: format version,
    /// quantization settings, architecture (layers, wiring, shapes), scales and every integer
    /// weight, bias and table entry.
    pub fn hash(&self) -> [u8; 32] {
        // Serializing plain structs of integers, strings and vectors cannot fail.
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(&bytes).into()
    }
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash())
    }

    /// Quantize one float input: `round(x * 2^input_scale)`, checked against the range.
    ///
    /// Fails with [`ModelError::InputLength`] when `x` does not have the input shape's element
    /// count, [`ModelError::NonFinite`] on NaN or infinity, and [`ModelError::OutOfRange`] when a
    /// value does not fit the activation range at the input scale.
    pub fn quantize_input(&self, x: &[f32]) -> Result<Vec<i64>> {
        if x.len() != self.input_len() {
            return Err(ModelError::InputLength {
                sample: 0,
                expected: self.input_len(),
                got: x.len(),
                shape: self.input_shape.clone(),
            });
        }
        let f = (self.input_scale as f64).exp2();
        let (min, max) = (self.config.min(), self.config.max());
        x.iter()
            .enumerate()
            .map(|(index, &v)| {
                if !v.is_finite() {
                    return Err(ModelError::NonFinite { sample: 0, index, value: v as f64 });
                }
                let q = (v as f64 * f).round();
                if q < min as f64 || q > max as f64 {
                    // `as` saturates: a huge finite value is reported as i64::MIN / i64::MAX.
                    Err(ModelError::OutOfRange { layer: "input".into(), index, value: q as i64, min, max, bits: self.config.bits })
                } else {
                    Ok(q as i64)
                }
            })
            .collect()
    }

    /// Integer output back to floats.
    pub fn dequantize_output(&self, y: &[i64]) -> Vec<f32> {
        let f = (-(self.output_scale() as f64)).exp2();
        y.iter().map(|&v| (v as f64 * f) as f32).collect()
    }
}
