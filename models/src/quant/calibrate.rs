//! Scale selection from calibration data, and the float -> integer model conversion.
use super::config::QuantConfig;
use super::model::{QAct, QLayer, QOp, QRow, QTerm, QuantModel, MODEL_FORMAT};
use super::table::{activation, out_scale};
use crate::error::{ModelError, Result};
use crate::graph::{Affine, Graph, Nonlinearity, Op, TensorId};

/// Largest |value| of every float tensor over the calibration samples (index = tensor id).
pub fn calibrate(graph: &Graph, samples: &[Vec<f32>]) -> Result<Vec<f64>> {
    if samples.is_empty() {
        return Err(ModelError::NoCalibrationData);
    }
    let mut max = vec![0f64; graph.nodes.len() + 1];
    for (i, s) in samples.iter().enumerate() {
        let tensors = crate::float::forward(graph, s).map_err(|e| e.at_sample(i))?;
        for (t, v) in tensors.iter().enumerate() {
            let m = v.iter().fold(0f64, |m, x| m.max((*x as f64).abs()));
            max[t] = max[t].max(m);
        }
    }
    Ok(max)
}

/// The largest scale exponent at which `max_abs` (with headroom) fits the activation range.
fn scale_for(max_abs: f64, cfg: &QuantConfig) -> i32 {
    let limit = cfg.max() as f64;
    let m = max_abs * cfg.headroom_percent as f64 / 100.0;
    if m <= 0.0 || !m.is_finite() {
        return cfg.bits as i32 - 2;
    }
    ((limit / m).log2().floor() as i32).clamp(-24, 24)
}

/// Appends an identity requant `y = round_shift(x, pre)` of quantized tensor `q` (float tensor
/// `t`, at scale `s`) named `name`; returns the new tensor.
fn prescale(model: &mut QuantModel, graph: &Graph, t: TensorId, q: TensorId, s: i32, pre: i32, name: String) -> TensorId {
    let shape = if t == 0 { graph.input_shape.clone() } else { graph.nodes[t - 1].shape.clone() };
    let op = QOp::Activation { input: q, shift: pre as u32, act: QAct::Identity };
    model.layers.push(QLayer { name, op, shape, scale: s - pre });
    model.layers.len()
}

fn quantize_affine(a: &Affine, in_scales: &[i32], out_scale: i32, cfg: &QuantConfig) -> (Vec<QRow>, u32) {
    let wmax = a.rows.iter().flat_map(|r| r.terms.iter()).fold(0f64, |m, t| m.max((t.coeff as f64).abs()));
    let wlimit = ((1i64 << (cfg.weight_bits - 1)) - 1) as f64;
    let mut s_w = if wmax > 0.0 { (wlimit / wmax).log2().floor() as i32 } else { 0 };
    let s_in = in_scales.iter().copied().max().unwrap_or(0);
    // The accumulator scale S = s_in + s_w; the shift S - out_scale must be in [0, max_shift].
    let shift = s_in + s_w - out_scale;
    if shift < 0 {
        s_w -= shift;
    } else if shift > cfg.max_shift as i32 {
        s_w -= shift - cfg.max_shift as i32;
    }
    let acc_scale = s_in + s_w;
    let rows = a
        .rows
        .iter()
        .map(|r| QRow {
            bias: (r.bias as f64 * (acc_scale as f64).exp2()).round() as i64,
            terms: r
                .terms
                .iter()
                .map(|t| QTerm {
                    src: t.src,
                    idx: t.idx,
                    coeff: (t.coeff as f64 * ((acc_scale - in_scales[t.src as usize]) as f64).exp2()).round() as i64,
                })
                .collect(),
        })
        .collect();
    (rows, (acc_scale - out_scale) as u32)
}

