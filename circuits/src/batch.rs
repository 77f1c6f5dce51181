//! Many inferences in one circuit (`CircuitParams::batch = N > 1`).
//!
//! Every tensor of the layout holds the `N` samples' values one after the other (sample `b`
//! of tensor `t` at `[b·len_t, (b+1)·len_t)`), and so do the public instance's input and output
//! parts and the [`Witness`] of [`eval_batch`]. Per affine layer the layout picks, by rows
//! ([`affine_rows`]), either the dot product of every sample or one Freivalds check of the
//! whole batch ([`freivalds_affine`]): `Z = X·Wᵀ + 1·biasᵀ` with `X` the `N × n` matrix of the
//! inputs the layer reads, so that its weights are touched once per proof instead of once per
//! sample. Requant rows hold several elements side by side ([`requant_lanes`]).
use halo2_proofs::{circuit::Value, halo2curves::ff::PrimeField, plonk::Error};
use std::collections::HashMap;

use crate::chips::ctx::{ACell, Ctx};
use crate::chips::dot::DotChip;
use crate::chips::freivalds::{Factor, FreivaldsChip, FreivaldsConfig, Pending, Product};
use crate::chips::requant::{RequantChip, RequantOp, ZIn};
use crate::error::CircuitError;
use crate::eval::{eval, Witness};
use crate::ir::{AffineLayer, CircuitModel};

/// Most requant lanes per row: each lane adds two lookup arguments.
pub const MAX_REQUANT_LANES: usize = 4;

/// Requant lanes at width `w` in a batch circuit: four advice and four fixed columns each,
/// within `a_0 .. a_w` and `f_0 .. f_{w+1}`. A single-inference circuit has one.
pub fn requant_lanes(width: usize, batch: usize) -> usize {
    match batch > 1 {
        true => ((width + 1) / 4).clamp(1, MAX_REQUANT_LANES),
        false => 1,
    }
}

/// Runs the integer reference on each of the `n` samples in `flat` (`n · input_len` values)
/// and concatenates every tensor and accumulator sample by sample.
pub fn eval_batch(model: &CircuitModel, flat: &[i64], n: usize) -> Result<Witness, CircuitError> {
    if n == 0 || flat.len() != n * model.input_len {
        return Err(CircuitError::BadSettings(format!(
            "a batch of {n} inputs of {} values needs {} values, got {}",
            model.input_len,
            n * model.input_len,
            flat.len()
        )));
    }
    let mut out: Option<Witness> = None;
    for x in flat.chunks(model.input_len.max(1)) {
        let w = eval(model, x)?;
        match out.as_mut() {
            None => out = Some(w),
            Some(acc) => {
                for (t, v) in acc.tensors.iter_mut().zip(w.tensors) {
                    t.extend(v);
                }
                for (a, z) in acc.accumulators.iter_mut().zip(w.accumulators) {
                    if let (Some(a), Some(z)) = (a.as_mut(), z) {
                        a.extend(z);
                    }
                }
            }
        }
    }
    out.ok_or(CircuitError::NoLayers)
}

/// The distinct input elements `(src, idx)` an affine layer reads, in order of first use.
fn distinct_inputs(aff: &AffineLayer) -> (Vec<(u8, u32)>, HashMap<(u8, u32), usize>) {
    let mut order = Vec::new();
    let mut index = HashMap::new();
    for t in aff.rows.iter().flat_map(|r| &r.terms) {
        if t.coeff != 0 {
            index.entry((t.src, t.idx)).or_insert_with(|| {
                order.push((t.src, t.idx));
                order.len() - 1
            });
        }
    }
    (order, index)
}

