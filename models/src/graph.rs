//! The float graph IR that ONNX import produces.
//!
//! Shapes are concrete (a symbolic batch dimension becomes 1) and constants are folded. Every
//! linear op (Gemm, MatMul, Conv, pooling sums, Add/Sub/Mul/Div by constants, BatchNormalization,
//! residual Add/Sub) is one [`Affine`] op: an explicit sparse map `out_j = bias_j + sum c * x[i]`.
//! That one form is what quantization, the integer reference and the circuit all work on.
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
pub use crate::product::{Product, ProductBlock, ProductKind};

/// Tensor 0 is the model input; node `i` produces tensor `i + 1`.
pub type TensorId = usize;

/// What an affine op came from (for reports; the semantics are in the rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AffineKind {
    /// Gemm / MatMul / any EinSum with a constant operand.
    MatMul,
    /// 2-D convolution (BatchNormalization folded in).
    Conv,
    /// AveragePool, GlobalAveragePool, ReduceSum/ReduceMean.
    Pool,
    /// Element-wise Add/Sub/Mul/Div with a constant.
    Scale,
    /// Element-wise Add/Sub of two tensors (residual connections).
    Residual,
    /// Concat of tensors, or of tensors and constants: each row copies one value or holds a
    /// constant.
    Concat,
}

impl AffineKind {
    pub fn label(self) -> &'static str {
        match self {
            AffineKind::MatMul => "matmul",
            AffineKind::Conv => "conv",
            AffineKind::Pool => "avgpool",
            AffineKind::Scale => "scale",
            AffineKind::Residual => "add",
            AffineKind::Concat => "concat",
        }
    }
}

/// One term `coeff * inputs[src][idx]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub src: u8,
    pub idx: u32,
    pub coeff: f32,
}

/// One output element of an affine op.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub bias: f32,
    pub terms: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Affine {
    pub kind: AffineKind,
    pub inputs: Vec<TensorId>,
    pub rows: Vec<Row>,
    /// Parameters of the original op (weights + biases), for reports.
    pub params: usize,
}

