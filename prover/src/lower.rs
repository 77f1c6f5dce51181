//! Quantized model (models crate) -> circuit IR (circuits crate). The two crates do not know
//! each other, so that the thin verifier can use the circuit without ONNX or ndarray.
//!
//! Lowering also records each trained layer's canonical parameters ([`ParamMap`]), what
//! `hashed` weights commit to. The map is derived from the layer's *structure* only (shapes
//! and which input each term reads), never from the values, so that the circuit, and its
//! verifying key, are the same for any weights:
//! - a convolution's weight is shared by every patch: term `(row (o, y, x), input (c, iy, ix))`
//!   uses weight `(o, c, iy - y·s_h, ix - x·s_w)`, with the strides `s` recovered from the
//!   rows (the smallest under which every output reads one kernel, clipped only by padding);
//!   weights are in
//!   `(o, c, kernel row, kernel column)` order, one bias per output channel. If the values do
//!   not agree with that sharing (never for an imported convolution), the layer falls back to
//!   the general map;
//! - any other layer with parameters (Gemm / MatMul, element-wise constants): one weight per
//!   term in row order, one bias per row;
//! - layers without parameters (average pools, residual adds) get no map: their coefficients
//!   are architecture constants.
use std::collections::BTreeSet;

use zkinfer_circuits::ir::{
    Activation, AffineLayer, AffineRow, CircuitModel, Layer, LayerKind, ParamMap, ProductBlock,
    ProductLayer, Requant, SoftmaxLayer, Term,
};
use zkinfer_models::graph::AffineKind;
use zkinfer_models::quant::{QAct, QOp, QRow, QuantModel};

fn act(a: &QAct) -> Activation {
    match a {
        QAct::Identity => Activation::Identity,
        QAct::Relu => Activation::Relu,
        QAct::Table { f, min, values, .. } => Activation::Table {
            name: f.label().to_string(),
            min: *min,
            values: values.clone(),
        },
    }
}

/// The circuit model proving exactly `QuantModel::forward`.
pub fn lower(m: &QuantModel) -> CircuitModel {
    let shape_of = |t: usize| -> &[usize] {
        match t {
            0 => &m.input_shape,
            _ => m.layers.get(t - 1).map_or(&[], |l| l.shape.as_slice()),
        }
    };
    let layers = m
        .layers
        .iter()
        .map(|l| {
            let kind = match &l.op {
                QOp::Affine {
                    kind,
                    inputs,
                    rows,
                    shift,
                    act: a,
                    params,
                } => {
                    let in_shape = inputs.first().map_or(&[][..], |&t| shape_of(t));
                    LayerKind::Affine(AffineLayer {
                        inputs: inputs.clone(),
                        rows: rows
                            .iter()
                            .map(|r| AffineRow {
                                bias: r.bias,
                                terms: r
                                    .terms
                                    .iter()
                                    .map(|t| Term {
                                        src: t.src,
                                        idx: t.idx,
                                        coeff: t.coeff,
                                    })
                                    .collect(),
                            })
                            .collect(),
                        requant: Requant {
                            shift: *shift,
                            act: act(a),
                        },
                        params: param_map(*kind, *params, inputs.len(), rows, in_shape, &l.shape),
                    })
                }
                QOp::Activation {
                    input,
                    shift,
                    act: a,
                } => LayerKind::Requant {
                    input: *input,
                    requant: Requant {
                        shift: *shift,
                        act: act(a),
                    },
                },
                QOp::MaxPool { input, windows } => LayerKind::MaxPool {
                    input: *input,
                    windows: windows.clone(),
                },
                QOp::Permute { input, perm } => LayerKind::Permute {
                    input: *input,
                    perm: perm.clone(),
                },
                QOp::Embedding { input, tables } => LayerKind::Embedding {
                    input: *input,
                    tables: tables
                        .iter()
                        .enumerate()
                        .map(|(d, values)| Activation::Table {
                            name: format!("embedding[{d}]"),
                            min: 0,
                            values: values.clone(),
                        })
                        .collect(),
                },
                QOp::Softmax {
                    input,
                    rows,
                    masked,
                    exp,
                    sum_bits,
                    ..
                } => LayerKind::Softmax(SoftmaxLayer {
                    input: *input,
                    rows: rows.clone(),
                    masked: masked.clone(),
                    exp: exp.clone(),
                    out_bits: l.scale.max(0) as u32,
                    sum_bits: *sum_bits,
                }),
                QOp::Product {
                    inputs,
                    blocks,
                    shift,
                    act: a,
                    ..
                } => LayerKind::Product(ProductLayer {
                    inputs: *inputs,
                    blocks: blocks
                        .iter()
                        .map(|b| ProductBlock {
                            m: b.m,
                            n: b.n,
                            a: b.a.clone(),
                            b: b.b.clone(),
                            c: b.c.clone(),
                        })
                        .collect(),
                    requant: Requant {
                        shift: *shift,
                        act: act(a),
                    },
                }),
            };
            Layer {
                name: l.name.clone(),
                kind,
            }
        })
        .collect();
    CircuitModel {
        input_len: m.input_len(),
        layers,
        bits: m.config.bits,
    }
}