/// Rows of the accumulation of an affine layer over a batch of `n` at width `w`: `(direct dot
/// products, Freivalds check)`. The requant rows are the same either way.
pub fn affine_rows(aff: &AffineLayer, n: usize, w: usize) -> (usize, usize) {
    let terms: Vec<usize> = aff
        .rows
        .iter()
        .map(|r| r.terms.iter().filter(|t| t.coeff != 0).count())
        .collect();
    let direct = n * terms.iter().map(|&t| DotChip::<halo2_proofs::halo2curves::bn256::Fr>::rows_for(t, w)).sum::<usize>();
    let (inputs, _) = distinct_inputs(aff);
    let with_bias: Vec<usize> = aff
        .rows
        .iter()
        .zip(&terms)
        .map(|(r, &t)| t + usize::from(r.bias != 0))
        .collect();
    // The one-row of the constant 1, then lanes: the inputs, the ones, the outputs.
    let lanes = inputs.len() + 1 + aff.rows.len();
    let fr = 1 + FreivaldsChip::<halo2_proofs::halo2curves::bn256::Fr>::rows_for(n, lanes, &with_bias, w);
    (direct, fr)
}

/// Lays out `items` (a `z` source and its integer value each) on requant rows, `chips.len()`
/// elements per row, and returns the `(z, y)` cells in order.
pub fn requant_packed<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    chips: &[RequantChip<F>],
    items: &[(ZIn<'_, F>, Option<i64>)],
    op: RequantOp<'_>,
) -> Result<Vec<(ACell<F>, ACell<F>)>, Error> {
    let lanes = chips.len().max(1);
    let per = chips.first().map_or(1, |c| c.rows(&op));
    let start = ctx.alloc(items.len().div_ceil(lanes) * per);
    items
        .iter()
        .enumerate()
        .map(|(e, &(z, zi))| {
            let chip = chips.get(e % lanes).ok_or(Error::Synthesis)?;
            chip.assign_at(ctx, start + (e / lanes) * per, z, zi, op)
        })
        .collect()
}

/// An affine layer of a batch of `n` through one Freivalds check (see the module doc).
/// `srcs` are the layer's input tensors (all samples), `zs` the accumulators of all samples
/// (when the witness is known). Each accumulator is a fresh cell of its requant row; the
/// check (`Z = X·Wᵀ + 1·biasᵀ`, with a lane of copies of a cell constrained to 1) binds it.
/// Returns the layer's output cells and the second phase still to assign.
#[allow(clippy::too_many_arguments)]
pub fn freivalds_affine<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    fr: &FreivaldsConfig,
    one_col: halo2_proofs::plonk::Column<halo2_proofs::plonk::Advice>,
    chips: &[RequantChip<F>],
    aff: &AffineLayer,
    srcs: &[&Vec<ACell<F>>],
    zs: Option<&Vec<i64>>,
    n: usize,
    op: RequantOp<'_>,
) -> Result<(Vec<ACell<F>>, Pending<F>), Error> {
    let p = aff.rows.len();
    let items: Vec<(ZIn<'_, F>, Option<i64>)> = (0..n * p)
        .map(|e| (ZIn::Fresh, zs.and_then(|z| z.get(e)).copied()))
        .collect();
    let cells = requant_packed(ctx, chips, &items, op)?;
    let row = ctx.alloc(1);
    let one = ctx.assign_advice(one_col, row, Value::known(F::ONE));
    ctx.constrain_constant(one.cell, F::ONE)?;
    let (inputs, index) = distinct_inputs(aff);
    let a = (0..n)
        .map(|b| {
            let mut r = inputs
                .iter()
                .map(|&(s, i)| {
                    let t = srcs.get(s as usize).ok_or(Error::Synthesis)?;
                    let len = t.len() / n;
                    t.get(b * len + i as usize).ok_or(Error::Synthesis)
                })
                .collect::<Result<Vec<_>, Error>>()?;
            r.push(&one);
            Ok(r)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let cols = aff
        .rows
        .iter()
        .map(|r| {
            let mut t: Vec<(usize, i64)> = r
                .terms
                .iter()
                .filter(|t| t.coeff != 0)
                .map(|t| index.get(&(t.src, t.idx)).map(|&i| (i, t.coeff)).ok_or(Error::Synthesis))
                .collect::<Result<_, _>>()?;
            t.push((inputs.len(), r.bias));
            Ok(t)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let c = cells.chunks(p.max(1)).map(|ch| ch.iter().map(|(z, _)| z).collect()).collect();
    let prod = Product { a, b: Factor::Fixed(cols), c };
    let pending = FreivaldsChip::new(fr.clone()).begin(ctx, &prod)?;
    Ok((cells.into_iter().map(|(_, y)| y).collect(), pending))
}
