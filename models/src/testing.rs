//! Shared test harness: fixture paths, a deterministic generator, tract as the independent
//! reference, and [`check_op`], the check every per-op fixture goes through.
use std::path::PathBuf;

use tract_onnx::prelude::*;

use crate::graph::Graph;
use crate::quant::{error_bounds, QuantModel};
use crate::QuantConfig;

/// `tests/fixtures/<rel>` in the workspace.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(rel)
}

/// `models/zoo/<rel>`.
pub fn zoo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("zoo").join(rel)
}

/// splitmix64: deterministic, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (lo as f64 + u * (hi - lo) as f64) as f32
    }
}

/// `n` inputs of `len` values uniform in [-2, 2], the first all zeros.
pub fn samples(n: usize, len: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| (0..len).map(|_| if i == 0 { 0.0 } else { rng.uniform(-2.0, 2.0) }).collect())
        .collect()
}

/// Run the ONNX file with tract's own optimized plan on one input of `shape`; returns the
/// output shape and values.
pub fn tract_run(path: &std::path::Path, shape: &[usize], x: &[f32]) -> (Vec<usize>, Vec<f32>) {
    let plan = tract_onnx::onnx()
        .model_for_path(path)
        .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .unwrap_or_else(|e| panic!("tract cannot run {}: {e:?}", path.display()));
    let input = Tensor::from_shape(shape, x).unwrap();
    let out = plan.run(tvec!(input.into_tvalue())).unwrap();
    let view = out[0].to_plain_array_view::<f32>().unwrap();
    (view.shape().to_vec(), view.iter().copied().collect())
}

/// What [`check_op`] measured, for further per-op assertions.
pub struct OpCheck {
    pub graph: Graph,
    pub model: QuantModel,
    /// Largest |float - dequantized integer| over all samples and outputs.
    pub max_err: f64,
    /// Largest error bound over all samples and outputs.
    pub max_bound: f64,
}

/// The check every per-op fixture `tests/fixtures/ops/<name>.onnx` passes, on 16 random inputs
/// in [-2, 2] (and all zeros):
/// (a) our float forward equals tract's execution of the file within `1e-4 * (1 + |y|)`, with
///     the same output shape;
/// (b) after calibrating on those inputs and quantizing with the default settings, every
///     dequantized integer output is within the rigorous bound of [`error_bounds`] of the float
///     output (plus `1e-5 * (1 + |y|)` for the float reference's own f32 rounding): half a unit
///     per rounding, plus coefficient rounding and the input error carried through `sum |c|`
///     (see `quant/bound.rs` for the derivation). On top of that, with `u` one unit of the
///     coarsest scale used and `d` the number of layers that round: the measured error is at
///     most `4 u d` and the derived bound at most `16 u d`.
pub fn check_op(name: &str) -> OpCheck {
    check_model(&format!("ops/{name}.onnx"))
}

/// [`check_model`] without the all-zeros input: for a normalization, whose float value at 0 is
/// `x / sqrt(eps)` (slope `1/sqrt(eps)`), the rigorous bound there is honest but large.
pub fn check_op_away_from_zero(name: &str) -> OpCheck {
    check_samples(&format!("ops/{name}.onnx"), 1)
}

/// [`check_op`] on any fixture `tests/fixtures/<name>`.
pub fn check_model(name: &str) -> OpCheck {
    check_samples(name, 0)
}