/// The canonical parameters of an affine layer (see the module doc).
pub fn param_map(
    kind: AffineKind,
    params: usize,
    inputs: usize,
    rows: &[QRow],
    in_shape: &[usize],
    out_shape: &[usize],
) -> Option<ParamMap> {
    if params == 0 {
        return None;
    }
    if kind == AffineKind::Conv && inputs == 1 {
        if let Some(m) = conv_map(rows, in_shape, out_shape) {
            return Some(m);
        }
    }
    Some(general_map(rows))
}

/// One weight per term, one bias per row.
fn general_map(rows: &[QRow]) -> ParamMap {
    let mut m = ParamMap::default();
    for r in rows {
        let at = m.weights.len() as u32;
        m.term_weight
            .push((0..r.terms.len() as u32).map(|t| at + t).collect());
        m.weights.extend(r.terms.iter().map(|t| t.coeff));
        m.row_bias.push(m.biases.len() as u32);
        m.biases.push(r.bias);
    }
    m
}

/// `(channels, height, width)` of a shape whose leading dimensions are all 1.
fn chw(s: &[usize]) -> Option<[usize; 3]> {
    let n = s.len();
    if n < 3 || s[..n - 3].iter().product::<usize>() != 1 {
        return None;
    }
    Some([s[n - 3], s[n - 2], s[n - 1]])
}

/// The stride along one axis, from the `(out, in)` position pairs of all terms: the smallest
/// `s` under which the offsets `in - out·s` form one set `D` and every output position reads
/// exactly the offsets of `D` that fall inside the input (`0 <= out·s + d < in_len`), i.e. a
/// kernel clipped only by padding. 0 when there is one output position; `None` if no stride
/// fits.
fn stride(pairs: &[(i64, i64)], out_len: usize, in_len: usize) -> Option<i64> {
    if out_len <= 1 {
        return Some(0);
    }
    let n = in_len as i64;
    (1..=n.max(1)).find(|&s| {
        let offsets: BTreeSet<i64> = pairs.iter().map(|&(o, i)| i - o * s).collect();
        (0..out_len as i64).all(|o| {
            let present: BTreeSet<i64> = pairs
                .iter()
                .filter(|p| p.0 == o)
                .map(|&(_, i)| i - o * s)
                .collect();
            let expected: BTreeSet<i64> = offsets
                .iter()
                .copied()
                .filter(|d| (0..n).contains(&(o * s + d)))
                .collect();
            present == expected
        })
    })
}

