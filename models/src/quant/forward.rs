//! The exact integer forward pass: the specification the circuit proves. No floats.
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

use super::model::{QLayer, QOp, QuantModel};
use crate::error::{ModelError, Result};

/// Rows times terms above which an affine layer runs on the rayon pool.
const PAR_THRESHOLD: usize = 1 << 14;

/// `floor((z + 2^(s-1)) / 2^s)` for `s > 0` (round half up), `z` for `s = 0`.
pub fn round_shift(z: i128, s: u32) -> i128 {
    if s == 0 {
        z
    } else {
        (z + (1i128 << (s - 1))) >> s
    }
}

/// Every intermediate tensor of one inference, exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// Tensor 0 is the quantized input; tensor `i + 1` is layer `i`'s output.
    pub tensors: Vec<ArrayD<i64>>,
}

impl Trace {
    pub fn output(&self) -> &ArrayD<i64> {
        // A trace always holds at least the input.
        &self.tensors[self.tensors.len() - 1]
    }
}

fn check(layer: &QLayer, model: &QuantModel, index: usize, q: i128) -> Result<i64> {
    let (min, max) = (model.config.min(), model.config.max());
    if q < min as i128 || q > max as i128 {
        return Err(ModelError::OutOfRange {
            layer: layer.name.clone(),
            index,
            value: q.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            min,
            max,
            bits: model.config.bits,
        });
    }
    Ok(q as i64)
}

