//! Affine row `z = bias + sum_t c_t * x_t` by dot-product gates with constant weights.
//!
//! Layout of one output with `T` nonzero terms over `m = max(1, ceil(T / W))` rows
//! (`W` = width; `a_i` advice, `f_i`, `bias`, `cont` fixed):
//!
//! | row   | a_0 .. a_{W-1}        | f_0 .. f_{W-1}     | acc     | bias | cont | q_dot |
//! |-------|-----------------------|--------------------|---------|------|------|-------|
//! | r     | x_0 .. x_{W-1}        | c_0 .. c_{W-1}     | acc_0   | b    | 0    | 1     |
//! | r + 1 | x_W .. x_{2W-1}       | c_W .. c_{2W-1}    | acc_1   | 0    | 1    | 1     |
//! | ...   |                       |                    |         |      |      |       |
//! | r+m-1 | .. x_{T-1}, unused    | .. c_{T-1}, 0      | acc_{m-1} = z | 0 | 1  | 1     |
//!
//! Gate (degree 3): `q_dot * (acc_cur - (cont * acc_prev + bias + sum_i a_i * f_i)) = 0`.
//!
//! - Each `a_i` is a copy (permutation argument) of the cell where `x_t` was assigned, so it
//!   cannot differ from it; each `f_i` is a fixed weight, bound by the verifying key.
//! - `cont` is 0 on the first row, so the block does not depend on the row above it.
//! - Unused slots of the last row are **not assigned** (the prover leaves them 0) and their
//!   weight is the fixed 0, so whatever a cheating prover puts there is multiplied by 0: they
//!   are not witness cells at all. Terms whose coefficient is 0 are dropped.
//! - The result `z = acc_{m-1}` is returned for the requant chip to copy.
use std::marker::PhantomData;

use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector},
    poly::Rotation,
};

use super::ctx::{ACell, Ctx};
use crate::field::to_field;

/// Columns of the dot-product gate; all are passed in by the caller and shared.
#[derive(Clone, Debug)]
pub struct DotConfig {
    pub q_dot: Selector,
    /// `(a_i, f_i)` pairs; the width is their number.
    pub slots: Vec<(Column<Advice>, Column<Fixed>)>,
    pub acc: Column<Advice>,
    pub bias: Column<Fixed>,
    pub cont: Column<Fixed>,
}

impl DotConfig {
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        slots: Vec<(Column<Advice>, Column<Fixed>)>,
        acc: Column<Advice>,
        bias: Column<Fixed>,
        cont: Column<Fixed>,
    ) -> Self {
        let q_dot = meta.selector();
        meta.create_gate("dot", |m| {
            let q = m.query_selector(q_dot);
            let acc_cur = m.query_advice(acc, Rotation::cur());
            let acc_prev = m.query_advice(acc, Rotation::prev());
            let b = m.query_fixed(bias, Rotation::cur());
            let c = m.query_fixed(cont, Rotation::cur());
            let sum = slots
                .iter()
                .fold(Expression::Constant(F::ZERO), |s, (a, f)| {
                    s + m.query_advice(*a, Rotation::cur()) * m.query_fixed(*f, Rotation::cur())
                });
            Constraints::with_selector(q, [("acc", acc_cur - (c * acc_prev + b + sum))])
        });
        DotConfig {
            q_dot,
            slots,
            acc,
            bias,
            cont,
        }
    }

    pub fn width(&self) -> usize {
        self.slots.len()
    }
}

/// The dot-product chip.
#[derive(Clone, Debug)]
pub struct DotChip<F: PrimeField> {
    config: DotConfig,
    _f: PhantomData<F>,
}

impl<F: PrimeField> DotChip<F> {
    pub fn new(config: DotConfig) -> Self {
        DotChip {
            config,
            _f: PhantomData,
        }
    }

    /// Rows one output with `terms` nonzero terms takes at width `width`.
    pub fn rows_for(terms: usize, width: usize) -> usize {
        terms.div_ceil(width.max(1)).max(1)
    }

    /// Lays out `z = bias + sum coeff * x` on fresh rows and returns the cell of `z`.
    /// `terms` are `(input cell, coefficient)`; zero coefficients are skipped.
    pub fn assign(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        bias: i64,
        terms: &[(&ACell<F>, i64)],
    ) -> Result<ACell<F>, Error> {
        let w = self.config.width();
        let live: Vec<&(&ACell<F>, i64)> = terms.iter().filter(|(_, c)| *c != 0).collect();
        let rows = Self::rows_for(live.len(), w);
        let start = ctx.alloc(rows);
        let mut acc: Value<F> = Value::known(F::ZERO);
        let mut last = None;
        for r in 0..rows {
            let row = start + r;
            ctx.enable(&self.config.q_dot, row)?;
            let (b, cont) = if r == 0 { (bias, 0) } else { (0, 1) };
            ctx.assign_fixed(self.config.bias, row, to_field(b));
            ctx.assign_fixed(self.config.cont, row, F::from(cont));
            let mut next = acc * Value::known(F::from(cont)) + Value::known(to_field::<F>(b));
            let chunk = live.iter().skip(r * w).take(w);
            for (slot, (x, c)) in self.config.slots.iter().zip(chunk) {
                let cf: F = to_field(*c);
                ctx.assign_fixed(slot.1, row, cf);
                ctx.copy_advice(x, slot.0, row);
                next = next + x.value * Value::known(cf);
            }
            acc = next;
            last = Some(ctx.assign_advice(self.config.acc, row, acc));
        }
        // rows >= 1, so the loop ran and `last` is set.
        last.ok_or(Error::Synthesis)
    }
}
