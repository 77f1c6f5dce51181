//! Constants without a constants column: each distinct constant is an advice cell of a
//! **constant row**, checked against a fixed cell of the same row by a gate, and every cell
//! constrained to that constant is copied from it. The same gate, under the same selector,
//! binds the **public block** ([`super::public`]): one selector column (one commitment of the
//! verifying key, one MSM term of an EVM verifier) for both.
//!
//! | row           | a_0 | a_1 | .. | a_{W-1} | f_0 | f_1 | .. | f_{W-1} | instance | q_bind |
//! |---------------|-----|-----|----|---------|-----|-----|----|---------|----------|--------|
//! | i < P (public)| v_i | 0   | .. | 0       | 0   | 0   | .. | 0       | v_i      | 1      |
//! | r >= P (const)| c_0 | c_1 | .. | c_{W-1} | c_0 | c_1 | .. | c_{W-1} | 0        | 1      |
//!
//! Gate `public and constants` (degree 2): `a_0 - f_0 - instance = 0` and `a_j - f_j = 0` for
//! every `0 < j < W`; unused slots hold 0 in both. On a public row the key's `f_j` are 0 (no
//! chip assigns a fixed cell there), so `a_0` is the instance value and the other cells are 0;
//! on a constant row the instance column is 0 (halo2 pads the instance polynomial with zeros
//! past the `P` public values, and constant rows lie after the public block: [`ConstConfig::place`]
//! refuses otherwise), so `a_j = f_j`. The fixed cells are part of the verifying key, so a
//! constant binds the key exactly as halo2's constants column did, without an equality-enabled
//! fixed column (one copy-argument column fewer). [`Ctx::constrain_constant`] records the
//! requests; [`ConstConfig::place`] lays out the distinct values once every request is made
//! (before the second phase).
use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Error, Fixed, Instance},
    poly::Rotation,
};

use super::ctx::{ACell, Ctx};
use super::kind::{Switch, KIND_BIND};

#[derive(Clone, Debug)]
pub struct ConstConfig {
    pub q_const: Switch,
    pub advice: Vec<Column<Advice>>,
    pub fixed: Vec<Column<Fixed>>,
}

impl ConstConfig {
    /// The gate over the pairs `(advice[j], fixed[j])`, with `instance` subtracted from the
    /// first (the public block's binding, see the module doc).
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        advice: Vec<Column<Advice>>,
        fixed: Vec<Column<Fixed>>,
        instance: Column<Instance>,
    ) -> Self {
        Self::configure_switched(meta, advice, fixed, instance, None)
    }

    /// [`ConstConfig::configure`] with the gate switched on by `kind = 3` of the kind column
    /// (`Some(K)`, the compact column set, see [`super::kind`]) instead of a selector of its own.
    pub fn configure_switched<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        advice: Vec<Column<Advice>>,
        fixed: Vec<Column<Fixed>>,
        instance: Column<Instance>,
        kind: Option<Column<Fixed>>,
    ) -> Self {
        let q_const = match kind {
            Some(k) => Switch::Kind(k, KIND_BIND),
            None => Switch::Selector(meta.selector()),
        };
        meta.create_gate("public and constants", |m| {
            let q = q_const.query(m);
            let inst = m.query_instance(instance, Rotation::cur());
            advice
                .iter()
                .zip(&fixed)
                .enumerate()
                .map(|(j, (&a, &f))| {
                    let d = m.query_advice(a, Rotation::cur()) - m.query_fixed(f, Rotation::cur());
                    q.clone() * if j == 0 { d - inst.clone() } else { d }
                })
                .collect::<Vec<_>>()
        });
        ConstConfig { q_const, advice, fixed }
    }

    /// Places every constant requested so far (each distinct value once, `W` per row) and
    /// copies it into the cells that asked for it. Returns the rows it took.
    /// `public_rows` is the size of the public block: constant rows must lie past it, where
    /// the instance column is 0.
    pub fn place<F: PrimeField>(&self, ctx: &mut Ctx<'_, '_, F>, public_rows: usize) -> Result<usize, Error> {
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
        if rows > 0 && start < public_rows {
            return Err(Error::Synthesis);
        }
        let mut cells: Vec<ACell<F>> = Vec::with_capacity(values.len());
        // Every slot of every row: the values, then 0 in both columns for the unused slots of
        // the last row (the gate reads every slot).
        for i in 0..values.len().next_multiple_of(w) {
            let row = start + i / w;
            let (a, f) = (self.advice.get(i % w), self.fixed.get(i % w));
            let (a, f) = (a.ok_or(Error::Synthesis)?, f.ok_or(Error::Synthesis)?);
            if i % w == 0 {
                self.q_const.enable(ctx, row)?;
            }
            let v = values.get(i).copied().unwrap_or(F::ZERO);
            ctx.assign_fixed(*f, row, v);
            let cell = ctx.assign_advice(*a, row, Value::known(v));
            if i < values.len() {
                cells.push(cell);
            }
        }
        for ((cell, _), i) in requests.iter().zip(slot) {
            let c = cells.get(i).ok_or(Error::Synthesis)?;
            ctx.constrain_equal(c.cell, *cell);
        }
        Ok(rows)
    }
}
