//! The integer reference: the exact computation the circuit proves.
//!
//! [`eval`] runs a [`CircuitModel`] on an input vector and returns every tensor (the
//! [`Witness`]). It is also the range check that lets the prover fail before proving: a
//! rescaled value outside `[-2^(bits-1), 2^(bits-1))` is a [`CircuitError::OutOfRange`] naming
//! the layer, not an unsatisfiable circuit.
use crate::error::CircuitError;
use crate::ir::{Activation, CircuitModel, LayerKind};
use crate::validate::validate;

/// Every intermediate value of one inference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// `tensors[0]` is the input, `tensors[i + 1]` the output of layer `i`.
    pub tensors: Vec<Vec<i64>>,
    /// For each layer, `Some(z)` with the accumulators `z_j = bias_j + sum coeff * x` of an
    /// affine or product layer (before the rescale), `None` for the other kinds.
    pub accumulators: Vec<Option<Vec<i64>>>,
}

impl Witness {
    /// The public output (the last tensor).
    pub fn output(&self) -> &[i64] {
        self.tensors.last().map(Vec::as_slice).unwrap_or(&[])
    }
}

/// `floor((z + 2^(s-1)) / 2^s)` for `s > 0` (round half up), `z` for `s = 0`.
///
/// `s` must be below 127; [`validate`] limits it to [`crate::validate::MAX_SHIFT`].
pub fn round_shift(z: i128, s: u32) -> i128 {
    if s == 0 {
        z
    } else {
        // Arithmetic right shift is floor division by 2^s.
        (z + (1i128 << (s - 1))) >> s
    }
}

/// The activation range `[min, max]` (inclusive) for a bit width.
pub fn act_range(bits: u32) -> (i64, i64) {
    let half = 1i64 << (bits - 1);
    (-half, half - 1)
}

/// The inputs `[lo, hi]` an activation's table holds: the activation range, or a table's own
/// sub-range of it (an embedding's ids, `[0, V)`).
pub fn act_domain(act: &Activation, bits: u32) -> (i64, i64) {
    let (min, max) = act_range(bits);
    match act {
        Activation::Table { min: m, values, .. } => ((*m).max(min), m.saturating_add(values.len() as i64 - 1).min(max)),
        _ => (min, max),
    }
}

/// Applies an activation to a value already known to be in range (tables validated).
pub fn apply_activation(act: &Activation, q: i64) -> i64 {
    match act {
        Activation::Identity => q,
        Activation::Relu => q.max(0),
        Activation::Table { min, values, .. } => {
            // validate() checked the table covers the whole range, so this index exists;
            // fall back to q only to stay panic-free.
            let i = q.checked_sub(*min).and_then(|d| usize::try_from(d).ok());
            i.and_then(|i| values.get(i).copied()).unwrap_or(q)
        }
    }
}

/// Rescales and range-checks one accumulator, returning the rounded value `q`.
pub(crate) fn requant_value(
    layer: &str,
    index: usize,
    z: i128,
    shift: u32,
    bits: u32,
) -> Result<i64, CircuitError> {
    let (min, max) = act_range(bits);
    let q = round_shift(z, shift);
    if q < min as i128 || q > max as i128 {
        return Err(CircuitError::OutOfRange {
            layer: layer.to_string(),
            index,
            value: q,
            min,
            max,
        });
    }
    // In [min, max], which fits i64.
    Ok(q as i64)
}