/// Quantize `graph` with scales chosen from calibration maxima `max_abs` (see [`calibrate`]).
///
/// A product of two activations accumulates at the sum of their scales and is rescaled to
/// its calibrated scale (never up). An affine op or product whose only reader is an activation is fused with it: the rescaled value is
/// looked up in the activation's table in the same step, and its scale is chosen from the
/// pre-activation range (the table's domain).
pub fn quantize(graph: &Graph, max_abs: &[f64], cfg: &QuantConfig) -> Result<QuantModel> {
    cfg.validate()?;
    graph.validate()?;
    if max_abs.len() != graph.nodes.len() + 1 {
        return Err(ModelError::Config(format!(
            "{} calibration maxima for a graph of {} tensors",
            max_abs.len(),
            graph.nodes.len() + 1
        )));
    }
    let uses = graph.use_counts();
    // For each float tensor, its quantized tensor id (0 = input).
    let mut qid = vec![usize::MAX; graph.nodes.len() + 1];
    qid[0] = 0;
    // Token ids (the input of an embedding) are integers: scale 0.
    let ids = graph.nodes.iter().any(|n| matches!(n.op, Op::Embedding { input: 0, .. }));
    let input_scale = if ids { 0 } else { scale_for(max_abs[0], cfg) };
    let mut model = QuantModel {
        format: MODEL_FORMAT,
        config: cfg.clone(),
        input_shape: graph.input_shape.clone(),
        input_scale,
        layers: vec![],
    };
    // Float tensor -> the activation node that consumes it (when it is the only reader).
    let mut fused_act: Vec<Option<(usize, Nonlinearity)>> = vec![None; graph.nodes.len() + 1];
    for (n, node) in graph.nodes.iter().enumerate() {
        if let Op::Activation { input, f } = node.op {
            if input > 0 && uses[input] == 1 && matches!(graph.nodes[input - 1].op, Op::Affine(_) | Op::Product(_)) {
                fused_act[input] = Some((n, f));
            }
        }
    }
    for (n, node) in graph.nodes.iter().enumerate() {
        let t = n + 1;
        if qid[t] != usize::MAX {
            continue; // an activation already fused into its affine op
        }
        // Inputs are earlier tensors (the graph is in topological order), already quantized.
        let scale_of = |m: &QuantModel, ft: TensorId| {
            qid.get(ft).and_then(|&q| m.scale_of(q)).ok_or_else(|| ModelError::Node {
                node: node.name.clone(),
                reason: format!("reads tensor {ft}, which is not computed before it"),
            })
        };
        let (op, scale, out_t) = match &node.op {
            Op::Affine(a) => {
                let in_scales: Vec<i32> = a.inputs.iter().map(|&i| scale_of(&model, i)).collect::<Result<_>>()?;
                let q_scale = scale_for(max_abs[t], cfg);
                let (rows, shift) = quantize_affine(a, &in_scales, q_scale, cfg);
                let inputs = a.inputs.iter().map(|&i| qid[i]).collect();
                let (act, scale, out_t) = match fused_act[t] {
                    Some((an, f)) => {
                        let out_scale = out_scale(f, q_scale, cfg);
                        (activation(f, q_scale, cfg), out_scale, an + 1)
                    }
                    None => (QAct::Identity, q_scale, t),
                };
                (QOp::Affine { kind: a.kind, inputs, rows, shift, act, params: a.params }, scale, out_t)
            }
            Op::Activation { input, f } => {
                let in_scale = scale_of(&model, *input)?;
                let out_scale = out_scale(*f, in_scale, cfg);
                (QOp::Activation { input: qid[*input], shift: 0, act: activation(*f, in_scale, cfg) }, out_scale, t)
            }
            Op::MaxPool { input, windows } => {
                (QOp::MaxPool { input: qid[*input], windows: windows.clone() }, scale_of(&model, *input)?, t)
            }
            Op::Permute { input, perm } => {
                (QOp::Permute { input: qid[*input], perm: perm.clone() }, scale_of(&model, *input)?, t)
            }
            Op::Embedding { input, table, dim } => {
                if scale_of(&model, *input)? != 0 {
                    return Err(ModelError::Config(format!("{}: embedding ids must be the model input (scale 0)", node.name)));
                }
                let peak = table.iter().fold(0f64, |m, v| m.max((*v as f64).abs()));
                let s = scale_for(peak * 100.0 / cfg.headroom_percent as f64, cfg);
                let vocab = table.len() / (*dim).max(1);
                if vocab as i64 > cfg.max() + 1 {
                    return Err(ModelError::Config(format!(
                        "{}: a vocabulary of {vocab} ids does not fit {}-bit activations (ids up to {}); raise --bits",
                        node.name,
                        cfg.bits,
                        cfg.max()
                    )));
                }
                let tables = (0..*dim)
                    .map(|d| {
                        (0..vocab)
                            .map(|q| ((table[q * dim + d] as f64 * (s as f64).exp2()).round() as i64).clamp(cfg.min(), cfg.max()))
                            .collect()
                    })
                    .collect();
                (QOp::Embedding { input: qid[*input], tables }, s, t)
            }
            Op::RmsNorm { input, rows, eps } => {
                // Two layers (see `crate::norm`): the sum of squares of each row with the
                // reciprocal square root fused, then x times its row's factor.
                let s = scale_of(&model, *input)?;
                let l = rows.first().map_or(1, Vec::len);
                let sq_max = l as f64 * max_abs[*input] * max_abs[*input];
                // The squares accumulate at scale 2s; when reaching the sum's scale needs a
                // larger shift than the range table has, the input is first rescaled by `pre`
                // (an identity requant, `NAME.prescale`), so that the sum's shift fits.
                let need = 2 * s - scale_for(sq_max, cfg);
                let pre = ((need - cfg.max_shift as i32).max(0) + 1) / 2;
                let sq_in = match pre {
                    0 => qid[*input],
                    _ => prescale(&mut model, graph, *input, qid[*input], s, pre, format!("{}.prescale", node.name)),
                };
                let shift = (need - 2 * pre).clamp(0, cfg.max_shift as i32);
                let v_scale = 2 * (s - pre) - shift;
                let f = Nonlinearity::Rsqrt { n: l as u32, eps: eps.to_bits() };
                let blocks = rows
                    .iter()
                    .enumerate()
                    .map(|(r, row)| crate::graph::ProductBlock {
                        m: 1,
                        n: row.len() as u32,
                        a: row.clone(),
                        b: vec![row.iter().enumerate().map(|(k, &i)| (k as u32, i)).collect()],
                        c: vec![r as u32],
                    })
                    .collect();
                let inputs = [sq_in, sq_in];
                let kind = crate::graph::ProductKind::MatMul;
                let op = QOp::Product { kind, inputs, blocks, shift: shift as u32, act: activation(f, v_scale, cfg) };
                let t_scale = out_scale(f, v_scale, cfg);
                let name = format!("{}.rsqrt", node.name);
                model.layers.push(QLayer { name, op, shape: vec![rows.len()], scale: t_scale });
                let factor = model.layers.len();
                let mut ib = vec![0u32; graph.nodes[t - 1].len()];
                for (r, row) in rows.iter().enumerate() {
                    for &i in row {
                        ib[i as usize] = r as u32;
                    }
                }
                let n_el = ib.len() as u32;
                let p = crate::product::Product::elementwise([qid[*input], factor], (0..n_el).collect(), ib);
                let shift = (s + t_scale - scale_for(max_abs[t], cfg)).clamp(0, cfg.max_shift as i32);
                let op = QOp::Product { kind: p.kind, inputs: p.inputs, blocks: p.blocks, shift: shift as u32, act: QAct::Identity };
                (op, s + t_scale - shift, t)
            }
            Op::Softmax { input, rows, masked } => {
                let in_scale = scale_of(&model, *input)?;
                let exp = crate::softmax::exp_table(in_scale, cfg);
                let sum_bits = crate::softmax::sum_bits(rows, cfg);
                let op = QOp::Softmax { input: qid[*input], rows: rows.clone(), masked: masked.clone(), in_scale, exp, sum_bits };
                (op, crate::softmax::out_scale(cfg), t)
            }
            Op::Product(p) => {
                // z = sum x0·x1 has scale s0 + s1; rescale to the calibrated scale, never up.
                // A rescale beyond the range table's largest shift is split: the inputs are
                // first rescaled by the excess (identity requants, `NAME.prescale0/1`).
                let s = [scale_of(&model, p.inputs[0])?, scale_of(&model, p.inputs[1])?];
                let need = s[0] + s[1] - scale_for(max_abs[t], cfg);
                let excess = (need - cfg.max_shift as i32).max(0);
                let pre = [(excess + 1) / 2, excess / 2];
                let mut inputs = [qid[p.inputs[0]], qid[p.inputs[1]]];
                for i in 0..2 {
                    if pre[i] > 0 {
                        let name = format!("{}.prescale{i}", node.name);
                        inputs[i] = prescale(&mut model, graph, p.inputs[i], inputs[i], s[i], pre[i], name);
                    }
                }
                let acc = s[0] + s[1] - excess;
                let shift = (need - excess).clamp(0, cfg.max_shift as i32);
                let q_scale = acc - shift;
                let (act, scale, out_t) = match fused_act[t] {
                    Some((an, f)) => (activation(f, q_scale, cfg), out_scale(f, q_scale, cfg), an + 1),
                    None => (QAct::Identity, q_scale, t),
                };
                (QOp::Product { kind: p.kind, inputs, blocks: p.blocks.clone(), shift: shift as u32, act }, scale, out_t)
            }
        };
        let name = node.name.clone();
        let shape = graph.nodes[out_t - 1].shape.clone();
        model.layers.push(QLayer { name, op, shape, scale });
        qid[t] = model.layers.len();
        qid[out_t] = model.layers.len();
    }
    // Extreme calibration maxima can ask for weights beyond what the integer reference
    // accepts; say so here rather than at the first inference.
    model.validate()?;
    Ok(model)
}
