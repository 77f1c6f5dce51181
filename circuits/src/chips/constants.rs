//! Constants without a constants column: each distinct constant is an advice cell of a
//! **constant row**, checked against a fixed cell of the same row by a gate, and every cell
//! constrained to that constant is copied from it.
//!
//! | row | a_0 | a_1 | .. | a_{W-1} | f_0 | f_1 | .. | f_{W-1} | q_const |
//! |-----|-----|-----|----|---------|-----|-----|----|---------|---------|
//! | r   | c_0 | c_1 | .. | c_{W-1} | c_0 | c_1 | .. | c_{W-1} | 1       |
//!
//! Gate `q_const` (degree 2): `a_j - f_j = 0` for every `j < W`; unused slots hold 0 in both.
//! The fixed cells are part of the verifying key, so a constant binds the key exactly as
//! halo2's constants column did, without an equality-enabled fixed column (one copy-argument
//! column fewer). [`Ctx::constrain_constant`] records the requests; [`ConstConfig::place`]
//! lays out the distinct values once every request is made (before the second phase).
use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Error, Fixed, Selector},
    poly::Rotation,
};

use super::ctx::{ACell, Ctx};

#[derive(Clone, Debug)]
pub struct ConstConfig {
    pub q_const: Selector,
    pub advice: Vec<Column<Advice>>,
    pub fixed: Vec<Column<Fixed>>,
}

impl ConstConfig {
    /// The gate over the pairs `(advice[j], fixed[j])`.
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        advice: Vec<Column<Advice>>,
        fixed: Vec<Column<Fixed>>,
    ) -> Self {
        let q_const = meta.selector();
        meta.create_gate("constant", |m| {
            let q = m.query_selector(q_const);
            advice
                .iter()
                .zip(&fixed)
                .map(|(&a, &f)| q.clone() * (m.query_advice(a, Rotation::cur()) - m.query_fixed(f, Rotation::cur())))
                .collect::<Vec<_>>()
        });
        ConstConfig { q_const, advice, fixed }
    }

    /// Places every constant requested so far (each distinct value once, `W` per row) and
    /// copies it into the cells that asked for it. Returns the rows it took.
    pub fn place<F: PrimeField>(&self, ctx: &mut Ctx<'_, '_, F>) -> Result<usize, Error> {
        let requests = ctx.take_constants();
        let mut values: Vec<F> = Vec::new();
        let mut slot = Vec::with_capacity(requests.len());
        for (_, v) in &requests {
            match values.iter().position(|u| u == v) {
                Some(i) => slot.push(i),
                None => {
                    slot.push(values.len());
                    values.push(*v);
                }
            }
        }
        let w = self.advice.len().min(self.fixed.len()).max(1);
        let rows = values.len().div_ceil(w);
        let start = ctx.alloc(rows);
        let mut cells: Vec<ACell<F>> = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            let row = start + i / w;
            let (a, f) = (self.advice.get(i % w), self.fixed.get(i % w));
            let (a, f) = (a.ok_or(Error::Synthesis)?, f.ok_or(Error::Synthesis)?);
            if i % w == 0 {
                ctx.enable(&self.q_const, row)?;
            }
            ctx.assign_fixed(*f, row, *v);
            cells.push(ctx.assign_advice(*a, row, Value::known(*v)));
        }
        // The unused slots of the last row: 0 in both columns (the gate reads every slot).
        for i in values.len()..values.len().next_multiple_of(w) {
            let row = start + i / w;
            let (a, f) = (self.advice.get(i % w), self.fixed.get(i % w));
            let (a, f) = (a.ok_or(Error::Synthesis)?, f.ok_or(Error::Synthesis)?);
            ctx.assign_fixed(*f, row, F::ZERO);
            ctx.assign_advice(*a, row, Value::known(F::ZERO));
        }
        for ((cell, _), i) in requests.iter().zip(slot) {
            let c = cells.get(i).ok_or(Error::Synthesis)?;
            ctx.constrain_equal(c.cell, *cell);
        }
        Ok(rows)
    }
}
