//! What `zkinfer inspect` prints about a quantized model.
use serde::Serialize;

use crate::quant::{QOp, QuantModel};

#[derive(Clone, Debug, Serialize)]
pub struct LayerSummary {
    pub name: String,
    pub op: String,
    pub shape: Vec<usize>,
    pub params: usize,
    /// Multiply-accumulates (terms of the affine map).
    pub macs: usize,
    /// Elements that go through a nonlinearity (ReLU, sigmoid, tanh, max).
    pub nonlinear: usize,
    /// Scale exponent of the output: value = integer / 2^scale.
    pub scale: i32,
    pub shift: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelSummary {
    pub input_shape: Vec<usize>,
    pub input_scale: i32,
    pub output_shape: Vec<usize>,
    pub bits: u32,
    pub layers: Vec<LayerSummary>,
    pub params: usize,
    pub macs: usize,
    pub nonlinear: usize,
    pub model_hash: String,
}

pub fn summarize(m: &QuantModel) -> ModelSummary {
    let layers: Vec<LayerSummary> = m
        .layers
        .iter()
        .map(|l| {
            let n: usize = l.shape.iter().product();
            let (op, params, macs, nonlinear, shift) = match &l.op {
                QOp::Affine { kind, rows, act, params, shift, .. } => {
                    let label = if act.is_nonlinear() { format!("{}+{}", kind.label(), act.label()) } else { kind.label().to_string() };
                    let macs = rows.iter().map(|r| r.terms.len()).sum();
                    (label, *params, macs, if act.is_nonlinear() { n } else { 0 }, *shift)
                }
                QOp::Activation { act, shift, .. } => (act.label().to_string(), 0, 0, n, *shift),
                QOp::MaxPool { windows, .. } => ("maxpool".to_string(), 0, 0, windows.iter().map(Vec::len).sum(), 0),
                QOp::Permute { .. } => ("reshape".to_string(), 0, 0, 0, 0),
                QOp::Softmax { .. } => ("softmax".to_string(), 0, 0, n, 0),
                QOp::Embedding { tables, .. } => ("embedding".to_string(), tables.len() * tables.first().map_or(0, Vec::len), 0, 0, 0),
                QOp::Product { kind, blocks, act, shift, .. } => {
                    let label = if act.is_nonlinear() { format!("{}+{}", kind.label(), act.label()) } else { kind.label().to_string() };
                    let macs = blocks.iter().map(|b| b.m as usize * b.b.iter().map(Vec::len).sum::<usize>()).sum();
                    (label, 0, macs, if act.is_nonlinear() { n } else { 0 }, *shift)
                }
            };
            LayerSummary { name: l.name.clone(), op, shape: l.shape.clone(), params, macs, nonlinear, scale: l.scale, shift }
        })
        .collect();
    ModelSummary {
        input_shape: m.input_shape.clone(),
        input_scale: m.input_scale,
        output_shape: m.output_shape().to_vec(),
        bits: m.config.bits,
        params: layers.iter().map(|l| l.params).sum(),
        macs: layers.iter().map(|l| l.macs).sum(),
        nonlinear: layers.iter().map(|l| l.nonlinear).sum(),
        layers,
        model_hash: m.hash_hex(),
    }
}
