//! Structural checks of a [`QuantModel`], so that a model read from a file (or built by hand)
//! is rejected with a typed error instead of making the integer reference index out of bounds
//! or overflow its accumulator.
use super::model::{QAct, QOp, QuantModel, MODEL_FORMAT};
use crate::error::{ModelError, Result};

/// Largest |coefficient| and |bias| accepted. With activations of at most 16 bits and fewer
/// than 2^32 terms per row, `bias + sum coeff * x` stays below 2^(48 + 16 + 32) < 2^127.
const MAX_WEIGHT: i64 = 1 << 48;

impl QuantModel {
    /// Check the format version, the settings, and every layer's wiring: inputs are earlier
    /// tensors, every index is inside its tensor, row/window/permutation counts match the
    /// layer's shape, shifts are at most `max_shift`, weights are bounded and tables cover
    /// the whole activation range.
    pub fn validate(&self) -> Result<()> {
        let err = |layer: &str, reason: String| ModelError::InvalidQuantModel { layer: layer.into(), reason };
        if self.format != MODEL_FORMAT {
            return Err(err("-", format!("format {} (this build reads format {MODEL_FORMAT})", self.format)));
        }
        self.config.validate()?;
        let mut lens = vec![self.input_len()];
        for (i, layer) in self.layers.iter().enumerate() {
            let name = layer.name.as_str();
            let n: usize = layer.shape.iter().product();
            let len_of = |t: usize| -> Result<usize> {
                lens.get(t).copied().ok_or_else(|| err(name, format!("reads tensor {t}, which is not produced before layer {}", i + 1)))
            };
            let in_range = |what: &str, idx: u32, len: usize| -> Result<()> {
                if (idx as usize) < len {
                    Ok(())
                } else {
                    Err(err(name, format!("{what} index {idx} is outside a tensor of {len} elements")))
                }
            };
            let count = |what: &str, got: usize| -> Result<()> {
                if got == n {
                    Ok(())
                } else {
                    Err(err(name, format!("{got} {what} for an output of shape {:?} ({n} elements)", layer.shape)))
                }
            };
            let check_shift = |shift: u32| -> Result<()> {
                if shift <= self.config.max_shift {
                    Ok(())
                } else {
                    Err(err(name, format!("shift {shift} exceeds max_shift {}", self.config.max_shift)))
                }
            };
            match &layer.op {
                QOp::Affine { inputs, rows, shift, act, .. } => {
                    let in_lens: Vec<usize> = inputs.iter().map(|&t| len_of(t)).collect::<Result<_>>()?;
                    count("rows", rows.len())?;
                    check_shift(*shift)?;
                    self.check_act(name, act)?;
                    for r in rows {
                        // `unsigned_abs`: a bias of i64::MIN (a huge float bias, saturated by
                        // quantization) made `abs` overflow (`onnx` fuzz target).
                        if r.bias.unsigned_abs() > MAX_WEIGHT.unsigned_abs() {
                            return Err(err(name, format!("bias {} exceeds 2^48 in magnitude", r.bias)));
                        }
                        for t in &r.terms {
                            let len = *in_lens
                                .get(t.src as usize)
                                .ok_or_else(|| err(name, format!("term reads input slot {} of {}", t.src, in_lens.len())))?;
                            in_range("term", t.idx, len)?;
                            if t.coeff.unsigned_abs() > MAX_WEIGHT.unsigned_abs() {
                                return Err(err(name, format!("coefficient {} exceeds 2^48 in magnitude", t.coeff)));
                            }
                        }
                    }
                }
                QOp::Activation { input, shift, act } => {
                    count("elements in the input", len_of(*input)?)?;
                    check_shift(*shift)?;
                    self.check_act(name, act)?;
                }
                QOp::MaxPool { input, windows } => {
                    let len = len_of(*input)?;
                    count("windows", windows.len())?;
                    for w in windows {
                        if w.is_empty() {
                            return Err(err(name, "empty max-pool window".into()));
                        }
                        w.iter().try_for_each(|&idx| in_range("window", idx, len))?;
                    }
                }
                QOp::Permute { input, perm } => {
                    let len = len_of(*input)?;
                    count("permutation entries", perm.len())?;
                    perm.iter().try_for_each(|&idx| in_range("permutation", idx, len))?;
                }
                QOp::Embedding { input, tables } => {
                    count("embedding outputs", len_of(*input)? * tables.len())?;
                    let (lo, hi) = (self.config.min(), self.config.max());
                    let vocab = tables.first().map_or(0, Vec::len);
                    let ids_fit = vocab >= 1 && vocab as i64 <= hi + 1;
                    if !ids_fit || tables.iter().any(|t| t.len() != vocab || t.iter().any(|v| !(lo..=hi).contains(v))) {
                        return Err(err(name, "embedding tables must have one entry per id, ids in the activation range, values in it".into()));
                    }
                }
                QOp::Softmax { input, rows, masked, exp, sum_bits, .. } => {
                    let len = len_of(*input)?;
                    count("elements in the input", len)?;
                    crate::softmax::check_rows(rows, masked, len).map_err(|r| err(name, r))?;
                    let (lo, hi) = (self.config.min(), self.config.max());
                    if exp.len() != 1usize << self.config.bits || exp.iter().any(|v| !(lo..=hi).contains(v)) {
                        return Err(err(name, "the softmax exp table does not cover the range with values in it".into()));
                    }
                    if *sum_bits != crate::softmax::sum_bits(rows, &self.config) || layer.scale != crate::softmax::out_scale(&self.config) {
                        return Err(err(name, "softmax remainder width or output scale does not follow the settings".into()));
                    }
                }
                QOp::Product { kind, inputs, blocks, shift, act } => {
                    let lens = [len_of(inputs[0])?, len_of(inputs[1])?];
                    check_shift(*shift)?;
                    self.check_act(name, act)?;
                    let p = crate::product::Product { kind: *kind, inputs: *inputs, blocks: blocks.clone() };
                    p.check(lens, n).map_err(|r| err(name, r))?;
                    // With at most 2^32 terms of two 24-bit factors the sum stays below 2^80.
                }
            }
            lens.push(n);
        }
        Ok(())
    }

