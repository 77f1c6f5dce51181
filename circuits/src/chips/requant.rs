//! Rounded rescale fused with the activation lookup, one row per element (two for the
//! identity, which needs no activation table, unless the circuit has an identity table:
//! `CircuitParams::identity_table`, then the identity is a table activation like any other).
//!
//! | column             | row `r`                         | row `r + 1` (identity only) |
//! |--------------------|---------------------------------|-----------------------------|
//! | `z` (advice)       | `z`, a copy of the accumulator or input cell, or (a Freivalds layer of a batch) a fresh cell that the Freivalds check binds | |
//! | `q` (advice)       | `q = floor((z + 2^(s-1)) / 2^s)` | |
//! | `r` (advice)       | `r = z + 2^(s-1) - q * 2^s`     | `q + 2^(bits-1)`            |
//! | `y` (advice)       | `y = act(q)`, the new tensor element | |
//! | `pow` (fixed)      | `2^s`                           |                             |
//! | `half` (fixed)     | `2^(s-1)` (0 when `s = 0`)      | `2^(bits-1)`                |
//! | `act_tag` (fixed)  | tag of `act` in the activation table (table activations) | |
//! | `shift_tag` (fixed)| `s` (the range chip's tag column) | `bits`                    |
//! | `q_req` (selector) | 1                               |                             |
//! | `q_act` (complex selector) | 1 for a table activation, 0 for the identity |       |
//! | `q_rng` (the range chip's) | 1                       | 1 (identity)                |
//!
//! Constraints:
//! - gate (degree 3): `q_req * (z + half - q * pow - r) = 0`;
//! - the range chip on `r` with width `s`: `r in [0, 2^s)`;
//! - a table activation: lookup `(q_act * act_tag, q_act * q, q_act * y)` in the activation
//!   table: `q` lies in `[-2^(bits-1), 2^(bits-1))` and `y = act(q)` (the table is a function
//!   of `(tag, q)`);
//! - the identity (`q_req = 1`, `q_act = 0`): gate (degree 3) `q_req (1 - q_act) (y - q) = 0`
//!   and `q_req (1 - q_act) (r' - q - half') = 0`
//!   where `'` is row `r + 1`, whose `r'` the range chip checks with width `bits`: again
//!   `q in [-2^(bits-1), 2^(bits-1))`, now through the range table (which holds the width
//!   `bits` whenever a model has an identity requant) instead of `2^bits` rows of an identity
//!   activation table. A model with one table activation then has an activation table of
//!   `2^bits + 1` rows, not `2 * 2^bits + 1`: with 10-bit activations the zoo MLP's tables fit
//!   `k = 11` instead of `k = 12`.
//!
//! With merged lookups (`CircuitParams::merged_lookups`, one table, see [`super::tables`]) the
//! activation and the range check are one lookup argument,
//! `(q_act * act_tag + q_rng * s, q_act * q + q_rng * r, q_act * y)`, so a row checks one of
//! them: a table activation takes two rows, the second with `q_rng` on, `shift_tag = s` and a
//! copy of `r` in the `r` column (the identity keeps its two rows as above, `q_rng` on both).
//!
//! In the compact column set (`CircuitParams::compact`) the requant is **chained**
//! ([`RequantConfig::configure_chained`]): it sits right after the dot rows whose result it
//! reads one row up (no copy), adds the dot's bias with `half`, and one selector `q_look`
//! switches both the gate and the merged lookup on both of its rows.
//!
//! Soundness: `q * 2^s + r` ranges over an integer interval of length `2^(bits+s)`, far below
//! the field modulus, so the field equation has at most one solution `(q, r)` for a given `z`,
//! and that solution is the integer division with rounding. Rows where `q_act = 0` look up
//! the entries `(0, 0, 0)` and `(0, 0)` that both tables hold. All columns are shared; the
//! identity's second row belongs to the element (no other chip assigns it).
use std::marker::PhantomData;

