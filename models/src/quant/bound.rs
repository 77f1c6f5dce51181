//! A rigorous per-element bound on how far the integer reference can be from the float
//! reference, computed along one inference.
//!
//! Write `x'` for a dequantized integer (`x_int * 2^-scale`) and `e(x)` for the bound on
//! `|x_float - x'|`. With these, layer by layer:
//! - input: rounding to the input scale, `e = 2^-(s_in + 1)`;
//! - affine, accumulator scale `S`, per input `k = S - s_src` (the coefficient exponent):
//!   each coefficient is `c' = round(c * 2^k) * 2^-k`, so `|c - c'| <= d = 2^-(k+1)` and
//!   `c x - c' x' = c (x - x') + (c - c') x'` gives per term `(|c'| + d) e(x) + d |x'|`;
//!   the bias adds `2^-(S+1)`, the rescale by `shift > 0` adds `2^-(q_scale + 1)`;
//! - a product of two activations (no rounding before the rescale): per pair
//!   `|x'| e(y) + |y'| e(x) + e(x) e(y)`, plus the rescale;
//! - the reciprocal square root of an RMS norm: the local slope and the entry's error
//!   (`crate::norm`);
//! - softmax: `crate::softmax` (its module doc derives the bound);
//! - ReLU and max-pool are 1-Lipschitz (in the max norm for max-pool), a permutation moves
//!   bounds with values;
//! - table activations (sigmoid, tanh, GELU, erf, ...): `L e(q) + 2^-(out + 1)` with `L` the
//!   function's Lipschitz constant (`Nonlinearity::lipschitz`), the second term being the
//!   table's own rounding (no clamping: the output scale fits `max |f|` over the table's whole
//!   domain, `quant::table::table_out_scale`).
//!
//! The float reference itself rounds to f32 between layers; callers compare with a small
//! relative slack on top of this bound.
use super::forward::Trace;
use super::model::{QAct, QOp, QuantModel};
use crate::graph::Nonlinearity;
use crate::error::{ModelError, Result};

fn half_unit(scale: i32) -> f64 {
    (-(scale as f64) - 1.0).exp2()
}

/// `e_out` for activation `act` applied to `q` (scale `q_scale`) with bound `e_q`; `out` is the
/// layer's output scale.
fn through_act(act: &QAct, e_q: f64, out: i32) -> f64 {
    match act {
        QAct::Identity | QAct::Relu => e_q,
        QAct::Table { f, .. } => {
            f.lipschitz() * e_q + half_unit(out)
        }
    }
}

/// [`through_act`] for the reciprocal square root at the looked-up value `q`: the slope at the
/// low end of `q`'s interval (`|f'|` decreases) and the entry's own rounding or clamping error.
fn through_rsqrt(act: &QAct, q: i64, e_q: f64, out: i32) -> f64 {
    match act {
        QAct::Table { f: f @ Nonlinearity::Rsqrt { n, eps }, min, in_scale, values } => {
            let u = q as f64 * (-(*in_scale as f64)).exp2();
            let entry = values.get((q - min) as usize).copied().unwrap_or(0) as f64 * (-(out as f64)).exp2();
            crate::norm::rsqrt_slope(u - e_q, *n, f32::from_bits(*eps)) * e_q + (entry - f.apply(u)).abs()
        }
        _ => through_act(act, e_q, out),
    }
}

/// Scale of the rescaled value `q` that the activation reads.
fn q_scale(act: &QAct, layer_scale: i32) -> i32 {
    match act {
        QAct::Table { in_scale, .. } => *in_scale,
        QAct::Identity | QAct::Relu => layer_scale,
    }
}

