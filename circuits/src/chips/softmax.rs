//! The division of a softmax: `y = floor((2^(F+1)·e + S) / (2S))`, i.e. `e/S · 2^F` rounded half
//! up, with a range-checked remainder. One row per element:
//!
//! | column            | row                                   |
//! |-------------------|---------------------------------------|
//! | `e` (advice a_0)  | a copy of the element's exp value     |
//! | `S` (advice a_1)  | a copy of its row's sum               |
//! | `y` (advice a_2)  | the quotient (the softmax output)     |
//! | `r` (advice a_3)  | the remainder                         |
//! | `t` (advice acc)  | `2S − 1 − r`                          |
//! | `pow` (fixed f_0) | `2^(F+1)`                             |
//! | `f_1`, `f_2`      | range tags of `r` and `t` (the remainder width `R`) |
//! | `f_3`             | range tag of `y` (`F + 1`, through the requant chip's range lookup) |
//!
//! Constraints (degree 3 with the selector): `pow·e + S − 2·S·y − r = 0`, `2S − 1 − r − t = 0`;
//! lookups `r, t ∈ [0, 2^R)` and `y ∈ [0, 2^(F+1))`.
//!
//! Soundness: `r ≥ 0` and `t ≥ 0` give `0 ≤ r < 2S` as integers (every value is far below the
//! field modulus: `S < 2^R`, `y < 2^(F+1)`, so `2Sy + r` cannot wrap), and for a given `e` and
//! `S > 0` exactly one `(y, r)` with `0 ≤ r < 2S` solves the first equation: the rounded
//! quotient. `S = 0` is unsatisfiable (`t = −1 − r`).
use std::marker::PhantomData;

use halo2_proofs::{
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector},
    poly::Rotation,
};

use super::ctx::{known, ACell, Ctx};
use super::range::RangeConfig;
use super::tables::TableConfig;
use crate::field::to_field;

#[derive(Clone, Copy, Debug)]
pub struct SoftmaxDivConfig {
    pub q_div: Selector,
    pub e: Column<Advice>,
    pub s: Column<Advice>,
    pub pow: Column<Fixed>,
    /// `y`, checked by the requant chip's range lookup (value `a_2`, tag `f_3`).
    pub y_range: RangeConfig,
    pub r_range: RangeConfig,
    pub t_range: RangeConfig,
}

impl SoftmaxDivConfig {
    /// `advice = [e, S, y, r, t]`, `fixed = [pow, r tag, t tag]`; `y_range` is an existing
    /// range lookup whose value column is `y`.
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        advice: [Column<Advice>; 5],
        fixed: [Column<Fixed>; 3],
        y_range: RangeConfig,
        tables: &TableConfig,
    ) -> Self {
        let [e, s, y, r, t] = advice;
        let [pow, r_tag, t_tag] = fixed;
        let q_div = meta.selector();
        meta.create_gate("softmax division", |m| {
            let q = m.query_selector(q_div);
            let (ev, sv, yv) = (m.query_advice(e, Rotation::cur()), m.query_advice(s, Rotation::cur()), m.query_advice(y, Rotation::cur()));
            let (rv, tv) = (m.query_advice(r, Rotation::cur()), m.query_advice(t, Rotation::cur()));
            let p = m.query_fixed(pow, Rotation::cur());
            let two = Expression::Constant(F::from(2));
            Constraints::with_selector(
                q,
                [
                    ("quotient", p * ev + sv.clone() - two.clone() * sv.clone() * yv - rv.clone()),
                    ("remainder below 2S", two * sv - Expression::Constant(F::ONE) - rv - tv),
                ],
            )
        });
        let r_range = RangeConfig::configure(meta, r_tag, r, tables);
        let t_range = RangeConfig::configure(meta, t_tag, t, tables);
        SoftmaxDivConfig { q_div, e, s, pow, y_range, r_range, t_range }
    }
}

/// The division chip.
#[derive(Clone, Debug)]
pub struct SoftmaxDivChip<F: PrimeField> {
    config: SoftmaxDivConfig,
    _f: PhantomData<F>,
}

impl<F: PrimeField> SoftmaxDivChip<F> {
    pub fn new(config: SoftmaxDivConfig) -> Self {
        SoftmaxDivChip { config, _f: PhantomData }
    }

    /// One element on a fresh row: copies `e` and `s` (integer values `ints = (e, S)` when the
    /// witness is known), output scale `f`, remainder width `sum_bits`. Returns the cell of `y`.
    pub fn assign(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        e: &ACell<F>,
        s: &ACell<F>,
        ints: Option<(i64, i64)>,
        f: u32,
        sum_bits: u32,
    ) -> Result<ACell<F>, Error> {
        let c = &self.config;
        let row = ctx.alloc(1);
        ctx.enable(&c.q_div, row)?;
        ctx.assign_fixed(c.pow, row, F::from(1u64 << (f + 1)));
        c.y_range.enable(ctx, row, f + 1)?;
        c.r_range.enable(ctx, row, sum_bits)?;
        c.t_range.enable(ctx, row, sum_bits)?;
        ctx.copy_advice(e, c.e, row);
        ctx.copy_advice(s, c.s, row);
        let vals = ints.map(|(e, s)| {
            let (e, s) = (e as i128, s as i128);
            let num = (e << (f + 1)) + s;
            let y = num.div_euclid(2 * s.max(1));
            let r = num - 2 * s * y;
            (y, r, 2 * s - 1 - r)
        });
        let cell = |v: Option<i128>| known(v.map(|x| to_field::<F>(x as i64)));
        let y = ctx.assign_advice(c.y_range.val, row, cell(vals.map(|v| v.0)));
        ctx.assign_advice(c.r_range.val, row, cell(vals.map(|v| v.1)));
        ctx.assign_advice(c.t_range.val, row, cell(vals.map(|v| v.2)));
        Ok(y)
    }
}