use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector},
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
    /// The activation-table lookup (table activations only); a requant row without it is an
    /// identity (`y = q`, `q` range-checked on the next row).
    pub q_act: Selector,
    pub z: Column<Advice>,
    pub q: Column<Advice>,
    pub y: Column<Advice>,
    pub pow: Column<Fixed>,
    pub half: Column<Fixed>,
    pub act_tag: Column<Fixed>,
    /// Range check of `r` (its `val` column is `r`, its `tag` column holds `s`).
    pub range: RangeConfig,
    /// One lookup argument for the activation and the range check (`tables.merged`): a
    /// table activation's remainder is then range-checked on the element's second row.
    pub merged: bool,
    /// The chained form of the compact column set ([`RequantConfig::configure_chained`]).
    pub chained: bool,
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
        let q_act = meta.complex_selector();
        meta.create_gate("requant", |m| {
            let s = m.query_selector(q_req);
            let z = m.query_advice(z, Rotation::cur());
            let qv = m.query_advice(q, Rotation::cur());
            let rv = m.query_advice(r, Rotation::cur());
            let p = m.query_fixed(pow, Rotation::cur());
            let h = m.query_fixed(half, Rotation::cur());
            Constraints::with_selector(s, [("rescale", z + h - qv * p - rv)])
        });
        meta.create_gate("requant identity", |m| {
            // q_req * (1 - q_act): a requant row without a table activation (degree 3 with
            // the constraints; no selector of its own, whose compression would make the
            // constraint system depend on the model).
            let s = m.query_selector(q_req) * (Expression::Constant(F::ONE) - m.query_selector(q_act));
            let qv = m.query_advice(q, Rotation::cur());
            let yv = m.query_advice(y, Rotation::cur());
            let shifted = m.query_advice(r, Rotation::next());
            let offset = m.query_fixed(half, Rotation::next());
            Constraints::with_selector(s, [("y = q", yv - qv.clone()), ("q + 2^(bits-1) on the next row", shifted - qv - offset)])
        });
        let range = if tables.merged {
            // One argument: `(q_act·act_tag + q_rng·s, q_act·q + q_rng·r, q_act·y)`. The layout
            // never turns both selectors on in one row, so a row checks either an activation
            // entry (tags from `MERGED_ACT_TAG_BASE`) or a range entry `(s, r, 0)`.
            let range = RangeConfig::selector_only(meta, shift_tag, r);
            meta.lookup("requant", |m| {
                let s = m.query_selector(q_act);
                let g = m.query_selector(range.q_rng);
                let t = m.query_fixed(act_tag, Rotation::cur());
                let st = m.query_fixed(shift_tag, Rotation::cur());
                let qv = m.query_advice(q, Rotation::cur());
                let rv = m.query_advice(r, Rotation::cur());
                let yv = m.query_advice(y, Rotation::cur());
                vec![
                    (s.clone() * t + g.clone() * st, tables.act_tag),
                    (s.clone() * qv + g * rv, tables.act_in),
                    (s * yv, tables.act_out),
                ]
            });
            range
        } else {
            meta.lookup("activation", |m| {
                let s = m.query_selector(q_act);
                let t = m.query_fixed(act_tag, Rotation::cur());
                let qv = m.query_advice(q, Rotation::cur());
                let yv = m.query_advice(y, Rotation::cur());
                vec![
                    (s.clone() * t, tables.act_tag),
                    (s.clone() * qv, tables.act_in),
                    (s * yv, tables.act_out),
                ]
            });
            RangeConfig::configure(meta, shift_tag, r, tables)
        };
        RequantConfig {
            q_req,
            q_act,
            z,
            q,
            y,
            pow,
            half,
            act_tag,
            range,
            merged: tables.merged,
            chained: false,
        }
    }

    /// The chained requant of the compact column set (`CircuitParams::compact`), over
    /// `advice = [x, r, y]`, the dot chip's `acc` (read one row up, not copied: `acc` is not
    /// equality-enabled there) and `fixed = [pow, half, tag]`, with the merged table. One
    /// selector `q_look` for the gate and the lookup, on both rows of an element:
    ///
    /// | row           | `acc`        | `x`          | `r`          | `y`          | `pow` | `half`             | `tag` | `q_look` |
    /// |---------------|--------------|--------------|--------------|--------------|-------|--------------------|-------|----------|
    /// | `d` (dot)     | `sum c_t x_t`|              |              |              |       |                    |       | 0        |
    /// | `d + 1`       | (0)          | `q`          | `r`          | `y = act(q)` | `2^s` | `2^(s-1) + bias`   | act   | 1        |
    /// | `d + 2`       |              | copy of `r`  | (0)          | (0)          | 0     | 0                  | `s`   | 1        |
    ///
    /// - gate (degree 3): `q_look * (acc_prev + half - x * pow - r) = 0`: on row `d + 1` the
    ///   rescale of `z = acc_d + bias` (the dot's sum, then the bias the dot gate of the compact
    ///   set has no column for); on row `d + 2`, with `pow = half = 0`, it reads
    ///   `acc_{d+1} = r_{d+2}`, two cells no other constraint reads (the prover leaves both 0).
    /// - lookup `(q_look * tag, q_look * x, q_look * y)` in the merged table: row `d + 1` the
    ///   activation entry `(act, q, act(q))` (so `q` is in range; an identity uses the identity
    ///   table: `CircuitParams::check` requires it), row `d + 2` the range entry `(s, r, 0)`,
    ///   so `r in [0, 2^s)` and the `y` cell is 0.
    ///
    /// Soundness is the unchained requant's: `q * 2^s + r` with both in range has at most one
    /// solution for `z`. Rows with `q_look = 0` look up `(0, 0, 0)`, which the table holds.
    pub fn configure_chained<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        advice: [Column<Advice>; 3],
        acc: Column<Advice>,
        fixed: [Column<Fixed>; 3],
        tables: &TableConfig,
    ) -> Self {
        let [x, r, y] = advice;
        let [pow, half, tag] = fixed;
        let q_look = meta.complex_selector();
        meta.create_gate("requant (chained)", |m| {
            let s = m.query_selector(q_look);
            let z = m.query_advice(acc, Rotation::prev());
            let qv = m.query_advice(x, Rotation::cur());
            let rv = m.query_advice(r, Rotation::cur());
            let p = m.query_fixed(pow, Rotation::cur());
            let h = m.query_fixed(half, Rotation::cur());
            Constraints::with_selector(s, [("rescale", z + h - qv * p - rv)])
        });
        meta.lookup("requant (chained)", |m| {
            let s = m.query_selector(q_look);
            let t = m.query_fixed(tag, Rotation::cur());
            let qv = m.query_advice(x, Rotation::cur());
            let yv = m.query_advice(y, Rotation::cur());
            vec![(s.clone() * t, tables.act_tag), (s.clone() * qv, tables.act_in), (s * yv, tables.act_out)]
        });
        RequantConfig {
            q_req: q_look,
            q_act: q_look,
            z: acc,
            q: x,
            y,
            pow,
            half,
            act_tag: tag,
            range: RangeConfig { q_rng: q_look, tag, val: r },
            merged: true,
            chained: true,
        }
    }

    /// Rows one element takes: 2 for an identity without a table and, with merged lookups (the
    /// chained form has them too), for a table activation (its remainder's range check); else 1.
    pub fn rows(&self, op: &RequantOp<'_>) -> usize {
        if op.is_identity() || self.merged {
            2
        } else {
            1
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
    /// Tag of `act` in the activation table; 0 for an identity proved by a range check
    /// (a circuit without an identity table).
    pub tag: u64,
    pub act: &'a Activation,
    /// The model's activation width: the identity range-checks `q` with it.
    pub bits: u32,
}

impl RequantOp<'_> {
    /// An identity proved by the range check on a second row (no identity table).
    fn is_identity(&self) -> bool {
        matches!(self.act, Activation::Identity) && self.tag == 0
    }
}

