//! Softmax of each row of a tensor ([`SoftmaxLayer`]), the integer semantics and its layout.
//!
//! Per row of `L` elements `x_i` (`b`-bit activations, `H = 2^(b-1) − 1`, output scale `F`):
//!
//! ```text
//!     M = max_i x_i,   u_i = x_i − M + H,   e_i = EXP[u_i],   S = sum_i e_i,
//!     y_i = floor((2^(F+1)·e_i + S) / (2S))          (e_i / S · 2^F, rounded half up)
//! ```
//!
//! Layout of one row (`W` the dot width):
//!
//! ```text
//!   max-pool rows     x_i | M | M − x_i (range b) | running product      L rows: M = max
//!   dot + requant     u_i = x_i − M + H (dot row), e_i = EXP[u_i] (lookup, shift 0)   2L rows
//!   dot rows          S = sum e_i                                        ceil(L / W) rows
//!   division rows     e_i | S | y_i | r_i | t_i  (chips::softmax)        L rows
//!   zero rows         masked outputs: cells equal to the constant 0      ceil(masked / (W + 1))
//! ```
//!
//! `u_i` lies in the activation range because `M ≥ x_i` and `M − x_i < 2^b` are proved by the
//! max-pool rows; the requant lookup checks it again and binds `e_i` to the table. The
//! quantized model's `models::softmax` states the error bound against the float softmax.
use halo2_proofs::{circuit::Value, halo2curves::ff::PrimeField, plonk::Error};

use crate::chips::ctx::{ACell, Ctx};
use crate::chips::dot::DotChip;
use crate::chips::maxpool::MaxPoolChip;
use crate::chips::requant::{RequantChip, RequantOp};
use crate::chips::softmax::SoftmaxDivChip;
use crate::eval::act_range;
use crate::ir::{Activation, SoftmaxLayer};

/// The integers of one row.
pub struct RowValues {
    pub max: i64,
    /// `u_i = x_i − M + H`.
    pub u: Vec<i64>,
    pub e: Vec<i64>,
    pub sum: i64,
    pub y: Vec<i64>,
}

/// The exp table as an activation (tag in the activation table).
pub fn exp_activation(sm: &SoftmaxLayer, bits: u32) -> Activation {
    Activation::Table { name: "softmax_exp".into(), min: act_range(bits).0, values: sm.exp.clone() }
}

/// Evaluates one row (inputs in range).
pub fn row_values(xs: &[i64], sm: &SoftmaxLayer, bits: u32) -> RowValues {
    let (min, h) = act_range(bits);
    let max = xs.iter().copied().max().unwrap_or(0);
    let u: Vec<i64> = xs.iter().map(|&x| x - max + h).collect();
    let e: Vec<i64> = u.iter().map(|&v| sm.exp.get((v - min) as usize).copied().unwrap_or(0)).collect();
    let sum: i64 = e.iter().sum();
    let f = sm.out_bits;
    let y = e
        .iter()
        .map(|&v| if sum > 0 { (((v as i128) << (f + 1)) + sum as i128).div_euclid(2 * sum as i128) as i64 } else { 0 })
        .collect();
    RowValues { max, u, e, sum, y }
}

/// Checks a softmax layer against its input length: rows partition the input, the exp table
/// covers the range with non-negative values, the output and remainder widths are supported.
pub fn check(sm: &SoftmaxLayer, len: usize, bits: u32) -> Result<(), String> {
    let mut seen = vec![false; len];
    for &i in &sm.masked {
        match seen.get_mut(i as usize) {
            Some(s) if !*s => *s = true,
            _ => return Err(format!("masked element {i} repeated or outside {len}")),
        }
    }
    for (r, row) in sm.rows.iter().enumerate() {
        if row.is_empty() {
            return Err(format!("softmax row {r} is empty"));
        }
        for &i in row {
            match seen.get_mut(i as usize) {
                Some(s) if !*s => *s = true,
                _ => return Err(format!("softmax row {r}: element {i} repeated or outside {len}")),
            }
        }
    }
    if seen.iter().any(|s| !s) {
        return Err("an element is in no softmax row".into());
    }
    let (lo, hi) = act_range(bits);
    if sm.exp.len() != 1usize << bits || sm.exp.iter().any(|&v| !(0..=hi).contains(&v)) {
        return Err(format!("the exp table needs {} entries in [0, {hi}] (from {lo})", 1usize << bits));
    }
    if sm.out_bits + 1 > bits || !(1..=crate::validate::MAX_SHIFT).contains(&sm.sum_bits) {
        return Err(format!("output scale {} or remainder width {} unsupported", sm.out_bits, sm.sum_bits));
    }
    Ok(())
}

