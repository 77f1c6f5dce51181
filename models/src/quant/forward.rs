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
