//! The lookup tables: activations and ranges, filled from the model.
//!
//! Activation table, columns `(tag, in, out)`:
//!
//! | row | tag | in | out |
//! |-----|-----|----|-----|
//! | 0   | 0   | 0  | 0   |  <- what disabled rows look up
//! | ... | t   | q  | act_t(q) | for each activation `act_t` the model uses (tags from 1) and every `q in [-2^(bits-1), 2^(bits-1))`, or of the table's own sub-range (an embedding column: the ids `[0, V)`) |
//!
//! Range table, columns `(tag, value)`:
//!
//! | row | tag | value |
//! |-----|-----|-------|
//! | 0   | 0   | 0     |  <- disabled rows, and `shift = 0` (remainder must be 0)
//! | ... | s   | r     | for each shift `s > 0` the model uses (and each limb width packing uses, see [`super::pack`]) and every `r in [0, 2^s)` |
//!
//! Rows past the end are filled with row 0 by the layouter, so they add no new entries.
use halo2_proofs::{
    circuit::{Layouter, Value},
    halo2curves::ff::PrimeField,
    plonk::{ConstraintSystem, Error, TableColumn},
};

use crate::eval::{act_domain, apply_activation};
use crate::field::to_field;
use crate::ir::{Activation, CircuitModel, LayerKind};

/// Which activations and ranges the model's tables must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TablePlan {
    pub bits: u32,
    /// Distinct table activations (all but the identity) in first-use order; activation `i`
    /// has tag `i + 1`.
    pub acts: Vec<Activation>,
    /// Distinct nonzero range widths (shifts, plus `bits` for max-pool and the identity), ascending.
    pub ranges: Vec<u32>,
}

impl TablePlan {
    /// Collects the activations and shifts a (validated) model uses; with `identity_table`
    /// the identity is a table activation like the others (one requant row, no range row).
    pub fn from_model(model: &CircuitModel, identity_table: bool) -> Self {
        let mut acts: Vec<Activation> = Vec::new();
        let mut ranges: Vec<u32> = Vec::new();
        let bits = model.bits;
        let mut use_requant = |act: &Activation, shift: u32| {
            if matches!(act, Activation::Identity) && !identity_table {
                // Proved by a range check of width `bits` (see `super::requant`), not a table.
                ranges.push(bits);
            } else if !acts.contains(act) {
                acts.push(act.clone());
            }
            ranges.push(shift);
        };
        let mut pool = false;
        let mut extra: Vec<u32> = Vec::new();
        for layer in &model.layers {
            match &layer.kind {
                LayerKind::Affine(a) => use_requant(&a.requant.act, a.requant.shift),
                LayerKind::Requant { requant, .. } => use_requant(&requant.act, requant.shift),
                LayerKind::Product(p) => use_requant(&p.requant.act, p.requant.shift),
                LayerKind::Embedding { tables, .. } => tables.iter().for_each(|a| use_requant(a, 0)),
                LayerKind::Softmax(sm) => {
                    // exp by table at shift 0, the row max (a max-pool), y and the remainder.
                    use_requant(&crate::softmax::exp_activation(sm, model.bits), 0);
                    extra.extend([sm.out_bits + 1, sm.sum_bits]);
                    pool = true;
                }
                LayerKind::MaxPool { .. } => pool = true,
                LayerKind::Permute { .. } => {}
            }
        }
        ranges.extend(extra);
        if pool {
            ranges.push(model.bits);
        }
        ranges.retain(|&s| s > 0);
        ranges.sort_unstable();
        ranges.dedup();
        TablePlan {
            bits: model.bits,
            acts,
            ranges,
        }
    }

    /// Adds range widths (the limb widths of packed values, see [`super::pack`]).
    pub fn with_ranges(mut self, widths: &[u32]) -> Self {
        self.ranges.extend(widths.iter().copied().filter(|&w| w > 0));
        self.ranges.sort_unstable();
        self.ranges.dedup();
        self
    }

    /// The table tag of an activation (`None` if the model does not use it); 0 for the
    /// identity when it has no table (the requant chip range-checks it instead).
    pub fn act_tag(&self, act: &Activation) -> Option<u64> {
        let tag = self.acts.iter().position(|a| a == act).map(|i| i as u64 + 1);
        match act {
            Activation::Identity => Some(tag.unwrap_or(0)),
            _ => tag,
        }
    }

    /// Rows of the activation table.
    pub fn act_rows(&self) -> usize {
        1 + self
            .acts
            .iter()
            .map(|a| {
                let (lo, hi) = act_domain(a, self.bits);
                (hi - lo + 1).max(0) as usize
            })
            .sum::<usize>()
    }

    /// Rows of the range table.
    pub fn range_rows(&self) -> usize {
        1 + self.ranges.iter().map(|&s| 1usize << s).sum::<usize>()
    }

    /// Rows the tables need (the longer of the two).
    pub fn rows(&self) -> usize {
        self.act_rows().max(self.range_rows())
    }
}

/// The five table columns.
#[derive(Clone, Copy, Debug)]
pub struct TableConfig {
    pub act_tag: TableColumn,
    pub act_in: TableColumn,
    pub act_out: TableColumn,
    pub range_tag: TableColumn,
    pub range_val: TableColumn,
}

impl TableConfig {
    pub fn configure<F: PrimeField>(meta: &mut ConstraintSystem<F>) -> Self {
        TableConfig {
            act_tag: meta.lookup_table_column(),
            act_in: meta.lookup_table_column(),
            act_out: meta.lookup_table_column(),
            range_tag: meta.lookup_table_column(),
            range_val: meta.lookup_table_column(),
        }
    }

    /// Fills both tables from the plan.
    pub fn load<F: PrimeField>(
        &self,
        layouter: &mut impl Layouter<F>,
        plan: &TablePlan,
    ) -> Result<(), Error> {
        layouter.assign_table(
            || "activation table",
            |mut table| {
                let mut row = 0;
                let mut put = |table: &mut halo2_proofs::circuit::Table<'_, F>,
                               t: u64,
                               q: i64,
                               y: i64|
                 -> Result<(), Error> {
                    table.assign_cell(|| "tag", self.act_tag, row, || Value::known(F::from(t)))?;
                    table.assign_cell(
                        || "in",
                        self.act_in,
                        row,
                        || Value::known(to_field::<F>(q)),
                    )?;
                    table.assign_cell(
                        || "out",
                        self.act_out,
                        row,
                        || Value::known(to_field::<F>(y)),
                    )?;
                    row += 1;
                    Ok(())
                };
                put(&mut table, 0, 0, 0)?;
                for (i, act) in plan.acts.iter().enumerate() {
                    let (min, max) = act_domain(act, plan.bits);
                    for q in min..=max {
                        put(&mut table, i as u64 + 1, q, apply_activation(act, q))?;
                    }
                }
                Ok(())
            },
        )?;
        layouter.assign_table(
            || "range table",
            |mut table| {
                let mut row = 0;
                let mut put = |table: &mut halo2_proofs::circuit::Table<'_, F>,
                               s: u32,
                               r: u64|
                 -> Result<(), Error> {
                    table.assign_cell(
                        || "tag",
                        self.range_tag,
                        row,
                        || Value::known(F::from(s as u64)),
                    )?;
                    table.assign_cell(
                        || "value",
                        self.range_val,
                        row,
                        || Value::known(F::from(r)),
                    )?;
                    row += 1;
                    Ok(())
                };
                put(&mut table, 0, 0)?;
                for &s in &plan.ranges {
                    for r in 0..(1u64 << s) {
                        put(&mut table, s, r)?;
                    }
                }
                Ok(())
            },
        )
    }
}