/// An element-wise nonlinearity: one function of one input. Every variant but ReLU is a
/// lookup table over the whole quantized input range (`quant::table`), so adding a function
/// here is its float definition, its label, its bound on `|f(x)|` over an interval and its
/// Lipschitz constant (for the error bound of `quant::bound`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Nonlinearity {
    Relu,
    Sigmoid,
    Tanh,
    /// `x·Φ(x) = 0.5·x·(1 + erf(x/√2))`: ONNX `Gelu`, torch's `GELU()`, tract's `GeluExact`
    /// (also the decomposed Div/Erf/Add/Mul/Mul chain that exporters write).
    Gelu,
    /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`: ONNX `Gelu(approximate="tanh")`, torch's
    /// `GELU(approximate="tanh")`, GPT-2's `gelu_new`; tract's `GeluApproximate`.
    GeluTanh,
    /// `x·sigmoid(x)` (SiLU, swish): tract's `Silu`, which its declutter makes of `x * Sigmoid(x)`.
    Silu,
    /// The error function.
    Erf,
    /// `x·min(max(x + 3, 0), 6)/6`.
    HardSwish,
    Abs,
    /// `1/sqrt(max(x, 0)/n + eps)` of a sum of `n` squares: the reciprocal square root of an
    /// RMS / layer norm (`eps` as `f32::to_bits`). Its table is clamped at `x <= 0` (see
    /// `quant::table`), and its error bound is local (`quant::bound`): not in [`Self::ALL`].
    Rsqrt { n: u32, eps: u32 },
}

impl Nonlinearity {
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Nonlinearity::Relu => x.max(0.0),
            Nonlinearity::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Nonlinearity::Tanh => x.tanh(),
            Nonlinearity::Gelu => 0.5 * x * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2)),
            Nonlinearity::GeluTanh => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh())
            }
            Nonlinearity::Silu => x / (1.0 + (-x).exp()),
            Nonlinearity::Erf => libm::erf(x),
            Nonlinearity::HardSwish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
            Nonlinearity::Abs => x.abs(),
            Nonlinearity::Rsqrt { n, eps } => 1.0 / (x.max(0.0) / n.max(1) as f64 + f32::from_bits(eps) as f64).sqrt(),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Nonlinearity::Relu => "relu",
            Nonlinearity::Sigmoid => "sigmoid",
            Nonlinearity::Tanh => "tanh",
            Nonlinearity::Gelu => "gelu",
            Nonlinearity::GeluTanh => "gelu_tanh",
            Nonlinearity::Silu => "silu",
            Nonlinearity::Erf => "erf",
            Nonlinearity::HardSwish => "hard_swish",
            Nonlinearity::Abs => "abs",
            Nonlinearity::Rsqrt { .. } => "rsqrt",
        }
    }
    /// Every variant, for tests and reports.
    pub const ALL: [Nonlinearity; 9] = [
        Nonlinearity::Relu,
        Nonlinearity::Sigmoid,
        Nonlinearity::Tanh,
        Nonlinearity::Gelu,
        Nonlinearity::GeluTanh,
        Nonlinearity::Silu,
        Nonlinearity::Erf,
        Nonlinearity::HardSwish,
        Nonlinearity::Abs,
    ];
    /// A global Lipschitz constant: `|f(x) - f(y)| <= L·|x - y|` for all `x, y` (the maximum of
    /// `|f'|`: 1/4 for sigmoid; `2/√π` for erf; GELU's `Φ(x) + x·φ(x)` peaks at 1.1290 at
    /// `x = √2`, its tanh form at 1.1293 (rounded up here); SiLU's at 1.0998; hard-swish's
    /// `(2x + 3)/6` at 1.5).
    pub fn lipschitz(self) -> f64 {
        match self {
            Nonlinearity::Sigmoid => 0.25,
            Nonlinearity::Relu | Nonlinearity::Tanh | Nonlinearity::Abs => 1.0,
            Nonlinearity::Erf => 1.1284,
            Nonlinearity::Gelu | Nonlinearity::GeluTanh => 1.13,
            Nonlinearity::Silu => 1.1,
            Nonlinearity::HardSwish => 1.5,
            // Unbounded near 0: `quant::bound` uses the local slope instead.
            Nonlinearity::Rsqrt { .. } => f64::INFINITY,
        }
    }
    /// Whether `|f(x)| <= 1` everywhere (the table's output scale is then fixed).
    pub fn is_bounded_by_one(self) -> bool {
        matches!(self, Nonlinearity::Sigmoid | Nonlinearity::Tanh | Nonlinearity::Erf)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    Affine(Affine),
    Activation { input: TensorId, f: Nonlinearity },
    /// `y_j = max_{i in windows[j]} x[i]`.
    MaxPool { input: TensorId, windows: Vec<Vec<u32>> },
    /// `y_j = x[perm[j]]`: Reshape, Flatten, Transpose (no arithmetic).
    Permute { input: TensorId, perm: Vec<u32> },
    /// Products of two activations (see [`crate::product`]).
    Product(Product),
    /// `y = x / sqrt(mean_row(x²) + eps)` for each row (tract's `RmsNorm`, what its declutter
    /// makes of LayerNormalization after the centering and before the scale and shift);
    /// quantized as two products and a reciprocal-square-root table (see `quant::calibrate`).
    RmsNorm { input: TensorId, rows: Vec<Vec<u32>>, eps: f32 },
    /// Rows of the constant `table` (`dim` columns) picked by the integer ids of `input`
    /// (see [`crate::embedding`]).
    Embedding { input: TensorId, table: Vec<f32>, dim: usize },
    /// Softmax of each row (see [`crate::softmax`]); output `rows[r][i]` is the softmax of
    /// input `rows[r][i]` in its row.
    /// `masked` outputs (a `-inf` fill) are 0.
    Softmax { input: TensorId, rows: Vec<Vec<u32>>, masked: Vec<u32> },
}