/// [`check_model`] on the samples after the first `skip`.
fn check_samples(name: &str, skip: usize) -> OpCheck {
    let path = fixture(name);
    let graph = crate::load_onnx(&path).and_then(crate::simplify::simplify).unwrap_or_else(|e| panic!("{name}: {e}"));
    let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    let xs: Vec<Vec<f32>> = samples(17, graph.input_len(), seed).into_iter().skip(skip).collect();
    for x in &xs {
        let (shape, want) = tract_run(&path, &graph.input_shape, x);
        let got = crate::float::predict(&graph, x).unwrap();
        assert_eq!(shape, graph.output_shape(), "{name}: output shape");
        for (j, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{name}: float output {j}: ours {g}, tract {w}");
        }
    }
    let max_abs = crate::quant::calibrate(&graph, &xs).unwrap();
    let model = crate::quant::quantize(&graph, &max_abs, &QuantConfig::default()).unwrap();
    let (mut max_err, mut max_bound) = (0f64, 0f64);
    let (coarse_lsb, rounding_layers) = rounding_profile(&model);
    for x in &xs {
        let float = crate::float::predict(&graph, x).unwrap();
        let trace = model.quantize_input(x).and_then(|q| model.forward(&q)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let out: Vec<i64> = trace.output().iter().copied().collect();
        let deq = model.dequantize_output(&out);
        let bounds = error_bounds(&model, &trace).unwrap();
        let bound = bounds.last().unwrap();
        for (j, (f, q)) in float.iter().zip(&deq).enumerate() {
            let err = (*f as f64 - *q as f64).abs();
            assert!(
                err <= bound[j] + 1e-5 * (1.0 + f.abs() as f64),
                "{name}: output {j}: float {f}, integer {q}, error {err} > bound {}",
                bound[j]
            );
            max_err = max_err.max(err);
            max_bound = max_bound.max(bound[j]);
        }
    }
    // Two coarser statements, in units u of the coarsest scale any value is rounded to, per
    // layer that rounds (depth d): the measured error stays within the usual "a few units per
    // layer", 4 u d; and the derived bound is not vacuous: at most 16 u d (it is larger than
    // the measured error because it assumes every coefficient rounding error lines up, which
    // grows with fan-in: about 9 u for a 3x3x2 convolution).
    let (u, d) = (coarse_lsb, rounding_layers as f64);
    assert!(max_err <= 4.0 * u * d, "{name}: error {max_err} exceeds 4 units of {u} per layer ({d} layers)");
    assert!(max_bound <= 16.0 * u * d, "{name}: error bound {max_bound} exceeds 16 units of {u} per layer ({d} layers)");
    OpCheck { graph, model, max_err, max_bound }
}

/// One unit of the coarsest scale any value is rounded to (input, layer outputs, table inputs),
/// and the number of layers that round (at least 1: the input itself).
fn rounding_profile(model: &QuantModel) -> (f64, usize) {
    use crate::quant::{QAct, QOp};
    let mut coarsest = model.input_scale;
    let mut layers = 0;
    for l in &model.layers {
        let act = match &l.op {
            QOp::Affine { act, .. } | QOp::Activation { act, .. } | QOp::Product { act, .. } => act,
            QOp::Softmax { in_scale, .. } => {
                layers += 1;
                coarsest = coarsest.min(l.scale).min(*in_scale);
                continue;
            }
            QOp::MaxPool { .. } | QOp::Permute { .. } | QOp::Embedding { .. } => continue,
        };
        layers += 1;
        coarsest = coarsest.min(l.scale);
        if let QAct::Table { in_scale, .. } = act {
            coarsest = coarsest.min(*in_scale);
        }
    }
    ((-(coarsest as f64)).exp2(), layers.max(1))
}

/// Op labels of the simplified graph, in order.
pub fn labels(g: &Graph) -> Vec<&'static str> {
    g.nodes.iter().map(|n| n.op.label()).collect()
}


/// [`tract_run`] for a model whose input is int64 token ids (`x` holds integers).
pub fn tract_run_ids(path: &std::path::Path, x: &[f32]) -> (Vec<usize>, Vec<f32>) {
    let plan = tract_onnx::onnx()
        .model_for_path(path)
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .unwrap_or_else(|e| panic!("tract cannot run {}: {e:?}", path.display()));
    let ids: Vec<i64> = x.iter().map(|&v| v as i64).collect();
    let input = Tensor::from_shape(&[1, ids.len()], &ids).unwrap();
    let out = plan.run(tvec!(input.into_tvalue())).unwrap();
    let view = out[0].to_plain_array_view::<f32>().unwrap();
    (view.shape().to_vec(), view.iter().copied().collect())
}