impl QuantModel {
    /// Run the integer model on a quantized input; fails with [`ModelError::OutOfRange`]
    /// naming the layer when a rescaled value leaves the table range (or an input value is
    /// outside it), [`ModelError::InputLength`] on an input of the wrong length, and
    /// [`ModelError::InvalidQuantModel`] when the model does not pass [`QuantModel::validate`].
    pub fn forward(&self, input: &[i64]) -> Result<Trace> {
        self.validate()?;
        if input.len() != self.input_len() {
            return Err(ModelError::InputLength {
                sample: 0,
                expected: self.input_len(),
                got: input.len(),
                shape: self.input_shape.clone(),
            });
        }
        let (min, max) = (self.config.min(), self.config.max());
        if let Some((index, &value)) = input.iter().enumerate().find(|(_, v)| !(min..=max).contains(*v)) {
            return Err(ModelError::OutOfRange { layer: "input".into(), index, value, min, max, bits: self.config.bits });
        }
        // Indexing below cannot go out of bounds: `validate` checked every index and wiring.
        let mut flat: Vec<Vec<i64>> = vec![input.to_vec()];
        for layer in &self.layers {
            let out = match &layer.op {
                QOp::Affine { inputs, rows, shift, act, .. } => {
                    let srcs: Vec<&[i64]> = inputs.iter().map(|&t| flat[t].as_slice()).collect();
                    let eval = |(j, r): (usize, &super::model::QRow)| -> Result<i64> {
                        let z: i128 = r.bias as i128
                            + r.terms.iter().map(|t| t.coeff as i128 * srcs[t.src as usize][t.idx as usize] as i128).sum::<i128>();
                        let q = check(layer, self, j, round_shift(z, *shift))?;
                        Ok(act.apply(q))
                    };
                    let work: usize = rows.iter().map(|r| r.terms.len()).sum();
                    if work > PAR_THRESHOLD {
                        rows.par_iter().enumerate().map(eval).collect::<Result<Vec<_>>>()?
                    } else {
                        rows.iter().enumerate().map(eval).collect::<Result<Vec<_>>>()?
                    }
                }
                QOp::Activation { input, shift, act } => flat[*input]
                    .iter()
                    .enumerate()
                    .map(|(j, &x)| Ok(act.apply(check(layer, self, j, round_shift(x as i128, *shift))?)))
                    .collect::<Result<Vec<_>>>()?,
                QOp::MaxPool { input, windows } => {
                    let x = &flat[*input];
                    windows.iter().map(|w| w.iter().map(|&i| x[i as usize]).max().unwrap_or(0)).collect()
                }
                QOp::Permute { input, perm } => perm.iter().map(|&i| flat[*input][i as usize]).collect(),
                QOp::Embedding { input, tables } => {
                    let vocab = tables.first().map_or(0, Vec::len);
                    let mut out = Vec::with_capacity(flat[*input].len() * tables.len());
                    for (i, &q) in flat[*input].iter().enumerate() {
                        let id = usize::try_from(q).ok().filter(|&id| id < vocab).ok_or_else(|| ModelError::OutOfRange {
                            layer: layer.name.clone(),
                            index: i,
                            value: q,
                            min: 0,
                            max: vocab as i64 - 1,
                            bits: self.config.bits,
                        })?;
                        out.extend(tables.iter().map(|t| t[id]));
                    }
                    out
                }
                QOp::Softmax { input, rows, exp, .. } => {
                    let (min, h) = (self.config.min(), self.config.max());
                    crate::softmax::softmax_int(&flat[*input], rows, exp, min, h, layer.scale)
                }
                QOp::Product { inputs, shift, act, .. } => {
                    let (x, y) = (&flat[inputs[0]], &flat[inputs[1]]);
                    let pairs = layer.op.product_pairs(layer.shape.iter().product()).unwrap_or_default();
                    pairs
                        .iter()
                        .enumerate()
                        .map(|(j, ps)| {
                            let z: i128 = ps.iter().map(|&(a, b)| x[a as usize] as i128 * y[b as usize] as i128).sum();
                            Ok(act.apply(check(layer, self, j, round_shift(z, *shift))?))
                        })
                        .collect::<Result<Vec<_>>>()?
                }
            };
            flat.push(out);
        }
        let mut tensors = Vec::with_capacity(flat.len());
        for (t, v) in flat.into_iter().enumerate() {
            let shape = if t == 0 { self.input_shape.clone() } else { self.layers[t - 1].shape.clone() };
            let a = ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| ModelError::Node {
                node: if t == 0 { "input".into() } else { self.layers[t - 1].name.clone() },
                reason: format!("shape {shape:?}: {e}"),
            })?;
            tensors.push(a);
        }
        Ok(Trace { tensors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Affine, AffineKind, Graph, Node, Nonlinearity, Op, Row, Term};
    use crate::quant::{quantize, QAct, QuantConfig};

    #[test]
    fn round_shift_matches_the_rational_definition_exhaustively() {
        // round_shift(z, s) is the integer q nearest to z / 2^s, halves rounded up:
        // q - 1/2 <= z / 2^s < q + 1/2, i.e. q = floor((2z + 2^s) / 2^(s+1)).
        for s in 0..=12u32 {
            let d = 1i128 << s;
            for z in -(1i128 << 14)..=(1i128 << 14) {
                let q = round_shift(z, s);
                assert_eq!(q, (2 * z + d).div_euclid(2 * d), "z = {z}, s = {s}");
                assert!(2 * q * d - d <= 2 * z && 2 * z < 2 * q * d + d, "z = {z}, s = {s}, q = {q}");
            }
        }
        // Ties go up on both signs; the extremes of the accumulator do not overflow.
        assert_eq!((round_shift(-3, 1), round_shift(3, 1), round_shift(-1, 1)), (-1, 2, 0));
        assert_eq!(round_shift(i64::MAX as i128 * 1024, 10), i64::MAX as i128);
        assert_eq!(round_shift(i64::MIN as i128 * 1024, 10), i64::MIN as i128);
    }

    /// 8-bit activations: every value of the domain fits in one input vector.
    fn cfg8() -> QuantConfig {
        QuantConfig { bits: 8, weight_bits: 8, max_shift: 10, headroom_percent: 125 }
    }

    /// Input [256]; `y = act(0.75 x + 0.25)` element-wise (the affine op is omitted when
    /// `affine` is false). Calibration maxima |x| <= 1.6 give the input scale 5 (every 8-bit
    /// integer is an x in [-4, 4)), and |0.75 x + 0.25| <= 3.3 covers all of them.
    fn model(affine: bool, act: Nonlinearity) -> crate::QuantModel {
        let n = 256;
        let mut nodes = vec![];
        if affine {
            let rows = (0..n as u32).map(|i| Row { bias: 0.25, terms: vec![Term { src: 0, idx: i, coeff: 0.75 }] });
            let a = Affine { kind: AffineKind::Scale, inputs: vec![0], rows: rows.collect(), params: 2 };
            nodes.push(Node { name: "lin".into(), op: Op::Affine(a), shape: vec![n] });
        }
        nodes.push(Node { name: "act".into(), op: Op::Activation { input: nodes.len(), f: act }, shape: vec![n] });
        let g = Graph { input_shape: vec![n], nodes };
        let max_abs = if affine { vec![1.6, 3.3, 3.3] } else { vec![1.6, 1.0] };
        quantize(&g, &max_abs, &cfg8()).unwrap()
    }

    /// The activation on a value `q` at scale `s`, written out from its definition.
    fn act_spec(f: Nonlinearity, q: i64, s: i32, out: i32) -> i64 {
        match f {
            Nonlinearity::Relu => q.max(0),
            _ => (f.apply(q as f64 / (s as f64).exp2()) * (out as f64).exp2()).round() as i64,
        }
    }

    #[test]
    fn fused_and_standalone_activations_over_the_whole_8_bit_domain() {
        let all: Vec<i64> = (-128..128).collect();
        for f in Nonlinearity::ALL {
            // Standalone: the activation reads the input directly, every q of the domain.
            let m = model(false, f);
            assert_eq!(m.layers.len(), 1);
            let out_scale = m.layers[0].scale;
            let y = m.forward(&all).unwrap();
            for (x, v) in all.iter().zip(y.output().iter()) {
                assert_eq!(*v, act_spec(f, *x, m.input_scale, out_scale), "{f:?} standalone, x = {x}");
            }
            // Fused: one layer computes q = round_shift(bias + c x, shift), then act(q).
            let m = model(true, f);
            let [layer] = &m.layers[..] else { panic!("{f:?}: not fused: {} layers", m.layers.len()) };
            let QOp::Affine { rows, shift, act, .. } = &layer.op else { panic!("{:?}", layer.op) };
            let q_scale = match act {
                QAct::Table { in_scale, .. } => *in_scale,
                _ => layer.scale,
            };
            let y = m.forward(&all).unwrap();
            for ((x, v), r) in all.iter().zip(y.output().iter()).zip(rows) {
                let z = r.bias as i128 + r.terms[0].coeff as i128 * *x as i128;
                let d = 1i128 << shift;
                let q = (2 * z + d).div_euclid(2 * d) as i64;
                assert_eq!(*v, act_spec(f, q, q_scale, layer.scale), "{f:?} fused, x = {x}");
                // q is the float pre-activation to within a few units of its scale.
                let float = 0.75 * *x as f64 / (m.input_scale as f64).exp2() + 0.25;
                assert!((q as f64 / (q_scale as f64).exp2() - float).abs() <= 2.0 / (q_scale as f64).exp2());
            }
        }
    }

    #[test]
    fn out_of_range_names_the_layer_and_the_value() {
        // Calibrated for |0.75 x + 0.25| <= 0.3, run on the whole domain: q overflows.
        let rows = (0..256u32).map(|i| Row { bias: 0.25, terms: vec![Term { src: 0, idx: i, coeff: 0.75 }] });
        let a = Affine { kind: AffineKind::Scale, inputs: vec![0], rows: rows.collect(), params: 2 };
        let g = Graph { input_shape: vec![256], nodes: vec![Node { name: "lin".into(), op: Op::Affine(a), shape: vec![256] }] };
        let m = quantize(&g, &[1.6, 0.3], &cfg8()).unwrap();
        let all: Vec<i64> = (-128..128).collect();
        let e = m.forward(&all).unwrap_err();
        assert!(matches!(&e, ModelError::OutOfRange { layer, bits: 8, .. } if layer == "lin"), "{e}");
        // An input value outside the range is refused before anything runs.
        let mut bad = vec![0i64; 256];
        bad[3] = 128;
        let e = m.forward(&bad).unwrap_err();
        assert!(matches!(e, ModelError::OutOfRange { index: 3, value: 128, .. }), "{e}");
        let e = m.forward(&[0; 255]).unwrap_err();
        assert!(matches!(e, ModelError::InputLength { expected: 256, got: 255, .. }), "{e}");
    }
}
