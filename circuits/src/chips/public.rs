//! The public values: instance row `i` equals the advice cell `(a_0, i)`, by a gate.
//!
//! The instance column takes no part in the copy argument (one equality column fewer, and
//! with it often one copy-argument grand product fewer: a commitment, its cosets and its
//! openings). Instead the first `P` rows of the circuit form the **public block**: row `i`
//! holds the `i`-th public value in `a_0`, copied from the cell it stands for, and
//!
//! | row   | a_0 (advice)          | instance | q_pub |
//! |-------|-----------------------|----------|-------|
//! | 0     | model hash (copy)     | inst_0   | 1     |
//! | 1 ..  | input / output (copy) | inst_i   | 1     |
//!
//! Gate `q_pub` (degree 2): `a_0 - instance = 0` at the same row. halo2-axiom's
//! `SimpleFloorPlanner` starts the model region at row 0, so region row `i` is instance row
//! `i`; [`PublicConfig::assign`] refuses a block that does not start there.
use halo2_proofs::{
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Error, Instance, Selector},
    poly::Rotation,
};

use super::ctx::{ACell, Ctx};

#[derive(Clone, Copy, Debug)]
pub struct PublicConfig {
    pub q_pub: Selector,
    pub col: Column<Advice>,
    pub instance: Column<Instance>,
}

impl PublicConfig {
    /// The gate binding `col` to `instance` on the rows where `q_pub` is on.
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        col: Column<Advice>,
        instance: Column<Instance>,
    ) -> Self {
        let q_pub = meta.selector();
        meta.create_gate("public", |m| {
            let q = m.query_selector(q_pub);
            let a = m.query_advice(col, Rotation::cur());
            let i = m.query_instance(instance, Rotation::cur());
            vec![q * (a - i)]
        });
        PublicConfig { q_pub, col, instance }
    }

    /// Fills the public block reserved at rows `start .. start + rows` (`start` must be 0):
    /// each `(cell, i)` of `bindings` is copied to `(col, start + i)` and checked against
    /// instance row `i`. The copy holds what was written into the cell (see
    /// [`Ctx::copy_written`]): the block stands for the cells, as a direct instance binding did. A row without a binding stays unchecked (and unused).
    pub fn assign<F: PrimeField>(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        start: usize,
        rows: usize,
        bindings: &[(ACell<F>, usize)],
    ) -> Result<(), Error> {
        if start != 0 {
            return Err(Error::Synthesis);
        }
        for (cell, i) in bindings {
            if *i >= rows {
                return Err(Error::Synthesis);
            }
            ctx.copy_written(cell, self.col, start + i);
            ctx.enable(&self.q_pub, start + i)?;
        }
        Ok(())
    }
}