/// Runs the model on `input` with exact integer semantics (see [`crate::ir`]).
pub fn eval(model: &CircuitModel, input: &[i64]) -> Result<Witness, CircuitError> {
    validate(model)?;
    if input.len() != model.input_len {
        return Err(CircuitError::InputLength {
            got: input.len(),
            expected: model.input_len,
        });
    }
    let mut tensors: Vec<Vec<i64>> = vec![input.to_vec()];
    let mut accumulators = Vec::with_capacity(model.layers.len());
    let (min, max) = act_range(model.bits);
    for layer in &model.layers {
        // validate() checked every tensor id and index below.
        let get = |t: usize| -> &[i64] { tensors.get(t).map(Vec::as_slice).unwrap_or(&[]) };
        let (out, acc) = match &layer.kind {
            LayerKind::Affine(aff) => {
                let mut zs = Vec::with_capacity(aff.rows.len());
                let mut ys = Vec::with_capacity(aff.rows.len());
                for (j, row) in aff.rows.iter().enumerate() {
                    let mut z = row.bias as i128;
                    for t in &row.terms {
                        let src = aff.inputs.get(t.src as usize).copied().unwrap_or(0);
                        let x = get(src).get(t.idx as usize).copied().unwrap_or(0);
                        z += t.coeff as i128 * x as i128;
                    }
                    let q = requant_value(&layer.name, j, z, aff.requant.shift, model.bits)?;
                    // |z| <= 2^(bits + shift) <= 2^48 once q is in range, so it fits i64.
                    zs.push(z as i64);
                    ys.push(apply_activation(&aff.requant.act, q));
                }
                (ys, Some(zs))
            }
            LayerKind::Requant { input, requant } => {
                let mut ys = Vec::new();
                for (j, &x) in get(*input).iter().enumerate() {
                    let q = requant_value(&layer.name, j, x as i128, requant.shift, model.bits)?;
                    ys.push(apply_activation(&requant.act, q));
                }
                (ys, None)
            }
            LayerKind::MaxPool { input, windows } => {
                let x = get(*input);
                let mut ys = Vec::with_capacity(windows.len());
                for w in windows {
                    let mut m = i64::MIN;
                    for &i in w {
                        let v = x.get(i as usize).copied().unwrap_or(0);
                        if v < min || v > max {
                            return Err(CircuitError::OutOfRange {
                                layer: layer.name.clone(),
                                index: i as usize,
                                value: v as i128,
                                min,
                                max,
                            });
                        }
                        m = m.max(v);
                    }
                    ys.push(m);
                }
                (ys, None)
            }
            LayerKind::Embedding { input, tables } => {
                let mut ys = Vec::new();
                for (t, &x) in get(*input).iter().enumerate() {
                    let q = requant_value(&layer.name, t, x as i128, 0, model.bits)?;
                    for a in tables {
                        let (lo, hi) = act_domain(a, model.bits);
                        if q < lo || q > hi {
                            return Err(CircuitError::OutOfRange { layer: layer.name.clone(), index: t, value: q as i128, min: lo, max: hi });
                        }
                        ys.push(apply_activation(a, q));
                    }
                }
                (ys, None)
            }
            LayerKind::Softmax(sm) => {
                let x = get(sm.input);
                let mut ys = vec![0; x.len()];
                for row in &sm.rows {
                    let xs: Vec<i64> = row.iter().map(|&i| x.get(i as usize).copied().unwrap_or(0)).collect();
                    let v = crate::softmax::row_values(&xs, sm, model.bits);
                    if 2 * v.sum > 1i64 << sm.sum_bits {
                        let top = 1i64 << sm.sum_bits;
                        return Err(CircuitError::OutOfRange { layer: layer.name.clone(), index: 0, value: 2 * v.sum as i128, min: 0, max: top });
                    }
                    for (&i, y) in row.iter().zip(v.y) {
                        if let Some(o) = ys.get_mut(i as usize) {
                            *o = y;
                        }
                    }
                }
                (ys, None)
            }
            LayerKind::Product(prod) => {
                let (x, y) = (get(prod.inputs[0]), get(prod.inputs[1]));
                let len = prod.blocks.iter().map(|b| b.c.len()).sum();
                let mut zs = Vec::with_capacity(len);
                let mut ys = Vec::with_capacity(len);
                for (j, ps) in prod.pairs(len).iter().enumerate() {
                    let z: i128 = ps
                        .iter()
                        .map(|&(a, b)| {
                            let xa = x.get(a as usize).copied().unwrap_or(0) as i128;
                            xa * y.get(b as usize).copied().unwrap_or(0) as i128
                        })
                        .sum();
                    let q = requant_value(&layer.name, j, z, prod.requant.shift, model.bits)?;
                    // |z| < 2^(bits + shift) <= 2^48 once q is in range, so it fits i64.
                    zs.push(z as i64);
                    ys.push(apply_activation(&prod.requant.act, q));
                }
                (ys, Some(zs))
            }
            LayerKind::Permute { input, perm } => {
                let x = get(*input);
                let ys = perm
                    .iter()
                    .map(|&i| x.get(i as usize).copied().unwrap_or(0))
                    .collect();
                (ys, None)
            }
        };
        tensors.push(out);
        accumulators.push(acc);
    }
    Ok(Witness {
        tensors,
        accumulators,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{AffineLayer, AffineRow, Layer, Requant, Term};

    #[test]
    fn round_shift_rounds_half_up() {
        assert_eq!(round_shift(5, 1), 3); // 2.5 -> 3
        assert_eq!(round_shift(-5, 1), -2); // -2.5 -> -2
        assert_eq!(round_shift(7, 2), 2); // 1.75 -> 2
        assert_eq!(round_shift(-7, 2), -2);
        assert_eq!(round_shift(-6, 2), -1); // -1.5 -> -1
        assert_eq!(round_shift(9, 0), 9);
    }

    #[test]
    fn out_of_range_names_the_layer() {
        let model = CircuitModel {
            input_len: 1,
            bits: 4,
            layers: vec![Layer {
                name: "fc1".into(),
                kind: LayerKind::Affine(AffineLayer {
                    params: None,
                    inputs: vec![0],
                    rows: vec![AffineRow {
                        bias: 0,
                        terms: vec![Term {
                            src: 0,
                            idx: 0,
                            coeff: 4,
                        }],
                    }],
                    requant: Requant {
                        shift: 0,
                        act: Activation::Relu,
                    },
                }),
            }],
        };
        assert!(eval(&model, &[1]).is_ok());
        let err = eval(&model, &[2]).unwrap_err();
        assert_eq!(
            err,
            CircuitError::OutOfRange {
                layer: "fc1".into(),
                index: 0,
                value: 8,
                min: -8,
                max: 7
            }
        );
        assert!(err.to_string().contains("fc1"));
        assert_eq!(
            eval(&model, &[1, 2]).unwrap_err(),
            CircuitError::InputLength {
                got: 2,
                expected: 1
            }
        );
    }
}
