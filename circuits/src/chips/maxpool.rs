//! `y = max_i x_i` over one window of `n` cells, without bit decomposition.
//!
//! One row per window element `i = 0 .. n-1` (`x`, `y`, `d`, `p` advice; `cont`, `last`,
//! `tag` fixed; `d` and `tag` are the range chip's columns):
//!
//! | row     | x     | y              | d             | p                 | cont | last | tag  | q_mp |
//! |---------|-------|----------------|---------------|-------------------|------|------|------|------|
//! | r       | x_0   | y              | d_0 = y - x_0 | p_0 = d_0         | 0    | 0    | bits | 1    |
//! | r + i   | x_i   | y (copy)       | d_i = y - x_i | p_i = p_{i-1} d_i | 1    | 0    | bits | 1    |
//! | r + n-1 | x_n-1 | y (copy)       | d_{n-1}       | p_{n-1} = 0       | 1    | 1    | bits | 1    |
//!
//! Gate `q_mp` (degree 4):
//! - `d - (y - x) = 0`,
//! - `p - d * (cont * p_prev + 1 - cont) = 0` (so `p_{n-1} = prod_i d_i`),
//! - `last * p = 0`.
//!
//! The range chip checks every `d_i in [0, 2^bits)`. Soundness: the product is 0, so
//! `y = x_j` for some `j`; for every `i`, `x_j - x_i` is a field element in `[0, 2^bits)`, and
//! since the `x` are integers of magnitude below `2^63` (inputs or table outputs) a negative
//! difference would be `p - |x_j - x_i|`, far outside that range; so `y >= x_i`, i.e.
//! `y = max`. Each `x_i` is a copy of the input cell, each later `y` a copy of the first.
//! The honest prover needs `max - x_i < 2^bits`, which [`crate::eval::eval`] checks (every window
//! input in the activation range).
use std::marker::PhantomData;

use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector},
    poly::Rotation,
};

use super::ctx::{known, ACell, Ctx};
use super::range::RangeConfig;
use crate::field::to_field;

#[derive(Clone, Copy, Debug)]
pub struct MaxPoolConfig {
    pub q_mp: Selector,
    pub x: Column<Advice>,
    pub y: Column<Advice>,
    pub p: Column<Advice>,
    pub cont: Column<Fixed>,
    pub last: Column<Fixed>,
    /// Range check of `d` (its `val` column is `d`).
    pub range: RangeConfig,
}

impl MaxPoolConfig {
    /// `x, y, p` advice columns, `cont, last` fixed columns; `range.val` holds `d`.
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        [x, y, p]: [Column<Advice>; 3],
        [cont, last]: [Column<Fixed>; 2],
        range: RangeConfig,
    ) -> Self {
        let q_mp = meta.selector();
        let d = range.val;
        meta.create_gate("maxpool", |m| {
            let q = m.query_selector(q_mp);
            let xv = m.query_advice(x, Rotation::cur());
            let yv = m.query_advice(y, Rotation::cur());
            let dv = m.query_advice(d, Rotation::cur());
            let pv = m.query_advice(p, Rotation::cur());
            let pp = m.query_advice(p, Rotation::prev());
            let c = m.query_fixed(cont, Rotation::cur());
            let l = m.query_fixed(last, Rotation::cur());
            let one = Expression::Constant(F::ONE);
            Constraints::with_selector(
                q,
                [
                    ("difference", dv.clone() - (yv - xv)),
                    ("product", pv.clone() - dv * (c.clone() * pp + one - c)),
                    ("some difference is zero", l * pv),
                ],
            )
        });
        MaxPoolConfig {
            q_mp,
            x,
            y,
            p,
            cont,
            last,
            range,
        }
    }
}

#[derive(Clone, Debug)]
pub struct MaxPoolChip<F: PrimeField> {
    config: MaxPoolConfig,
    _f: PhantomData<F>,
}

impl<F: PrimeField> MaxPoolChip<F> {
    pub fn new(config: MaxPoolConfig) -> Self {
        MaxPoolChip {
            config,
            _f: PhantomData,
        }
    }

    /// Lays out one window on `xs.len()` fresh rows (`x_ints` are the integer values when the
    /// witness is known) and returns the cell of `y`.
    pub fn assign(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        xs: &[&ACell<F>],
        x_ints: Option<&[i64]>,
        bits: u32,
    ) -> Result<ACell<F>, Error> {
        let c = &self.config;
        let n = xs.len();
        if n == 0 {
            return Err(Error::Synthesis);
        }
        let max = x_ints.and_then(|v| v.iter().copied().max());
        let yv: Value<F> = known(max.map(to_field));
        let start = ctx.alloc(n);
        let mut y_cell: Option<ACell<F>> = None;
        let mut prod: Value<F> = Value::known(F::ONE);
        for (i, x) in xs.iter().enumerate() {
            let row = start + i;
            ctx.enable(&c.q_mp, row)?;
            ctx.assign_fixed(c.cont, row, F::from(u64::from(i > 0)));
            ctx.assign_fixed(c.last, row, F::from(u64::from(i + 1 == n)));
            c.range.enable(ctx, row, bits)?;
            ctx.copy_advice(x, c.x, row);
            match &y_cell {
                None => y_cell = Some(ctx.assign_advice(c.y, row, yv)),
                Some(y0) => {
                    ctx.copy_advice(y0, c.y, row);
                }
            }
            let d = max
                .zip(x_ints.and_then(|v| v.get(i).copied()))
                .map(|(m, xi)| m - xi);
            let dv: Value<F> = known(d.map(to_field));
            // The running product, computed in the field like the gate does.
            prod = prod * dv;
            ctx.assign_advice(c.range.val, row, dv);
            ctx.assign_advice(c.p, row, prod);
        }
        y_cell.ok_or(Error::Synthesis)
    }
}
