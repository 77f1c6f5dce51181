//! The public values: instance row `i` equals the advice cell `(a_0, i)`, by a gate.
//!
//! The instance column takes no part in the copy argument (one equality column fewer, and
//! with it often one copy-argument grand product fewer: a commitment, its cosets and its
//! openings). Instead the first `P` rows of the circuit form the **public block**: row `i`
//! holds the `i`-th public value in `a_0`, copied from the cell it stands for, and
//!
//! | row   | a_0 (advice)          | a_1 .. a_{W-1} | f_0 .. f_{W-1} | instance | q_bind |
//! |-------|-----------------------|----------------|----------------|----------|--------|
//! | 0     | model hash (copy)     | 0              | 0              | inst_0   | 1      |
//! | 1 ..  | input / output (copy) | 0              | 0              | inst_i   | 1      |
//!
//! The check is the gate `public and constants` of [`super::constants`] (degree 2): on a
//! public row `a_0 - f_0 - instance = 0` with the key's `f_0 = 0` there, so `a_0` equals the
//! instance value; the other `a_j` of the row are 0. One selector serves the public block and
//! the constant rows. halo2-axiom's
//! `SimpleFloorPlanner` starts the model region at row 0, so region row `i` is instance row
//! `i`; [`PublicConfig::assign`] refuses a block that does not start there.
use halo2_proofs::{
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, Error, Instance},
};

use super::ctx::{ACell, Ctx};
use super::kind::Switch;

#[derive(Clone, Copy, Debug)]
pub struct PublicConfig {
    /// The selector of the constant rows' gate ([`super::constants::ConstConfig::q_const`]).
    pub q_pub: Switch,
    pub col: Column<Advice>,
    pub instance: Column<Instance>,
}

impl PublicConfig {
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
            self.q_pub.enable(ctx, start + i)?;
        }
        Ok(())
    }
}