impl Op {
    /// Tensors this op reads.
    pub fn inputs(&self) -> Vec<TensorId> {
        match self {
            Op::Affine(a) => a.inputs.clone(),
            Op::Product(p) => p.inputs.to_vec(),
            Op::Activation { input, .. }
            | Op::MaxPool { input, .. }
            | Op::Permute { input, .. }
            | Op::Softmax { input, .. }
            | Op::RmsNorm { input, .. }
            | Op::Embedding { input, .. } => vec![*input],
        }
    }
    pub fn label(&self) -> &'static str {
        match self {
            Op::Affine(a) => a.kind.label(),
            Op::Activation { f, .. } => f.label(),
            Op::MaxPool { .. } => "maxpool",
            Op::Permute { .. } => "reshape",
            Op::Product(p) => p.kind.label(),
            Op::Softmax { .. } => "softmax",
            Op::RmsNorm { .. } => "rms_norm",
            Op::Embedding { .. } => "embedding",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    pub op: Op,
    pub shape: Vec<usize>,
}

impl Node {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    pub input_shape: Vec<usize>,
    pub nodes: Vec<Node>,
}

impl Graph {
    pub fn input_len(&self) -> usize {
        self.input_shape.iter().product()
    }
    /// Shape of tensor `t` (empty for an id past the last node).
    pub fn shape(&self, t: TensorId) -> &[usize] {
        match t {
            0 => &self.input_shape,
            _ => self.nodes.get(t - 1).map_or(&[], |n| n.shape.as_slice()),
        }
    }
    pub fn output_shape(&self) -> &[usize] {
        self.shape(self.nodes.len())
    }
    /// How many nodes read each tensor (index = tensor id), plus one for the model output.
    pub fn use_counts(&self) -> Vec<usize> {
        let mut uses = vec![0; self.nodes.len() + 1];
        for n in &self.nodes {
            for i in n.op.inputs() {
                uses[i] += 1;
            }
        }
        uses[self.nodes.len()] += 1;
        uses
    }
}

impl Graph {
    /// Check the wiring: every op reads earlier tensors only, every index is inside its tensor,
    /// and each op's row / window / permutation count matches its shape. Graphs from
    /// [`crate::load_onnx`] always pass; the passes after it rely on this.
    pub fn validate(&self) -> Result<()> {
        let mut lens = vec![self.input_len()];
        for node in &self.nodes {
            let err = |reason: String| ModelError::Node { node: node.name.clone(), reason };
            let len_of = |t: TensorId| {
                lens.get(t).copied().ok_or_else(|| err(format!("reads tensor {t}, which is not computed before it")))
            };
            let inside = |idx: u32, len: usize| {
                if (idx as usize) < len {
                    Ok(())
                } else {
                    Err(err(format!("index {idx} is outside a tensor of {len} elements")))
                }
            };
            let n = node.len();
            let outputs = match &node.op {
                Op::Affine(a) => {
                    let in_lens: Vec<usize> = a.inputs.iter().map(|&t| len_of(t)).collect::<Result<_>>()?;
                    for t in a.rows.iter().flat_map(|r| &r.terms) {
                        let len = in_lens.get(t.src as usize).ok_or_else(|| err(format!("term reads input slot {}", t.src)))?;
                        inside(t.idx, *len)?;
                    }
                    a.rows.len()
                }
                Op::Activation { input, .. } => len_of(*input)?,
                Op::MaxPool { input, windows } => {
                    let len = len_of(*input)?;
                    for w in windows {
                        if w.is_empty() {
                            return Err(err("empty max-pool window".into()));
                        }
                        w.iter().try_for_each(|&i| inside(i, len))?;
                    }
                    windows.len()
                }
                Op::Permute { input, perm } => {
                    let len = len_of(*input)?;
                    perm.iter().try_for_each(|&i| inside(i, len))?;
                    perm.len()
                }
                Op::Embedding { input, table, dim } => {
                    if *dim == 0 || table.is_empty() || table.len() % dim != 0 || table.iter().any(|v| !v.is_finite()) {
                        return Err(err(format!("embedding table of {} values in {dim} columns", table.len())));
                    }
                    len_of(*input)? * dim
                }
                Op::RmsNorm { input, rows, eps } => {
                    let len = len_of(*input)?;
                    crate::softmax::check_rows(rows, &[], len).map_err(err)?;
                    if rows.iter().any(|r| r.len() != rows[0].len()) || !eps.is_finite() || *eps < 0.0 {
                        return Err(err("RMS norm rows of different lengths or a bad eps".into()));
                    }
                    len
                }
                Op::Softmax { input, rows, masked } => {
                    let len = len_of(*input)?;
                    crate::softmax::check_rows(rows, masked, len).map_err(err)?;
                    len
                }
                Op::Product(p) => {
                    let lens = [len_of(p.inputs[0])?, len_of(p.inputs[1])?];
                    p.check(lens, n).map_err(err)?;
                    n
                }
            };
            if outputs != n {
                return Err(err(format!("computes {outputs} values for shape {:?} ({n} elements)", node.shape)));
            }
            lens.push(n);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_wiring_is_a_node_error() {
        let permute = |input, perm: Vec<u32>| Node { name: "p".into(), op: Op::Permute { input, perm }, shape: vec![2] };
        let ok = Graph { input_shape: vec![2], nodes: vec![permute(0, vec![1, 0])] };
        ok.validate().unwrap();
        for bad in [
            Graph { input_shape: vec![2], nodes: vec![permute(0, vec![1, 2])] },
            Graph { input_shape: vec![2], nodes: vec![permute(1, vec![1, 0])] },
            Graph { input_shape: vec![2], nodes: vec![permute(0, vec![1])] },
            Graph {
                input_shape: vec![2],
                nodes: vec![Node { name: "m".into(), op: Op::MaxPool { input: 0, windows: vec![vec![], vec![0]] }, shape: vec![2] }],
            },
        ] {
            let e = bad.validate().unwrap_err();
            assert!(matches!(e, ModelError::Node { .. }), "{e}");
            assert!(crate::simplify::simplify(bad.clone()).is_err());
            assert!(matches!(crate::float::forward(&bad, &[0.0, 1.0]), Err(ModelError::Node { .. })));
        }
    }
}
