//! Structural validation of a [`CircuitModel`]: every check that does not need an input.
use crate::error::CircuitError;
use crate::eval::act_range;
use crate::ir::{Activation, AffineLayer, CircuitModel, LayerKind, ParamMap, Requant};

/// The largest rescale shift (the range table holds `2^shift` rows for it).
pub const MAX_SHIFT: u32 = 24;
/// Smallest supported activation width.
pub const MIN_BITS: u32 = 2;
/// Largest supported activation width (tables hold `2^bits` rows per activation).
pub const MAX_BITS: u32 = 24;

/// Checks the model and returns the length of every tensor (`lens[0]` is the input).
///
/// Checks: `bits` in range; at least one layer; every tensor id refers to an earlier tensor;
/// every element index is in bounds; term sources name an input of the layer; shifts are at
/// most [`MAX_SHIFT`]; table activations cover the whole activation range; max-pool windows
/// are not empty.
pub fn validate(model: &CircuitModel) -> Result<Vec<usize>, CircuitError> {
    if !(MIN_BITS..=MAX_BITS).contains(&model.bits) {
        return Err(CircuitError::BadBits {
            bits: model.bits,
            min: MIN_BITS,
            max: MAX_BITS,
        });
    }
    if model.layers.is_empty() {
        return Err(CircuitError::NoLayers);
    }
    let mut lens = vec![model.input_len];
    for layer in &model.layers {
        let name = &layer.name;
        let tensor_len = |t: usize, lens: &[usize]| -> Result<usize, CircuitError> {
            lens.get(t)
                .copied()
                .ok_or_else(|| CircuitError::UnknownTensor {
                    layer: name.clone(),
                    tensor: t,
                    available: lens.len(),
                })
        };
        let in_bounds = |index: usize, len: usize| -> Result<(), CircuitError> {
            if index < len {
                Ok(())
            } else {
                Err(CircuitError::IndexOutOfBounds {
                    layer: name.clone(),
                    index,
                    len,
                })
            }
        };
        let out_len = match &layer.kind {
            LayerKind::Affine(aff) => {
                let in_lens = aff
                    .inputs
                    .iter()
                    .map(|&t| tensor_len(t, &lens))
                    .collect::<Result<Vec<_>, _>>()?;
                for row in &aff.rows {
                    for t in &row.terms {
                        let len = in_lens.get(t.src as usize).copied().ok_or_else(|| {
                            CircuitError::BadTermSource {
                                layer: name.clone(),
                                src: t.src as usize,
                                inputs: in_lens.len(),
                            }
                        })?;
                        in_bounds(t.idx as usize, len)?;
                    }
                }
                check_requant(name, &aff.requant, model.bits)?;
                if let Some(p) = &aff.params {
                    check_params(name, aff, p)?;
                }
                aff.rows.len()
            }
            LayerKind::Requant { input, requant } => {
                check_requant(name, requant, model.bits)?;
                tensor_len(*input, &lens)?
            }
            LayerKind::MaxPool { input, windows } => {
                let len = tensor_len(*input, &lens)?;
                for (w, window) in windows.iter().enumerate() {
                    if window.is_empty() {
                        return Err(CircuitError::EmptyWindow {
                            layer: name.clone(),
                            window: w,
                        });
                    }
                    for &i in window {
                        in_bounds(i as usize, len)?;
                    }
                }
                windows.len()
            }
            LayerKind::Permute { input, perm } => {
                let len = tensor_len(*input, &lens)?;
                for &i in perm {
                    in_bounds(i as usize, len)?;
                }
                perm.len()
            }
            LayerKind::Embedding { input, tables } => {
                if tables.is_empty() {
                    return Err(CircuitError::BadProduct { layer: name.clone(), reason: "an embedding without columns".into() });
                }
                // Each column's table covers the ids, a sub-range of the activation range
                // (an id outside it has no table entry, so no proof).
                let (lo, hi) = act_range(model.bits);
                for act in tables {
                    if let Activation::Table { name: t, min, values } = act {
                        let end = min.saturating_add(values.len() as i64);
                        if values.is_empty() || *min < lo || end > hi + 1 {
                            return Err(CircuitError::TableCoverage {
                                layer: name.clone(),
                                name: t.clone(),
                                min: *min,
                                end,
                                need_min: lo,
                                need_end: hi + 1,
                            });
                        }
                    } else {
                        check_requant(name, &Requant { shift: 0, act: act.clone() }, model.bits)?;
                    }
                }
                tensor_len(*input, &lens)? * tables.len()
            }
            LayerKind::Softmax(sm) => {
                let len = tensor_len(sm.input, &lens)?;
                crate::softmax::check(sm, len, model.bits).map_err(|reason| CircuitError::BadProduct {
                    layer: name.clone(),
                    reason,
                })?;
                len
            }
            LayerKind::Product(p) => {
                let in_lens = [tensor_len(p.inputs[0], &lens)?, tensor_len(p.inputs[1], &lens)?];
                check_requant(name, &p.requant, model.bits)?;
                crate::product::check(p, in_lens).map_err(|reason| CircuitError::BadProduct {
                    layer: name.clone(),
                    reason,
                })?
            }
        };
        lens.push(out_len);
    }
    Ok(lens)
}

fn check_requant(layer: &str, r: &Requant, bits: u32) -> Result<(), CircuitError> {
    if r.shift > MAX_SHIFT {
        return Err(CircuitError::ShiftTooLarge {
            layer: layer.to_string(),
            shift: r.shift,
            max: MAX_SHIFT,
        });
    }
    if let Activation::Table { name, min, values } = &r.act {
        let (need_min, need_max) = act_range(bits);
        let end = min.saturating_add(values.len() as i64);
        if *min > need_min || end <= need_max {
            return Err(CircuitError::TableCoverage {
                layer: layer.to_string(),
                name: name.clone(),
                min: *min,
                end,
                need_min,
                need_end: need_max + 1,
            });
        }
    }
    Ok(())
}

/// A [`ParamMap`] matches its rows: one entry per term and per row, indices in bounds, and the
/// referenced values equal the coefficients and biases.
fn check_params(layer: &str, aff: &AffineLayer, p: &ParamMap) -> Result<(), CircuitError> {
    let bad = |reason: String| CircuitError::BadParamMap {
        layer: layer.to_string(),
        reason,
    };
    if p.term_weight.len() != aff.rows.len() || p.row_bias.len() != aff.rows.len() {
        return Err(bad(format!(
            "{} rows, {} term maps, {} bias indices",
            aff.rows.len(),
            p.term_weight.len(),
            p.row_bias.len()
        )));
    }
    for (j, (row, (tw, &bi))) in aff
        .rows
        .iter()
        .zip(p.term_weight.iter().zip(&p.row_bias))
        .enumerate()
    {
        if tw.len() != row.terms.len() {
            return Err(bad(format!(
                "row {j}: {} terms, {} weight indices",
                row.terms.len(),
                tw.len()
            )));
        }
        if p.biases.get(bi as usize) != Some(&row.bias) {
            return Err(bad(format!(
                "row {j}: bias index {bi} does not hold the row's bias"
            )));
        }
        for (t, (term, &wi)) in row.terms.iter().zip(tw).enumerate() {
            if p.weights.get(wi as usize) != Some(&term.coeff) {
                return Err(bad(format!(
                    "row {j} term {t}: weight index {wi} does not hold its coefficient"
                )));
            }
        }
    }
    Ok(())
}
