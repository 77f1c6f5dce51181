//! The circuit-level model: what the circuit proves, in plain integers.
//!
//! The prover lowers a quantized model into this form; nothing here knows about ONNX or
//! ndarray, so the thin verifier can depend on this crate. Every tensor is a flat vector of
//! integers; layers read whole tensors by id and write one new tensor.
//!
//! Semantics (the circuit proves exactly this, see [`crate::eval::eval`]):
//! - [`LayerKind::Affine`]: for each output `j`, `z_j = bias_j + sum_t coeff_t * x[src_t][idx_t]`,
//!   then `y_j = act(round_shift(z_j, shift))` where `round_shift(z, s) = floor((z + 2^(s-1)) / 2^s)`
//!   for `s > 0` and `z` for `s = 0`. The rounded value must lie in `[-2^(bits-1), 2^(bits-1))`.
//! - [`LayerKind::Requant`]: the same rescale and activation applied element-wise to a tensor.
//! - [`LayerKind::MaxPool`]: `y_j = max_{i in window_j} x[i]`.
//! - [`LayerKind::Permute`]: `y_j = x[perm_j]` (reshape / transpose / flatten; no cells).
//! - [`LayerKind::Softmax`]: per row, max, exp by table, sum and a rounded division (see
//!   [`crate::softmax`]).
//! - [`LayerKind::Product`]: products of two activations, blocks `C = A·B` (see
//!   [`ProductLayer`]): `z_j = sum x0[a]·x1[b]` over output `j`'s pairs, then the requant.
use serde::{Deserialize, Serialize};

/// Index of a tensor: 0 is the model input, layer `i` produces tensor `i + 1`.
pub type TensorId = usize;

/// A nonlinearity applied through a lookup table after the rescale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// `y = q` (a range check only).
    Identity,
    /// `y = max(q, 0)`.
    Relu,
    /// An arbitrary function given as an explicit table: `y = values[q - min]` for
    /// `q in [min, min + values.len())`. Sigmoid and tanh are lowered to this, with the table
    /// computed once at quantization time so that the integer reference has no floats.
    Table {
        name: String,
        min: i64,
        values: Vec<i64>,
    },
}

/// One term of an affine output: `coeff * x[src][idx]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    /// Which input tensor (an index into [`AffineLayer::inputs`]).
    pub src: u8,
    /// Element index in that tensor.
    pub idx: u32,
    /// Integer coefficient (a quantized weight).
    pub coeff: i64,
}

/// One output element of an affine layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffineRow {
    pub bias: i64,
    pub terms: Vec<Term>,
}

/// Rescale and activation that follow an accumulation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requant {
    /// Right shift with round-half-up; 0 means none.
    pub shift: u32,
    pub act: Activation,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffineLayer {
    pub inputs: Vec<TensorId>,
    pub rows: Vec<AffineRow>,
    pub requant: Requant,
    /// The layer's trained parameters and which term uses which (see [`ParamMap`]). `None`:
    /// the coefficients are architecture constants (average pools, residual adds), fixed in
    /// every weight-visibility mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<ParamMap>,
}

/// The canonical parameters of an affine layer: what `hashed` weights commit to.
///
/// Each weight is one value however many terms use it (a convolution kernel is shared by all
/// patches), so the circuit assigns it once and copy-constrains every use to that cell. The map
/// is derived from the layer's structure only (never from the values), so that the circuit's
/// shape, and hence its verifying key, reveals nothing about the weights.
/// [`crate::validate::validate`] checks `rows[j].terms[t].coeff == weights[term_weight[j][t]]`
/// and `rows[j].bias == biases[row_bias[j]]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamMap {
    /// The layer's weights in canonical order (for a convolution: output channel, input
    /// channel, kernel row, kernel column).
    pub weights: Vec<i64>,
    /// The layer's biases in canonical order (one per output channel of a convolution, one
    /// per output otherwise).
    pub biases: Vec<i64>,
    /// `term_weight[j][t]`: the weight term `t` of row `j` uses.
    pub term_weight: Vec<Vec<u32>>,
    /// `row_bias[j]`: the bias row `j` uses.
    pub row_bias: Vec<u32>,
}