/// The chips a softmax layer uses.
pub struct SoftmaxChips<'a, F: PrimeField> {
    pub pool: &'a MaxPoolChip<F>,
    pub dot: &'a DotChip<F>,
    pub requant: &'a RequantChip<F>,
    pub div: &'a SoftmaxDivChip<F>,
    /// Tag of the exp table.
    pub exp_tag: u64,
    /// Advice columns for the constant-0 cells of masked outputs.
    pub zero_cols: &'a [halo2_proofs::plonk::Column<halo2_proofs::plonk::Advice>],
}

/// Lays out a softmax layer over `n` samples (`x` their input cells one after the other,
/// `x_ints` the values when the witness is known); returns the output cells in output order.
pub fn softmax_layer<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    chips: &SoftmaxChips<'_, F>,
    sm: &SoftmaxLayer,
    x: &[ACell<F>],
    x_ints: Option<&Vec<i64>>,
    n: usize,
    bits: u32,
) -> Result<Vec<ACell<F>>, Error> {
    let len = x.len() / n.max(1);
    let (_, h) = act_range(bits);
    let exp = exp_activation(sm, bits);
    let rq = RequantOp { shift: 0, tag: chips.exp_tag, act: &exp, bits };
    let mut out: Vec<Option<ACell<F>>> = vec![None; x.len()];
    for b in 0..n {
        for row in &sm.rows {
            let at = |i: u32| b * len + i as usize;
            let cells = row.iter().map(|&i| x.get(at(i)).ok_or(Error::Synthesis)).collect::<Result<Vec<_>, _>>()?;
            let xs: Option<Vec<i64>> = x_ints.map(|v| row.iter().map(|&i| v.get(at(i)).copied().unwrap_or(0)).collect());
            let vals = xs.as_ref().map(|xs| row_values(xs, sm, bits));
            let max = chips.pool.assign(ctx, &cells, xs.as_deref(), bits)?;
            let mut es = Vec::with_capacity(row.len());
            for (k, c) in cells.iter().enumerate() {
                let u = chips.dot.assign(ctx, h, &[(c, 1), (&max, -1)])?;
                let u_int = vals.as_ref().and_then(|v| v.u.get(k).copied());
                es.push(chips.requant.assign(ctx, &u, u_int, rq)?);
            }
            let sum = chips.dot.assign(ctx, 0, &es.iter().map(|e| (e, 1)).collect::<Vec<_>>())?;
            for (k, (&i, e)) in row.iter().zip(&es).enumerate() {
                let ints = vals.as_ref().and_then(|v| v.e.get(k).map(|&e| (e, v.sum)));
                let y = chips.div.assign(ctx, e, &sum, ints, sm.out_bits, sm.sum_bits)?;
                *out.get_mut(b * len + i as usize).ok_or(Error::Synthesis)? = Some(y);
            }
        }
        // Masked outputs: cells constrained to the constant 0, packed on shared rows.
        if !sm.masked.is_empty() {
            let start = ctx.alloc(sm.masked.len().div_ceil(chips.zero_cols.len().max(1)));
            for (k, &i) in sm.masked.iter().enumerate() {
                let col = *chips.zero_cols.get(k % chips.zero_cols.len().max(1)).ok_or(Error::Synthesis)?;
                let z = ctx.assign_advice(col, start + k / chips.zero_cols.len().max(1), Value::known(F::ZERO));
                ctx.constrain_constant(z.cell, F::ZERO)?;
                *out.get_mut(b * len + i as usize).ok_or(Error::Synthesis)? = Some(z);
            }
        }
    }
    out.into_iter().map(|c| c.ok_or(Error::Synthesis)).collect()
}
