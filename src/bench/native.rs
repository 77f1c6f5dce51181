//! Native (no proof) forward passes, timed per layer and split by the kind of work: the float
//! reference over the [`Graph`] and the integer reference over the [`QuantModel`], where an
//! affine layer's accumulation (linear) is timed apart from its rescale and activation.
//!
//! Both run on one thread (the models crate parallelizes only layers above 2^14 terms). They
//! compute exactly what `zkinfer_models::float::forward` and `QuantModel::forward` compute; the
//! tests check that.
use std::time::Instant;

use zkinfer_models::graph::{Graph, Op};
use zkinfer_models::quant::{round_shift, QAct, QOp, QuantModel};
use zkinfer_models::{ModelError, Result};

/// What kind of work a part of a layer is, for the tables of `zkinfer bench`.
pub fn act_kind(a: &QAct) -> &'static str {
    match a {
        QAct::Identity => "rescale",
        QAct::Relu => "relu",
        QAct::Table { f, .. } => f.label(),
    }
}

/// One timed part of a layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub layer: String,
    pub kind: &'static str,
    pub seconds: f64,
}

/// Run the float graph once; returns every tensor and the time of each node.
pub fn float_forward(graph: &Graph, input: &[f32]) -> Result<(Vec<Vec<f32>>, Vec<Part>)> {
    zkinfer_models::float::check_input(graph, input)?;
    let mut tensors: Vec<Vec<f32>> = vec![input.to_vec()];
    let mut parts = Vec::with_capacity(graph.nodes.len());
    for node in &graph.nodes {
        let bad = || ModelError::Node { node: node.name.clone(), reason: "reads outside its input tensor".into() };
        let at = |x: &[f32], i: u32| x.get(i as usize).copied().ok_or_else(bad);
        let t = Instant::now();
        let out: Vec<f32> = match &node.op {
            Op::Affine(a) => {
                let srcs: Vec<&Vec<f32>> = a.inputs.iter().map(|&i| tensors.get(i).ok_or_else(bad)).collect::<Result<_>>()?;
                let mut out = Vec::with_capacity(a.rows.len());
                for r in &a.rows {
                    let mut s = r.bias as f64;
                    for term in &r.terms {
                        let x = srcs.get(term.src as usize).ok_or_else(bad)?;
                        s += term.coeff as f64 * at(x, term.idx)? as f64;
                    }
                    out.push(s as f32);
                }
                out
            }
            Op::Activation { input, f } => tensors.get(*input).ok_or_else(bad)?.iter().map(|&x| f.apply(x as f64) as f32).collect(),
            Op::MaxPool { input, windows } => {
                let x = tensors.get(*input).ok_or_else(bad)?;
                windows.iter().map(|w| w.iter().try_fold(f32::NEG_INFINITY, |m, &i| Ok(m.max(at(x, i)?)))).collect::<Result<_>>()?
            }
            Op::Permute { input, perm } => {
                let x = tensors.get(*input).ok_or_else(bad)?;
                perm.iter().map(|&i| at(x, i)).collect::<Result<_>>()?
            }
            Op::Embedding { input, table, dim } => zkinfer_models::embedding::embed_f64(tensors.get(*input).ok_or_else(bad)?, table, *dim),
            Op::RmsNorm { input, rows, eps } => zkinfer_models::norm::rms_norm_f64(tensors.get(*input).ok_or_else(bad)?, rows, *eps),
            Op::Softmax { input, rows, .. } => {
                let x: Vec<f64> = tensors.get(*input).ok_or_else(bad)?.iter().map(|&v| v as f64).collect();
                zkinfer_models::softmax::softmax_f64(&x, rows).into_iter().map(|v| v as f32).collect()
            }
            Op::Product(p) => {
                let (x, y) = (tensors.get(p.inputs[0]).ok_or_else(bad)?, tensors.get(p.inputs[1]).ok_or_else(bad)?);
                p.pairs(node.len())
                    .iter()
                    .map(|ps| ps.iter().try_fold(0f64, |s, &(a, b)| Ok(s + at(x, a)? as f64 * at(y, b)? as f64)).map(|s| s as f32))
                    .collect::<Result<_>>()?
            }
        };
        let seconds = t.elapsed().as_secs_f64();
        let kind = match &node.op {
            Op::Affine(a) => a.kind.label(),
            other => other.label(),
        };
        parts.push(Part { layer: node.name.clone(), kind, seconds });
        tensors.push(out);
    }
    Ok((tensors, parts))
}