impl<F: PrimeField> RequantChip<F> {
    pub fn new(config: RequantConfig) -> Self {
        RequantChip {
            config,
            _f: PhantomData,
        }
    }

    /// Rows one element takes ([`RequantConfig::rows`]).
    pub fn rows(&self, op: &RequantOp<'_>) -> usize {
        self.config.rows(op)
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
        let row = ctx.alloc(self.config.rows(&op));
        self.assign_at(ctx, row, ZIn::Copy(z), z_int, op).map(|(_, y)| y)
    }

    /// The chained requant ([`RequantConfig::configure_chained`]) of the dot result `acc` (the
    /// cell of the output's last dot row, whose next row must be the next free row) plus
    /// `bias`; `z_int` is that sum when the witness is known. Returns the cell of `y`.
    pub fn assign_chained(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        acc: &ACell<F>,
        bias: i64,
        z_int: Option<i64>,
        op: RequantOp<'_>,
    ) -> Result<ACell<F>, Error> {
        let c = &self.config;
        // Identities need the identity table; the dot result must lie on the row above.
        if !c.chained || op.is_identity() || acc.cell.row_offset + 1 != ctx.row {
            return Err(Error::Synthesis);
        }
        let row = ctx.alloc(2);
        let s = op.shift;
        let pow = 1i128 << s;
        let half = if s == 0 { 0 } else { 1i128 << (s - 1) };
        ctx.enable(&c.q_req, row)?;
        ctx.enable(&c.q_req, row + 1)?;
        ctx.assign_fixed(c.pow, row, to_field_i128(pow));
        ctx.assign_fixed(c.half, row, to_field_i128(half + bias as i128));
        ctx.assign_fixed(c.act_tag, row, F::from(op.tag));
        ctx.assign_fixed(c.act_tag, row + 1, F::from(u64::from(s)));
        let ints = z_int.map(|z| {
            let z = z as i128;
            let q = round_shift(z, s);
            // q is in range whenever eval() succeeded; the lookup rejects it otherwise.
            let qi = i64::try_from(q).unwrap_or(i64::MAX);
            (q, z + half - q * pow, apply_activation(op.act, qi))
        });
        ctx.assign_advice(c.q, row, known(ints.map(|(q, _, _)| to_field_i128(q))));
        let rc = ctx.assign_advice(c.range.val, row, known(ints.map(|(_, r, _)| to_field_i128(r))));
        let y = ctx.assign_advice(c.y, row, known(ints.map(|(_, _, y)| to_field(y))));
        ctx.copy_advice(&rc, c.q, row + 1);
        Ok(y)
    }

