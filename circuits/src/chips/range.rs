//! Range check by lookup: `value in [0, 2^w)` for a width `w` chosen per row.
//!
//! | column      | row `r`          |
//! |-------------|------------------|
//! | `tag` (fixed)  | `w` (0 when off) |
//! | `val` (advice) | `v`              |
//! | `q_rng` (complex selector) | 1 |
//!
//! Lookup `(q_rng * tag, q_rng * val)` in the range table `(tag, value)` of
//! [`super::tables`], which holds `(w, v)` for every `v in [0, 2^w)` and every width the model
//! uses, plus `(0, 0)` for rows where `q_rng = 0`. With `w = 0` the check forces `v = 0`.
//! The chip owns no columns: `tag` and `val` are shared with the other chips. With
//! `CircuitParams::merged_lookups` it has no lookup of its own either: the requant chip's
//! merged argument checks its rows ([`RangeConfig::selector_only`]).
use halo2_proofs::{
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Error, Fixed, Selector},
    poly::Rotation,
};

use super::ctx::Ctx;
use super::tables::TableConfig;

#[derive(Clone, Copy, Debug)]
pub struct RangeConfig {
    pub q_rng: Selector,
    pub tag: Column<Fixed>,
    pub val: Column<Advice>,
}

impl RangeConfig {
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        tag: Column<Fixed>,
        val: Column<Advice>,
        tables: &TableConfig,
    ) -> Self {
        let cfg = Self::selector_only(meta, tag, val);
        let q_rng = cfg.q_rng;
        meta.lookup("range", |m| {
            let q = m.query_selector(q_rng);
            let t = m.query_fixed(tag, Rotation::cur());
            let v = m.query_advice(val, Rotation::cur());
            vec![(q.clone() * t, tables.range_tag), (q * v, tables.range_val)]
        });
        cfg
    }

    /// The selector without a lookup of its own: with `CircuitParams::merged_lookups` the
    /// requant chip's one lookup argument checks `(q_rng * tag, q_rng * val, 0)` (see
    /// [`super::requant`]).
    pub fn selector_only<F: PrimeField>(meta: &mut ConstraintSystem<F>, tag: Column<Fixed>, val: Column<Advice>) -> Self {
        RangeConfig { q_rng: meta.complex_selector(), tag, val }
    }

    /// Turns the check on at `row` for width `w` (the value cell is assigned by the caller).
    pub fn enable<F: PrimeField>(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        row: usize,
        w: u32,
    ) -> Result<(), Error> {
        ctx.assign_fixed(self.tag, row, F::from(w as u64));
        ctx.enable(&self.q_rng, row)
    }
}