/// Run the integer model once on a quantized input; returns every tensor (flat) and the time
/// of each part: an affine layer gives two parts, its accumulation and its rescale+activation.
pub fn int_forward(m: &QuantModel, input: &[i64]) -> Result<(Vec<Vec<i64>>, Vec<Part>)> {
    m.validate()?;
    let (min, max) = (m.config.min(), m.config.max());
    let check = |layer: &str, index: usize, q: i128| -> Result<i64> {
        if q < min as i128 || q > max as i128 {
            let value = q.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
            return Err(ModelError::OutOfRange { layer: layer.into(), index, value, min, max, bits: m.config.bits });
        }
        Ok(q as i64)
    };
    if input.len() != m.input_len() {
        return Err(ModelError::InputLength { sample: 0, expected: m.input_len(), got: input.len(), shape: m.input_shape.clone() });
    }
    // Indexing below is in bounds: `validate` checked every index and the wiring.
    let mut flat: Vec<Vec<i64>> = vec![input.to_vec()];
    let mut parts = Vec::with_capacity(2 * m.layers.len());
    for layer in &m.layers {
        let name = layer.name.as_str();
        let mut part = |kind: &'static str, t: Instant| parts.push(Part { layer: name.into(), kind, seconds: t.elapsed().as_secs_f64() });
        let out = match &layer.op {
            QOp::Affine { kind, inputs, rows, shift, act, .. } => {
                let t = Instant::now();
                let srcs: Vec<&[i64]> = inputs.iter().map(|&i| flat[i].as_slice()).collect();
                let zs: Vec<i128> = rows
                    .iter()
                    .map(|r| r.bias as i128 + r.terms.iter().map(|t| t.coeff as i128 * srcs[t.src as usize][t.idx as usize] as i128).sum::<i128>())
                    .collect();
                part(kind.label(), t);
                let t = Instant::now();
                let out = zs.iter().enumerate().map(|(j, &z)| Ok(act.apply(check(name, j, round_shift(z, *shift))?))).collect::<Result<Vec<_>>>()?;
                part(act_kind(act), t);
                out
            }
            QOp::Activation { input, shift, act } => {
                let t = Instant::now();
                let out = flat[*input]
                    .iter()
                    .enumerate()
                    .map(|(j, &x)| Ok(act.apply(check(name, j, round_shift(x as i128, *shift))?)))
                    .collect::<Result<Vec<_>>>()?;
                part(act_kind(act), t);
                out
            }
            QOp::MaxPool { input, windows } => {
                let t = Instant::now();
                let x = &flat[*input];
                let out = windows.iter().map(|w| w.iter().map(|&i| x[i as usize]).max().unwrap_or(0)).collect();
                part("maxpool", t);
                out
            }
            QOp::Permute { input, perm } => {
                let t = Instant::now();
                let out = perm.iter().map(|&i| flat[*input][i as usize]).collect();
                part("reshape", t);
                out
            }
            QOp::Embedding { input, tables } => {
                let t = Instant::now();
                let out = flat[*input].iter().flat_map(|&q| tables.iter().map(move |t| usize::try_from(q).ok().and_then(|id| t.get(id)).copied().unwrap_or(0))).collect();
                part("embedding", t);
                out
            }
            QOp::Softmax { input, rows, exp, .. } => {
                let t = Instant::now();
                let out = zkinfer_models::softmax::softmax_int(&flat[*input], rows, exp, min, max, layer.scale);
                part("softmax", t);
                out
            }
            QOp::Product { kind, inputs, shift, act, .. } => {
                let t = Instant::now();
                let (x, y) = (&flat[inputs[0]], &flat[inputs[1]]);
                let pairs = layer.op.product_pairs(layer.shape.iter().product()).unwrap_or_default();
                let zs: Vec<i128> = pairs.iter().map(|ps| ps.iter().map(|&(a, b)| x[a as usize] as i128 * y[b as usize] as i128).sum()).collect();
                part(kind.label(), t);
                let t = Instant::now();
                let out = zs.iter().enumerate().map(|(j, &z)| Ok(act.apply(check(name, j, round_shift(z, *shift))?))).collect::<Result<Vec<_>>>()?;
                part(act_kind(act), t);
                out
            }
        };
        flat.push(out);
    }
    Ok((flat, parts))
}

