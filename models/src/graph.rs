//! The float graph IR that ONNX import produces.
//!
//! Shapes are concrete (a symbolic batch dimension becomes 1) and constants are folded. Every
//! linear op (Gemm, MatMul, Conv, pooling sums, Add/Sub/Mul/Div by constants, BatchNormalization,
//! residual Add/Sub) is one [`Affine`] op: an explicit sparse map `out_j = bias_j + sum c * x[i]`.
//! That one form is what quantization, the integer reference and the circuit all work on.
use serde::{Deserialize, Serialize};

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
}

impl AffineKind {
    pub fn label(self) -> &'static str {
        match self {
            AffineKind::MatMul => "matmul",
            AffineKind::Conv => "conv",
            AffineKind::Pool => "avgpool",
            AffineKind::Scale => "scale",
            AffineKind::Residual => "add",
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

/// An element-wise nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Nonlinearity {
    Relu,
    Sigmoid,
    Tanh,
}

impl Nonlinearity {
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Nonlinearity::Relu => x.max(0.0),
            Nonlinearity::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Nonlinearity::Tanh => x.tanh(),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Nonlinearity::Relu => "relu",
            Nonlinearity::Sigmoid => "sigmoid",
            Nonlinearity::Tanh => "tanh",
        }
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
}

impl Op {
    /// Tensors this op reads.
    pub fn inputs(&self) -> Vec<TensorId> {
        match self {
            Op::Affine(a) => a.inputs.clone(),
            Op::Activation { input, .. } | Op::MaxPool { input, .. } | Op::Permute { input, .. } => {
                vec![*input]
            }
        }
    }
    pub fn label(&self) -> &'static str {
        match self {
            Op::Affine(a) => a.kind.label(),
            Op::Activation { f, .. } => f.label(),
            Op::MaxPool { .. } => "maxpool",
            Op::Permute { .. } => "reshape",
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
    /// Shape of tensor `t`.
    pub fn shape(&self, t: TensorId) -> &[usize] {
        if t == 0 {
            &self.input_shape
        } else {
            &self.nodes[t - 1].shape
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
