//! Rounded rescale fused with the activation lookup, one row per element.
//!
//! | column             | row `r`                         |
//! |--------------------|---------------------------------|
//! | `z` (advice)       | `z`, a copy of the accumulator or input cell, or (a Freivalds layer of a batch) a fresh cell that the Freivalds check binds |
//! | `q` (advice)       | `q = floor((z + 2^(s-1)) / 2^s)` |
//! | `r` (advice)       | `r = z + 2^(s-1) - q * 2^s`     |
//! | `y` (advice)       | `y = act(q)`, the new tensor element |
//! | `pow` (fixed)      | `2^s`                           |
//! | `half` (fixed)     | `2^(s-1)` (0 when `s = 0`)      |
//! | `act_tag` (fixed)  | tag of `act` in the activation table |
//! | `shift_tag` (fixed)| `s` (the range chip's tag column) |
//! | `q_req` (complex selector) | 1 |
//!
//! Constraints:
//! - gate (degree 3): `q_req * (z + half - q * pow - r) = 0`;
//! - lookup `(q_req * act_tag, q_req * q, q_req * y)` in the activation table: `q` lies in
//!   `[-2^(bits-1), 2^(bits-1))` and `y = act(q)` (the table is a function of `(tag, q)`);
//! - the range chip on `r` with width `s`: `r in [0, 2^s)`.
//!
//! Soundness: `q * 2^s + r` ranges over an integer interval of length `2^(bits+s)`, far below
//! the field modulus, so the field equation has at most one solution `(q, r)` for a given `z`,
//! and that solution is the integer division with rounding. Rows where `q_req = 0` look up
//! the entries `(0, 0, 0)` and `(0, 0)` that both tables hold. All columns are shared.
use std::marker::PhantomData;

use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Fixed, Selector},
    poly::Rotation,
};

use super::ctx::{known, ACell, Ctx};
use super::range::RangeConfig;
use super::tables::TableConfig;
use crate::eval::{apply_activation, round_shift};
use crate::field::{to_field, to_field_i128};
use crate::ir::Activation;

#[derive(Clone, Copy, Debug)]
pub struct RequantConfig {
    pub q_req: Selector,
    pub z: Column<Advice>,
    pub q: Column<Advice>,
    pub y: Column<Advice>,
    pub pow: Column<Fixed>,
    pub half: Column<Fixed>,
    pub act_tag: Column<Fixed>,
    /// Range check of `r` (its `val` column is `r`, its `tag` column holds `s`).
    pub range: RangeConfig,
}

impl RequantConfig {
    /// `advice = [z, q, r, y]`, `fixed = [pow, half, act_tag, shift_tag]`.
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        advice: [Column<Advice>; 4],
        fixed: [Column<Fixed>; 4],
        tables: &TableConfig,
    ) -> Self {
        let [z, q, r, y] = advice;
        let [pow, half, act_tag, shift_tag] = fixed;
        let q_req = meta.complex_selector();
        meta.create_gate("requant", |m| {
            let s = m.query_selector(q_req);
            let z = m.query_advice(z, Rotation::cur());
            let qv = m.query_advice(q, Rotation::cur());
            let rv = m.query_advice(r, Rotation::cur());
            let p = m.query_fixed(pow, Rotation::cur());
            let h = m.query_fixed(half, Rotation::cur());
            Constraints::with_selector(s, [("rescale", z + h - qv * p - rv)])
        });
        meta.lookup("activation", |m| {
            let s = m.query_selector(q_req);
            let t = m.query_fixed(act_tag, Rotation::cur());
            let qv = m.query_advice(q, Rotation::cur());
            let yv = m.query_advice(y, Rotation::cur());
            vec![
                (s.clone() * t, tables.act_tag),
                (s.clone() * qv, tables.act_in),
                (s * yv, tables.act_out),
            ]
        });
        let range = RangeConfig::configure(meta, shift_tag, r, tables);
        RequantConfig {
            q_req,
            z,
            q,
            y,
            pow,
            half,
            act_tag,
            range,
        }
    }
}

/// Where the `z` cell of a requant row comes from.
#[derive(Clone, Copy, Debug)]
pub enum ZIn<'a, F: PrimeField> {
    /// A copy of this cell (a dot product's result, an input).
    Copy(&'a ACell<F>),
    /// A fresh witness cell (constrained elsewhere, by the Freivalds chip).
    Fresh,
}

/// The requant chip.
#[derive(Clone, Debug)]
pub struct RequantChip<F: PrimeField> {
    config: RequantConfig,
    _f: PhantomData<F>,
}

/// What one requant row computes.
#[derive(Clone, Copy, Debug)]
pub struct RequantOp<'a> {
    pub shift: u32,
    /// Tag of `act` in the activation table.
    pub tag: u64,
    pub act: &'a Activation,
}

impl<F: PrimeField> RequantChip<F> {
    pub fn new(config: RequantConfig) -> Self {
        RequantChip {
            config,
            _f: PhantomData,
        }
    }

    /// Lays out one element on a fresh row: copies `z` (whose integer value is `z_int` when
    /// the witness is known) and returns the cell of `y`.
    pub fn assign(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        z: &ACell<F>,
        z_int: Option<i64>,
        op: RequantOp<'_>,
    ) -> Result<ACell<F>, Error> {
        let row = ctx.alloc(1);
        self.assign_at(ctx, row, ZIn::Copy(z), z_int, op).map(|(_, y)| y)
    }

    /// Lays out one element at `row` (already allocated): `z` is a copy of a cell, or a fresh
    /// witness cell holding `z_int` (when a Freivalds check constrains it instead of a dot
    /// product). Returns the cells of `z` and `y`.
    pub fn assign_at(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        row: usize,
        z: ZIn<'_, F>,
        z_int: Option<i64>,
        op: RequantOp<'_>,
    ) -> Result<(ACell<F>, ACell<F>), Error> {
        let c = &self.config;
        let s = op.shift;
        ctx.enable(&c.q_req, row)?;
        let pow = 1i128 << s;
        let half = if s == 0 { 0 } else { 1i128 << (s - 1) };
        ctx.assign_fixed(c.pow, row, to_field_i128(pow));
        ctx.assign_fixed(c.half, row, to_field_i128(half));
        ctx.assign_fixed(c.act_tag, row, F::from(op.tag));
        c.range.enable(ctx, row, s)?;

        let ints = z_int.map(|z| {
            let z = z as i128;
            let q = round_shift(z, s);
            let r = z + half - q * pow;
            // q is in range whenever eval() succeeded; the lookup rejects it otherwise.
            let qi = i64::try_from(q).unwrap_or(i64::MAX);
            (q, r, apply_activation(op.act, qi))
        });
        let zc = match z {
            ZIn::Copy(src) => ctx.copy_advice(src, c.z, row),
            ZIn::Fresh => ctx.assign_advice(c.z, row, known(z_int.map(to_field::<F>))),
        };
        let qv: Value<F> = known(ints.map(|(q, _, _)| to_field_i128(q)));
        let rv: Value<F> = known(ints.map(|(_, r, _)| to_field_i128(r)));
        let yv: Value<F> = known(ints.map(|(_, _, y)| to_field(y)));
        ctx.assign_advice(c.q, row, qv);
        ctx.assign_advice(c.range.val, row, rv);
        Ok((zc, ctx.assign_advice(c.y, row, yv)))
    }
}
