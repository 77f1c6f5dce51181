//! Quantized model (models crate) -> circuit IR (circuits crate). The two crates do not know
//! each other, so that the thin verifier can use the circuit without ONNX or ndarray.
use zkinfer_circuits::ir::{Activation, AffineLayer, AffineRow, CircuitModel, Layer, LayerKind, Requant, Term};
use zkinfer_models::quant::{QAct, QOp, QuantModel};

fn act(a: &QAct) -> Activation {
    match a {
        QAct::Identity => Activation::Identity,
        QAct::Relu => Activation::Relu,
        QAct::Table { f, min, values, .. } => Activation::Table { name: f.label().to_string(), min: *min, values: values.clone() },
    }
}

/// The circuit model proving exactly `QuantModel::forward`.
pub fn lower(m: &QuantModel) -> CircuitModel {
    let layers = m
        .layers
        .iter()
        .map(|l| {
            let kind = match &l.op {
                QOp::Affine { inputs, rows, shift, act: a, .. } => LayerKind::Affine(AffineLayer {
                    inputs: inputs.clone(),
                    rows: rows
                        .iter()
                        .map(|r| AffineRow {
                            bias: r.bias,
                            terms: r.terms.iter().map(|t| Term { src: t.src, idx: t.idx, coeff: t.coeff }).collect(),
                        })
                        .collect(),
                    requant: Requant { shift: *shift, act: act(a) },
                }),
                QOp::Activation { input, shift, act: a } => {
                    LayerKind::Requant { input: *input, requant: Requant { shift: *shift, act: act(a) } }
                }
                QOp::MaxPool { input, windows } => LayerKind::MaxPool { input: *input, windows: windows.clone() },
                QOp::Permute { input, perm } => LayerKind::Permute { input: *input, perm: perm.clone() },
            };
            Layer { name: l.name.clone(), kind }
        })
        .collect();
    CircuitModel { input_len: m.input_len(), layers, bits: m.config.bits }
}