/// One matrix product `C = A·B` of a [`ProductLayer`]: `A` is `m × n` (elements of input 0),
/// `B` is given by its columns' entries `(k, element of input 1)`, `C[i][j]` is output element
/// `c[i·p + j]` with `p = b.len()`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductBlock {
    pub m: u32,
    pub n: u32,
    pub a: Vec<u32>,
    pub b: Vec<Vec<(u32, u32)>>,
    pub c: Vec<u32>,
}

/// Products of two activations (`Q·Kᵀ`, `attention·V`, element-wise `Mul`): every output
/// element is `C[i][j] = sum_{(k, t) in b[j]} x0[a[i·n + k]] · x1[t]` of exactly one block,
/// then rescaled and activated by `requant`. Proved by the Freivalds chip
/// ([`crate::product`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductLayer {
    pub inputs: [TensorId; 2],
    pub blocks: Vec<ProductBlock>,
    pub requant: Requant,
}

impl ProductLayer {
    /// For each of the `len` output elements, its pairs `(index in input 0, index in input 1)`.
    pub fn pairs(&self, len: usize) -> Vec<Vec<(u32, u32)>> {
        let mut out = vec![Vec::new(); len];
        for blk in &self.blocks {
            let (n, p) = (blk.n as usize, blk.b.len());
            for i in 0..blk.m as usize {
                for (j, col) in blk.b.iter().enumerate() {
                    if let Some(o) = blk.c.get(i * p + j).and_then(|&o| out.get_mut(o as usize)) {
                        o.extend(col.iter().filter_map(|&(k, t)| blk.a.get(i * n + k as usize).map(|&x| (x, t))));
                    }
                }
            }
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerKind {
    Affine(AffineLayer),
    Requant {
        input: TensorId,
        requant: Requant,
    },
    MaxPool {
        input: TensorId,
        windows: Vec<Vec<u32>>,
    },
    Permute {
        input: TensorId,
        perm: Vec<u32>,
    },
    Product(ProductLayer),
    Softmax(SoftmaxLayer),
    /// `y[t·D + d] = tables[d](x[t])` (an embedding: column `d` of a constant table looked up
    /// by the id `x[t]`; `D = tables.len()`), one requant row with shift 0 per output.
    Embedding {
        input: TensorId,
        tables: Vec<Activation>,
    },
}

/// Softmax of each row of `input` ([`crate::softmax`] states the integer semantics): output
/// element `rows[r][i]` is the rounded `e_i / S · 2^out_bits` of input element `rows[r][i]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftmaxLayer {
    pub input: TensorId,
    pub rows: Vec<Vec<u32>>,
    /// Outputs that are 0 (inputs masked with `-inf`, in no row).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub masked: Vec<u32>,
    /// `exp[u + 2^(bits-1)]` for every `u` of the activation range.
    pub exp: Vec<i64>,
    /// Output scale `F` (`y = e/S · 2^F`); `F + 1 <= bits`.
    pub out_bits: u32,
    /// Width `R` of the remainder's range checks (`2S <= 2^R`).
    pub sum_bits: u32,
}

/// A layer with the name of the model node(s) it came from (for errors and reports).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub name: String,
    pub kind: LayerKind,
}

/// The whole model as the circuit sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitModel {
    /// Number of elements of the input tensor (tensor 0).
    pub input_len: usize,
    /// Layer `i` produces tensor `i + 1`.
    pub layers: Vec<Layer>,
    /// Activation range: every rescaled value lies in `[-2^(bits-1), 2^(bits-1))`.
    pub bits: u32,
}

impl CircuitModel {
    /// The tensor the last layer produces (the public output).
    pub fn output(&self) -> TensorId {
        self.layers.len()
    }

    /// Whether a layer multiplies two activations (the circuit then needs
    /// `CircuitParams::products`).
    pub fn has_products(&self) -> bool {
        self.layers.iter().any(|l| matches!(l.kind, LayerKind::Product(_)))
    }

    /// Whether a layer is a softmax (the circuit then needs `CircuitParams::softmax`).
    pub fn has_softmax(&self) -> bool {
        self.layers.iter().any(|l| matches!(l.kind, LayerKind::Softmax(_)))
    }
}