    fn check_act(&self, layer: &str, act: &QAct) -> Result<()> {
        let QAct::Table { min, values, .. } = act else { return Ok(()) };
        let size = 1usize << self.config.bits;
        let (lo, hi) = (self.config.min(), self.config.max());
        if let Some(v) = values.iter().find(|v| !(lo..=hi).contains(*v)) {
            return Err(ModelError::InvalidQuantModel {
                layer: layer.into(),
                reason: format!("activation table value {v} is outside the range [{lo}, {hi}]"),
            });
        }
        if *min != self.config.min() || values.len() != size {
            return Err(ModelError::InvalidQuantModel {
                layer: layer.into(),
                reason: format!(
                    "activation table starts at {min} with {} entries; the {}-bit range needs {} from {}",
                    values.len(),
                    self.config.bits,
                    size,
                    self.config.min()
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Affine, AffineKind, Graph, Node, Nonlinearity, Op, Row, Term};
    use crate::quant::{error_bounds, quantize, QuantConfig};

    /// Input [2] -> affine [2] fused with tanh -> permute [2].
    fn model() -> QuantModel {
        let rows = (0..2u32).map(|i| Row { bias: 0.1, terms: vec![Term { src: 0, idx: i, coeff: 0.5 }] }).collect();
        let nodes = vec![
            Node { name: "lin".into(), op: Op::Affine(Affine { kind: AffineKind::Scale, inputs: vec![0], rows, params: 2 }), shape: vec![2] },
            Node { name: "tanh".into(), op: Op::Activation { input: 1, f: Nonlinearity::Tanh }, shape: vec![2] },
            Node { name: "swap".into(), op: Op::Permute { input: 2, perm: vec![1, 0] }, shape: vec![2] },
        ];
        let g = Graph { input_shape: vec![2], nodes };
        g.validate().unwrap();
        quantize(&g, &[1.0, 0.6, 0.5, 0.5], &QuantConfig::default()).unwrap()
    }

    /// Every mutation is refused by `validate` and by `forward`, with a typed error, no panic.
    #[test]
    fn malformed_models_are_refused() {
        let good = model();
        good.validate().unwrap();
        assert_eq!(good.layers.len(), 2);
        type Mutation = (&'static str, fn(&mut QuantModel));
        let mutations: Vec<Mutation> = vec![
            ("format", |m| m.format = 99),
            ("settings", |m| m.config.bits = 99),
            ("term index", |m| {
                if let QOp::Affine { rows, .. } = &mut m.layers[0].op {
                    rows[1].terms[0].idx = 2;
                }
            }),
            ("input slot", |m| {
                if let QOp::Affine { rows, .. } = &mut m.layers[0].op {
                    rows[0].terms[0].src = 1;
                }
            }),
            ("later tensor", |m| {
                if let QOp::Affine { inputs, .. } = &mut m.layers[0].op {
                    inputs[0] = 1;
                }
            }),
            ("row count", |m| {
                if let QOp::Affine { rows, .. } = &mut m.layers[0].op {
                    rows.pop();
                }
            }),
            ("shift", |m| {
                if let QOp::Affine { shift, .. } = &mut m.layers[0].op {
                    *shift = 200;
                }
            }),
            ("huge weight", |m| {
                if let QOp::Affine { rows, .. } = &mut m.layers[0].op {
                    rows[0].terms[0].coeff = i64::MAX;
                }
            }),
            // Found by the `onnx` fuzz target: `abs` of these overflowed inside `validate`.
            ("most negative bias", |m| {
                if let QOp::Affine { rows, .. } = &mut m.layers[0].op {
                    rows[0].bias = i64::MIN;
                }
            }),
            ("most negative weight", |m| {
                if let QOp::Affine { rows, .. } = &mut m.layers[0].op {
                    rows[0].terms[0].coeff = i64::MIN;
                }
            }),
            ("short table", |m| {
                if let QOp::Affine { act: QAct::Table { values, .. }, .. } = &mut m.layers[0].op {
                    values.pop();
                }
            }),
            ("table value", |m| {
                if let QOp::Affine { act: QAct::Table { values, .. }, .. } = &mut m.layers[0].op {
                    values[0] = 1 << 40;
                }
            }),
            ("permutation index", |m| {
                if let QOp::Permute { perm, .. } = &mut m.layers[1].op {
                    perm[0] = 7;
                }
            }),
            ("shape", |m| m.layers[1].shape = vec![3]),
        ];
        for (what, mutate) in mutations {
            let mut m = good.clone();
            mutate(&mut m);
            assert_ne!(m, good, "{what}: mutation did nothing");
            let e = m.validate().unwrap_err();
            assert!(matches!(e, ModelError::InvalidQuantModel { .. } | ModelError::Config(_)), "{what}: {e}");
            assert!(m.forward(&[0, 0]).is_err(), "{what}");
        }
    }

    #[test]
    fn error_bounds_need_a_trace_of_the_model() {
        let m = model();
        let trace = m.forward(&[10, -20]).unwrap();
        let b = error_bounds(&m, &trace).unwrap();
        assert_eq!(b.len(), 3);
        let mut short = trace.clone();
        short.tensors.pop();
        assert!(matches!(error_bounds(&m, &short), Err(ModelError::InvalidQuantModel { .. })));
    }
}