/// The convolution map, `None` when the structure or the values do not fit it.
fn conv_map(rows: &[QRow], in_shape: &[usize], out_shape: &[usize]) -> Option<ParamMap> {
    let [c, h, w] = chw(in_shape)?;
    let [o, oh, ow] = chw(out_shape)?;
    if rows.len() != o * oh * ow || c * h * w == 0 {
        return None;
    }
    // Every term as (out channel, out y, out x, in channel, in y, in x).
    let mut taps = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let (oc, y, x) = (r / (oh * ow), (r / ow) % oh, r % ow);
        for t in &row.terms {
            let i = t.idx as usize;
            if i >= c * h * w {
                return None;
            }
            taps.push((
                oc,
                y as i64,
                x as i64,
                i / (h * w),
                ((i / w) % h) as i64,
                (i % w) as i64,
            ));
        }
    }
    let ys: Vec<(i64, i64)> = taps.iter().map(|t| (t.1, t.4)).collect();
    let xs: Vec<(i64, i64)> = taps.iter().map(|t| (t.2, t.5)).collect();
    let (sh, sw) = (stride(&ys, oh, h)?, stride(&xs, ow, w)?);
    let dys: Vec<i64> = ys
        .iter()
        .map(|&(o, i)| i - o * sh)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let dxs: Vec<i64> = xs
        .iter()
        .map(|&(o, i)| i - o * sw)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (kh, kw) = (dys.len(), dxs.len());
    let slot = |t: &(usize, i64, i64, usize, i64, i64)| -> Option<usize> {
        let ky = dys.binary_search(&(t.4 - t.1 * sh)).ok()?;
        let kx = dxs.binary_search(&(t.5 - t.2 * sw)).ok()?;
        Some(((t.0 * c + t.3) * kh + ky) * kw + kx)
    };
    let mut weights: Vec<Option<i64>> = vec![None; o * c * kh * kw];
    let mut biases: Vec<Option<i64>> = vec![None; o];
    let mut term_weight = Vec::with_capacity(rows.len());
    let mut k = 0;
    for (r, row) in rows.iter().enumerate() {
        let oc = r / (oh * ow);
        let mut tw = Vec::with_capacity(row.terms.len());
        for t in &row.terms {
            let s = slot(taps.get(k)?)?;
            k += 1;
            if tw.contains(&(s as u32)) {
                return None; // two terms of one output on one weight: not a convolution
            }
            match weights.get_mut(s)? {
                Some(v) if *v != t.coeff => return None,
                e => *e = Some(t.coeff),
            }
            tw.push(s as u32);
        }
        match biases.get_mut(oc)? {
            Some(b) if *b != row.bias => return None,
            e => *e = Some(row.bias),
        }
        term_weight.push(tw);
    }
    Some(ParamMap {
        // A kernel position no output reads (possible only with odd padding) commits to 0.
        weights: weights.into_iter().map(|v| v.unwrap_or(0)).collect(),
        biases: biases.into_iter().map(|v| v.unwrap_or(0)).collect(),
        term_weight,
        row_bias: (0..rows.len()).map(|r| (r / (oh * ow)) as u32).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkinfer_models::quant::QTerm;

    /// A 2-channel 5x5 input, 3 output channels, 3x3 kernel, stride 2, padding 1 (3x3 output):
    /// the map recovers the 54 kernel weights and 3 biases from the rows.
    #[test]
    fn conv_map_recovers_the_kernel() {
        let (c, h, w, o, k, s, p) = (2usize, 5usize, 5usize, 3usize, 3usize, 2usize, 1i64);
        let (oh, ow) = (3usize, 3usize);
        let weight =
            |oc: usize, ci: usize, ky: usize, kx: usize| (oc * 100 + ci * 10 + ky * 3 + kx) as i64;
        let mut rows = Vec::new();
        for oc in 0..o {
            for y in 0..oh {
                for x in 0..ow {
                    let mut terms = Vec::new();
                    for ky in 0..k {
                        for kx in 0..k {
                            let iy = (y * s + ky) as i64 - p;
                            let ix = (x * s + kx) as i64 - p;
                            if iy < 0 || ix < 0 || iy >= h as i64 || ix >= w as i64 {
                                continue;
                            }
                            for ci in 0..c {
                                let idx =
                                    (ci * h * w) as u32 + (iy as usize * w + ix as usize) as u32;
                                terms.push(QTerm {
                                    src: 0,
                                    idx,
                                    coeff: weight(oc, ci, ky, kx),
                                });
                            }
                        }
                    }
                    rows.push(QRow {
                        bias: oc as i64 - 7,
                        terms,
                    });
                }
            }
        }
        let m = param_map(
            AffineKind::Conv,
            57,
            1,
            &rows,
            &[1, c, h, w],
            &[1, o, oh, ow],
        )
        .unwrap();
        assert_eq!(m.weights.len(), o * c * k * k);
        for oc in 0..o {
            for ci in 0..c {
                for ky in 0..k {
                    for kx in 0..k {
                        assert_eq!(
                            m.weights[((oc * c + ci) * k + ky) * k + kx],
                            weight(oc, ci, ky, kx)
                        );
                    }
                }
            }
        }
        assert_eq!(m.biases, vec![-7, -6, -5]);
        // The map depends on the structure only: zero weights give the same indices.
        let mut zero = rows.clone();
        zero.iter_mut()
            .flat_map(|r| r.terms.iter_mut())
            .for_each(|t| t.coeff = 0);
        let mz = param_map(
            AffineKind::Conv,
            57,
            1,
            &zero,
            &[1, c, h, w],
            &[1, o, oh, ow],
        )
        .unwrap();
        assert_eq!(mz.term_weight, m.term_weight);
        // A Gemm-like layer: one weight per term.
        let g = param_map(AffineKind::MatMul, 4, 1, &rows[..2], &[1, 50], &[1, 2]).unwrap();
        assert_eq!(g.weights.len(), rows[0].terms.len() + rows[1].terms.len());
        assert!(param_map(
            AffineKind::Pool,
            0,
            1,
            &rows,
            &[1, c, h, w],
            &[1, o, oh, ow]
        )
        .is_none());
    }
}