/// Median over `reps` runs of each part's time (parts in the order of one run).
fn median_parts(runs: Vec<Vec<Part>>) -> Vec<Part> {
    let Some(first) = runs.first() else { return vec![] };
    let mut out = first.clone();
    for (i, p) in out.iter_mut().enumerate() {
        let mut v: Vec<f64> = runs.iter().filter_map(|r| r.get(i)).map(|q| q.seconds).collect();
        p.seconds = median(&mut v);
    }
    out
}

/// Median of a non-empty slice (0 when empty).
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) }
}

/// How many runs to time: enough for about `budget` seconds, between 5 and 2000.
fn reps_for(one_run: f64, budget: f64) -> usize {
    ((budget / one_run.max(1e-7)) as usize).clamp(5, 2000)
}

/// Per-part median times of the float and integer forward passes on `input`, each repeated
/// for about `budget` seconds.
pub fn time_native(graph: &Graph, quant: &QuantModel, input: &[f32], budget: f64) -> Result<(Vec<Part>, Vec<Part>)> {
    let q = quant.quantize_input(input)?;
    let t = Instant::now();
    float_forward(graph, input)?;
    let reps = reps_for(t.elapsed().as_secs_f64(), budget);
    let float = (0..reps).map(|_| float_forward(graph, input).map(|r| r.1)).collect::<Result<Vec<_>>>()?;
    let t = Instant::now();
    int_forward(quant, &q)?;
    let reps = reps_for(t.elapsed().as_secs_f64(), budget);
    let int = (0..reps).map(|_| int_forward(quant, &q).map(|r| r.1)).collect::<Result<Vec<_>>>()?;
    Ok((median_parts(float), median_parts(int)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::synth;
    use zkinfer_models::graph::Nonlinearity;
    use zkinfer_models::QuantConfig;

    #[test]
    fn timed_forwards_compute_what_the_references_compute() {
        let graphs = [
            synth::mlp(&[64, 24, 24, 10], 3),
            synth::conv(2, 3, 6, 4),
            synth::maxpool(2, 6),
            synth::avgpool(2, 6),
            synth::activation(32, Nonlinearity::Sigmoid),
            synth::activation(32, Nonlinearity::Tanh),
        ];
        for g in graphs {
            let cal = synth::samples(g.input_len(), 8, true, 11);
            let p = synth::prepare_graph(g, &cal, &QuantConfig::default()).unwrap();
            for x in &cal {
                let (tensors, parts) = float_forward(p.graph.get().unwrap(), x).unwrap();
                assert_eq!(tensors, zkinfer_models::float::forward(p.graph.get().unwrap(), x).unwrap());
                assert_eq!(parts.len(), p.graph.get().unwrap().nodes.len());
                let q = p.quant.quantize_input(x).unwrap();
                let (flat, _) = int_forward(&p.quant, &q).unwrap();
                let reference = p.quant.forward(&q).unwrap();
                for (a, b) in flat.iter().zip(&reference.tensors) {
                    assert_eq!(a.as_slice(), b.iter().copied().collect::<Vec<_>>().as_slice());
                }
            }
        }
    }

    #[test]
    fn affine_layers_split_into_linear_and_activation_parts() {
        let g = synth::mlp(&[16, 8, 4], 1);
        let cal = synth::samples(16, 4, false, 2);
        let p = synth::prepare_graph(g, &cal, &QuantConfig::default()).unwrap();
        let (f, i) = time_native(p.graph.get().unwrap(), &p.quant, &cal[0], 0.001).unwrap();
        let kinds = |v: &[Part]| v.iter().map(|p| p.kind).collect::<Vec<_>>();
        assert_eq!(kinds(&f), ["matmul", "relu", "matmul"]);
        assert_eq!(kinds(&i), ["matmul", "relu", "matmul", "rescale"]);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
