//! Where a quantized model loses precision: every layer's dequantized integer tensor against
//! the float tensor it stands for, over a data set (`zkinfer accuracy --layers`).
//!
//! A layer stands for the float node of its name, or, when an activation is fused into it
//! (an affine op or product whose only reader is the activation), for that activation's
//! output. Layers with no float counterpart (the reciprocal-square-root factor of a norm,
//! `NAME.rsqrt`) report only their range use.
use rayon::prelude::*;
use serde::Serialize;

use crate::data::Dataset;
use crate::error::{ModelError, Result};
use crate::graph::{Graph, Op, TensorId};
use crate::quant::{QAct, QOp, QuantModel};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerError {
    pub layer: String,
    /// The layer's scale exponent: values are `q · 2^-scale`.
    pub scale: i32,
    /// The float tensor compared with (`None`: no float counterpart).
    pub float_tensor: Option<TensorId>,
    /// Largest |float value| of that tensor over the samples.
    pub float_max: f64,
    /// Largest |integer value| over the samples, as a fraction of the activation range's
    /// limit `2^(bits-1)`: near 1 a larger input overflows, near 0 precision is wasted.
    pub range_used: f64,
    pub max_abs_error: f64,
    pub mean_abs_error: f64,
}

/// Whether `op` applies an activation fused into it.
fn fused(op: &QOp) -> bool {
    matches!(op, QOp::Affine { act, .. } | QOp::Product { act, .. } if !matches!(act, QAct::Identity))
}

/// For each layer of `model`, the float tensor of `graph` it stands for.
pub fn float_tensors(graph: &Graph, model: &QuantModel) -> Vec<Option<TensorId>> {
    let mut from = 0;
    model
        .layers
        .iter()
        .map(|layer| {
            let n = (from..graph.nodes.len()).find(|&n| graph.nodes[n].name == layer.name)?;
            from = n + 1;
            let node = &graph.nodes[n];
            let mut t = n + 1;
            if fused(&layer.op) && !matches!(node.op, Op::Activation { .. }) {
                t = graph.nodes.iter().position(|m| matches!(m.op, Op::Activation { input, .. } if input == n + 1))? + 1;
            }
            (graph.nodes[t - 1].len() == layer.shape.iter().product::<usize>()).then_some(t)
        })
        .collect()
}

/// Per-layer errors over the samples of `data` whose integer inference stays in range.
pub fn layer_errors(graph: &Graph, model: &QuantModel, data: &Dataset) -> Result<Vec<LayerError>> {
    let data = data.fit(&graph.input_shape)?;
    if data.samples.is_empty() {
        return Err(ModelError::NoCalibrationData);
    }
    let map = float_tensors(graph, model);
    let limit = (1i64 << (model.config.bits - 1)) as f64;
    // Per sample and layer: (float max, int max, max error, error sum, count).
    let per: Vec<Option<Vec<[f64; 5]>>> = data
        .samples
        .par_iter()
        .enumerate()
        .map(|(i, x)| {
            let float = crate::float::forward(graph, x).map_err(|e| e.at_sample(i))?;
            let trace = match model.quantize_input(x).and_then(|q| model.forward(&q)) {
                Ok(t) => t,
                Err(ModelError::OutOfRange { .. }) => return Ok(None),
                Err(e) => return Err(e.at_sample(i)),
            };
            let stats = model
                .layers
                .iter()
                .zip(&map)
                .enumerate()
                .map(|(l, (layer, t))| {
                    let q = &trace.tensors[l + 1];
                    let imax = q.iter().fold(0f64, |m, &v| m.max((v as f64).abs()));
                    let Some(t) = t else { return [0.0, imax, 0.0, 0.0, 0.0] };
                    let f = &float[*t];
                    let unit = (-layer.scale as f64).exp2();
                    let (mut fmax, mut emax, mut sum) = (0f64, 0f64, 0f64);
                    for (a, &b) in q.iter().zip(f) {
                        let e = (*a as f64 * unit - b as f64).abs();
                        fmax = fmax.max((b as f64).abs());
                        emax = emax.max(e);
                        sum += e;
                    }
                    [fmax, imax, emax, sum, f.len() as f64]
                })
                .collect();
            Ok(Some(stats))
        })
        .collect::<Result<_>>()?;
    Ok(model
        .layers
        .iter()
        .zip(&map)
        .enumerate()
        .map(|(l, (layer, t))| {
            let mut acc = [0f64; 5];
            for s in per.iter().flatten() {
                let s = s[l];
                acc = [acc[0].max(s[0]), acc[1].max(s[1]), acc[2].max(s[2]), acc[3] + s[3], acc[4] + s[4]];
            }
            LayerError {
                layer: layer.name.clone(),
                scale: layer.scale,
                float_tensor: *t,
                float_max: acc[0],
                range_used: acc[1] / limit,
                max_abs_error: acc[2],
                mean_abs_error: if acc[4] > 0.0 { acc[3] / acc[4] } else { 0.0 },
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::zoo;

    /// On the zoo MLP every layer has its float counterpart, the errors are small against the
    /// values and the output layer's error is the end-to-end one.
    #[test]
    fn the_zoo_mlp_layers_are_matched_and_close() {
        let calibration = Dataset::load(&zoo("calibration.json")).unwrap();
        let test = Dataset::load(&zoo("digits_test.json")).unwrap();
        let (g, m) = crate::load_and_quantize(&zoo("mlp.onnx"), &calibration, &crate::QuantConfig::default()).unwrap();
        let layers = layer_errors(&g, &m, &test).unwrap();
        assert_eq!(layers.len(), m.layers.len());
        for l in &layers {
            assert!(l.float_tensor.is_some(), "{l:?}");
            assert!(l.range_used > 0.05 && l.range_used <= 1.0, "{l:?}");
            assert!(l.max_abs_error < 0.1 * l.float_max.max(1.0), "{l:?}");
        }
        let end = crate::accuracy::evaluate(&g, &m, &test).unwrap();
        let last = layers.last().unwrap();
        assert!((last.max_abs_error - end.max_abs_error).abs() < 1e-6, "{last:?} vs {end:?}");
    }
}