    /// Lays out one element at `row` (already allocated, [`RequantConfig::rows`] rows): `z` is a copy of a cell, or a fresh
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
        if c.chained {
            return Err(Error::Synthesis);
        }
        let s = op.shift;
        ctx.enable(&c.q_req, row)?;
        let pow = 1i128 << s;
        let half = if s == 0 { 0 } else { 1i128 << (s - 1) };
        ctx.assign_fixed(c.pow, row, to_field_i128(pow));
        ctx.assign_fixed(c.half, row, to_field_i128(half));
        // With merged lookups a table activation's row looks up the activation; its
        // remainder is range-checked on the next row.
        let split = c.merged && !op.is_identity();
        if !split {
            c.range.enable(ctx, row, s)?;
        }
        if !op.is_identity() {
            ctx.enable(&c.q_act, row)?;
            ctx.assign_fixed(c.act_tag, row, F::from(op.tag));
        }

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
        let rc = ctx.assign_advice(c.range.val, row, rv);
        if split {
            c.range.enable(ctx, row + 1, s)?;
            ctx.copy_advice(&rc, c.range.val, row + 1);
        }
        if op.is_identity() {
            let offset = 1i128 << op.bits.saturating_sub(1);
            ctx.assign_fixed(c.half, row + 1, to_field_i128(offset));
            c.range.enable(ctx, row + 1, op.bits)?;
            let shifted: Value<F> = known(ints.map(|(q, _, _)| to_field_i128(q + offset)));
            ctx.assign_advice(c.range.val, row + 1, shifted);
        }
        Ok((zc, ctx.assign_advice(c.y, row, yv)))
    }
}
