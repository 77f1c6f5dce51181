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
//! With `CircuitParams::merged_lookups` both are one table `(tag, in, out)`: the activation
//! entries with their tags moved up by [`MERGED_ACT_TAG_BASE`] (above every range width, a
//! `u32`), then the range entries `(s, r, 0)`, after the shared row `(0, 0, 0)`. A lookup of
//! `(s, r)` into the columns `(tag, in)` (packing) or of `(s, r, 0)` into all three (the
//! requant chip's merged argument) can then only match a range entry.
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
    /// has tag `i + 1` (`MERGED_ACT_TAG_BASE + i + 1` in a merged table, [`TablePlan::act_tag`]).
    pub acts: Vec<Activation>,
    /// Distinct nonzero range widths (shifts, plus `bits` for max-pool and the identity), ascending.
    pub ranges: Vec<u32>,
    /// One table for both (`CircuitParams::merged_lookups`).
    pub merged: bool,
}

/// Where the activation tags start in a merged table: above every range width (a `u32`).
pub const MERGED_ACT_TAG_BASE: u64 = 1 << 32;

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
            merged: false,
        }
    }

    /// The same tables as one (see the module doc) when `merged`.
    pub fn merged(mut self, merged: bool) -> Self {
        self.merged = merged;
        self
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
        let base = if self.merged { MERGED_ACT_TAG_BASE } else { 0 };
        let tag = self.acts.iter().position(|a| a == act).map(|i| base + i as u64 + 1);
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

    /// Rows the tables need (the longer of the two; both but the shared zero row when merged).
    pub fn rows(&self) -> usize {
        if self.merged {
            self.act_rows() + self.range_rows() - 1
        } else {
            self.act_rows().max(self.range_rows())
        }
    }
}

/// The five table columns (three when merged: `range_tag` is `act_tag` and `range_val` is
/// `act_in`).
#[derive(Clone, Copy, Debug)]
pub struct TableConfig {
    pub act_tag: TableColumn,
    pub act_in: TableColumn,
    pub act_out: TableColumn,
    pub range_tag: TableColumn,
    pub range_val: TableColumn,
    pub merged: bool,
}

impl TableConfig {
    /// Five columns, or three when `merged` (see the module doc).
    pub fn configure<F: PrimeField>(meta: &mut ConstraintSystem<F>, merged: bool) -> Self {
        let act_tag = meta.lookup_table_column();
        let act_in = meta.lookup_table_column();
        let act_out = meta.lookup_table_column();
        let (range_tag, range_val) = if merged {
            (act_tag, act_in)
        } else {
            (meta.lookup_table_column(), meta.lookup_table_column())
        };
        TableConfig { act_tag, act_in, act_out, range_tag, range_val, merged }
    }

    /// Fills both tables (or the merged one) from the plan; `plan.merged` must match the
    /// configuration (its activation tags are those of [`TablePlan::act_tag`]).
    pub fn load<F: PrimeField>(&self, layouter: &mut impl Layouter<F>, plan: &TablePlan) -> Result<(), Error> {
        if plan.merged != self.merged {
            return Err(Error::Synthesis);
        }
        let mut acts = Vec::with_capacity(plan.act_rows());
        for act in &plan.acts {
            let tag = plan.act_tag(act).ok_or(Error::Synthesis)?;
            let (min, max) = act_domain(act, plan.bits);
            acts.extend((min..=max).map(|q| (tag, to_field::<F>(q), to_field::<F>(apply_activation(act, q)))));
        }
        let ranges = plan
            .ranges
            .iter()
            .flat_map(|&s| (0..(1u64 << s)).map(move |r| (u64::from(s), F::from(r), F::ZERO)));
        let act_cols = [self.act_tag, self.act_in, self.act_out];
        if self.merged {
            acts.extend(ranges);
            return fill(layouter, "merged table", &act_cols, &acts);
        }
        fill(layouter, "activation table", &act_cols, &acts)?;
        fill(layouter, "range table", &[self.range_tag, self.range_val], &ranges.collect::<Vec<_>>())
    }
}

/// One table: row 0 is zeros, then `entries` (`(tag, a, b)`, as many of the three as `cols`).
fn fill<F: PrimeField>(
    layouter: &mut impl Layouter<F>,
    name: &'static str,
    cols: &[TableColumn],
    entries: &[(u64, F, F)],
) -> Result<(), Error> {
    layouter.assign_table(
        || name,
        |mut table| {
            let zero = (0u64, F::ZERO, F::ZERO);
            for (row, &(t, a, b)) in std::iter::once(&zero).chain(entries).enumerate() {
                for (&col, v) in cols.iter().zip([F::from(t), a, b]) {
                    table.assign_cell(|| name, col, row, || Value::known(v))?;
                }
            }
            Ok(())
        },
    )
}