/// For every tensor of `trace` (an inference of `model`), per element: an upper bound on
/// `|float value - dequantized integer value|`, where the float values are those of the float
/// graph `model` was quantized from, run on an input that quantizes to `trace`'s input.
pub fn error_bounds(model: &QuantModel, trace: &Trace) -> Result<Vec<Vec<f64>>> {
    model.validate()?;
    if trace.tensors.len() != model.layers.len() + 1 {
        return Err(ModelError::InvalidQuantModel {
            layer: "-".into(),
            reason: format!("a trace of {} tensors for {} layers", trace.tensors.len(), model.layers.len()),
        });
    }
    let flat: Vec<Vec<i64>> = trace.tensors.iter().map(|t| t.iter().copied().collect()).collect();
    let lens = std::iter::once(model.input_len()).chain(model.layers.iter().map(|l| l.shape.iter().product()));
    if let Some((t, _)) = flat.iter().zip(lens).enumerate().find(|(_, (v, n))| v.len() != *n) {
        return Err(ModelError::InvalidQuantModel {
            layer: "-".into(),
            reason: format!("trace tensor {t} does not have its layer's element count"),
        });
    }
    let mut bounds: Vec<Vec<f64>> = vec![vec![half_unit(model.input_scale); model.input_len()]];
    // Indexing below is in bounds: `validate` checked the wiring, and the trace's lengths match.
    for layer in &model.layers {
        let e: Vec<f64> = match &layer.op {
            QOp::Affine { inputs, rows, shift, act, .. } => {
                let qs = q_scale(act, layer.scale);
                let acc = qs + *shift as i32;
                let src_scale: Vec<i32> = inputs.iter().map(|&t| model.scale_of(t).unwrap_or(0)).collect();
                let rescale = if *shift > 0 { half_unit(qs) } else { 0.0 };
                rows.iter()
                    .map(|r| {
                        let mut e = half_unit(acc) + rescale;
                        for t in &r.terms {
                            let (src, ss) = (inputs[t.src as usize], src_scale[t.src as usize]);
                            let k = acc - ss;
                            let (c, d) = (t.coeff as f64 * (-(k as f64)).exp2(), half_unit(k));
                            let x = (flat[src][t.idx as usize] as f64).abs() * (-(ss as f64)).exp2();
                            e += (c.abs() + d) * bounds[src][t.idx as usize] + d * x;
                        }
                        through_act(act, e, layer.scale)
                    })
                    .collect()
            }
            QOp::Activation { input, shift, act } => {
                let rescale = if *shift > 0 { half_unit(q_scale(act, layer.scale)) } else { 0.0 };
                bounds[*input].iter().map(|&e| through_act(act, e + rescale, layer.scale)).collect()
            }
            QOp::MaxPool { input, windows } => windows
                .iter()
                .map(|w| w.iter().map(|&j| bounds[*input][j as usize]).fold(0.0, f64::max))
                .collect(),
            QOp::Permute { input, perm } => perm.iter().map(|&j| bounds[*input][j as usize]).collect(),
            // Exact integer ids: the table's rounding only (see `crate::embedding`).
            QOp::Embedding { input, tables } => vec![half_unit(layer.scale); flat[*input].len() * tables.len()],
            QOp::Softmax { input, rows, .. } => crate::softmax::error_bound(&bounds[*input], rows, &model.config),
            QOp::Product { inputs, shift, act, .. } => {
                // x y - x' y' = x' (y - y') + y' (x - x') + (x - x')(y - y'), per pair.
                let qs = q_scale(act, layer.scale);
                let rescale = if *shift > 0 { half_unit(qs) } else { 0.0 };
                let unit = |t: usize| (-(model.scale_of(t).unwrap_or(0) as f64)).exp2();
                let (ua, ub) = (unit(inputs[0]), unit(inputs[1]));
                let pairs = layer.op.product_pairs(layer.shape.iter().product()).unwrap_or_default();
                pairs
                    .iter()
                    .map(|ps| {
                        let mut e = rescale;
                        let mut z = 0i128;
                        for &(a, b) in ps {
                            z += flat[inputs[0]][a as usize] as i128 * flat[inputs[1]][b as usize] as i128;
                            let (a, b) = (a as usize, b as usize);
                            let (x, y) = (flat[inputs[0]][a].abs() as f64 * ua, flat[inputs[1]][b].abs() as f64 * ub);
                            let (ex, ey) = (bounds[inputs[0]][a], bounds[inputs[1]][b]);
                            e += x * ey + y * ex + ex * ey;
                        }
                        let q = super::forward::round_shift(z, *shift) as i64;
                        through_rsqrt(act, q, e, layer.scale)
                    })
                    .collect()
            }
        };
        bounds.push(e);
    }
    Ok(bounds)
}
