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
//! **Several outputs per row** (`CircuitParams::outputs = G > 1`): the same input cells
//! `a_0 .. a_{W-1}` feed `G` accumulators `acc_0 .. acc_{G-1}`, each with its own weight
//! columns `f_{g,0} .. f_{g,W-1}` and bias column, one constraint each (same form, same
//! degree). Outputs that read the same inputs (all outputs of a dense layer, all channels of
//! one convolution patch) then share one copy of the inputs: `W * G` multiply-accumulates per
//! row for `W` copied cells and `G` accumulators, where one output per row needs `W + 1`
//! advice cells for `W` of them. Fixed columns are cheaper to prove than advice columns (no
//! commitment per proof, no copy argument), so the weights move there.
//!
//! - Each `a_i` is a copy (permutation argument) of the cell where `x_t` was assigned, so it
//!   cannot differ from it; each `f_i` is a fixed weight, bound by the verifying key.
//! - `cont` is 0 on the first row, so the block does not depend on the row above it.
//! - Unused slots of the last row are **not assigned** (the prover leaves them 0) and their
//!   weight is the fixed 0, so whatever a cheating prover puts there is multiplied by 0: they
//!   are not witness cells at all. Terms whose coefficient is 0 are dropped.
//! - The result `z = acc_{m-1}` is returned for the requant chip to copy.
//!
//! **The compact column set** (`CircuitParams::compact`, [`DotConfig::configure_kind`]): no
//! selector, bias or `cont` column; the kind column `K` ([`super::kind`]) is 1 on an output's
//! first row and 2 on the others, and the gate (degree 5) is
//! `P_1(K) * (acc_cur - sum_i a_i * f_i) + P_2(K) * (acc_cur - acc_prev - sum_i a_i * f_i) = 0`.
//! `acc` is not equality-enabled there: the result is read, with its bias, by the requant row
//! placed right after the output's last row ([`super::requant`], "chained").
//!
//! **Advice weights** (`hashed` weights, [`DotConfig::with_advice_weights`]): the weights sit in
//! advice columns `w_0 .. w_{W-1}`; `f_i` becomes a 0/1 slot flag. Selector `q_dotw`, gate
//! (degree 4): `q_dotw * (acc_cur - (cont * acc_prev + sum_i f_i * a_i * w_i)) = 0`.
//!
//! | row   | a_0 .. a_{W-1}   | w_0 .. w_{W-1}       | f_0 .. f_{W-1}  | acc   | cont | q_dotw |
//! |-------|------------------|----------------------|-----------------|-------|------|--------|
//! | r     | x_0 .. x_{W-1}   | w(0) .. w(W-1)       | 1 .. 1          | acc_0 | 0    | 1      |
//! | r+m-1 | .. x_{T-1}       | .. w(T-1)            | 1 .., 0 unused  | z     | 1    | 1      |
//!
//! Each `w_i` is a copy of its weight's one canonical cell (range-checked, packed and hashed, see
//! [`super::pack`]), each `a_i` a copy of the input. The bias is not a fixed cell: its limbs are
//! terms whose inputs are cells holding the constants `2^(kL)`. Every term is kept, zero or not,
//! so the rows and flags depend on the structure only, never on the weights' values. Unused
//! slots have flag 0, so whatever a prover puts in their cells does not enter `z`.
//!
//! **Paired rows** (`hashed` weights in the compact column set, [`DotConfig::configure_paired`]):
//! no weight columns at all. Each row of inputs is followed by a row of weights in the same
//! columns `a_0 .. a_{W-1}` (both copies); the kind column `K` is 1 on an output's first weight
//! row, 2 on the further ones, 0 on the input rows, and the gate (degree 5) is
//! `P_1(K) * (acc - sum_i a_i(prev) * a_i) + P_2(K) * (acc - acc(-2) - sum_i a_i(prev) * a_i) = 0`.
//!
//! | row    | a_0 .. a_{W-1}      | acc   | K    |
//! |--------|---------------------|-------|------|
//! | r      | x_0 .. x_{W-1}      |       | 0    |
//! | r + 1  | w(0) .. w(W-1)      | acc_0 | 1    |
//! | r + 2  | x_W .. x_{2W-1}     |       | 0    |
//! | r + 3  | w(W) .. w(2W-1)     | acc_1 | 2    |
//!
//! An unused slot's weight cell is a copy of the constant 0 (its input cell is not assigned),
//! so nothing a prover puts there enters `z`. Fixed coefficients (a layer without parameters,
//! the one-term rows before a chained requant) become weight cells copied from constants.
use std::marker::PhantomData;

use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector},
    poly::Rotation,
};

use super::ctx::{ACell, Ctx};
use super::kind::{indicator, KIND_DOT_FIRST, KIND_DOT_NEXT};
use crate::field::to_field;

/// Columns of the dot-product gate; all are passed in by the caller and shared.
#[derive(Clone, Debug)]
pub struct DotConfig {
    /// How rows are switched on and continued: selector, bias and `cont` columns, or the kind
    /// column of the compact column set.
    pub rows: DotRows,
    /// `(a_i, f_i)` pairs; the width is their number.
    pub slots: Vec<(Column<Advice>, Column<Fixed>)>,
    pub acc: Column<Advice>,
    /// The advice-weight gate, when configured: its selector and the `w_i` columns.
    pub advice_weights: Option<(Selector, Vec<Column<Advice>>)>,
    /// Further outputs of the same rows (`outputs > 1`, see [`Output`]); empty otherwise.
    pub extra: Vec<Output>,
}

/// How the dot gate knows its rows.
#[derive(Clone, Copy, Debug)]
pub enum DotRows {
    /// Selector `q_dot`, fixed `bias` and `cont` (0 on the first row of an output, 1 after).
    Selector { q_dot: Selector, bias: Column<Fixed>, cont: Column<Fixed> },
    /// The kind column `K` of the compact column set ([`super::kind`]): 1 on the first row, 2
    /// on the further rows. No bias column: the bias is added by the requant row that reads
    /// the result ([`super::requant::RequantChip::assign_chained`]).
    Kind(Column<Fixed>),
    /// Paired input and weight rows, switched by the kind column (see the module doc).
    Paired(Column<Fixed>),
}

impl DotRows {
    /// The selector, bias and `cont` columns; an error for the kind column (whose circuits
    /// have neither several outputs per row nor advice weights).
    fn selector(&self) -> Result<(Selector, Column<Fixed>, Column<Fixed>), Error> {
        match *self {
            DotRows::Selector { q_dot, bias, cont } => Ok((q_dot, bias, cont)),
            DotRows::Kind(_) | DotRows::Paired(_) => Err(Error::Synthesis),
        }
    }
}

/// One more output of a multi-output dot row: its accumulator, bias and one weight column per
/// input slot. Its constraint is the dot gate's with these columns and the same inputs `a_i`.
#[derive(Clone, Debug)]
pub struct Output {
    pub acc: Column<Advice>,
    pub bias: Column<Fixed>,
    pub weights: Vec<Column<Fixed>>,
}

impl DotConfig {
    /// The dot gate with one output per row (`extra` empty) or several: for every output `g`,
    /// `q_dot * (acc_g - (cont * acc_g_prev + bias_g + sum_i a_i * f_{g,i})) = 0` over the
    /// same input cells `a_i` (degree 3). With one output the gate is exactly the
    /// single-output gate, so its keys are unchanged.
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        slots: Vec<(Column<Advice>, Column<Fixed>)>,
        acc: Column<Advice>,
        bias: Column<Fixed>,
        cont: Column<Fixed>,
        extra: Vec<Output>,
    ) -> Self {
        let q_dot = meta.selector();
        meta.create_gate("dot", |m| {
            let q = m.query_selector(q_dot);
            let mut out = Vec::with_capacity(1 + extra.len());
            // Queries in the single-output gate's order (repeated queries are shared).
            let mut one = |acc: Column<Advice>, bias: Column<Fixed>, weights: &mut dyn Iterator<Item = Column<Fixed>>| {
                let acc_cur = m.query_advice(acc, Rotation::cur());
                let acc_prev = m.query_advice(acc, Rotation::prev());
                let b = m.query_fixed(bias, Rotation::cur());
                let c = m.query_fixed(cont, Rotation::cur());
                let sum = slots
                    .iter()
                    .zip(weights)
                    .fold(Expression::Constant(F::ZERO), |s, ((a, _), f)| {
                        s + m.query_advice(*a, Rotation::cur()) * m.query_fixed(f, Rotation::cur())
                    });
                acc_cur - (c * acc_prev + b + sum)
            };
            out.push(("acc", one(acc, bias, &mut slots.iter().map(|(_, f)| *f))));
            for o in &extra {
                out.push(("acc", one(o.acc, o.bias, &mut o.weights.iter().copied())));
            }
            Constraints::with_selector(q, out)
        });
        DotConfig {
            rows: DotRows::Selector { q_dot, bias, cont },
            slots,
            acc,
            advice_weights: None,
            extra,
        }
    }

    /// The dot gate of the compact column set, one output per row, switched by the kind
    /// column `kind` ([`super::kind`]), without a bias (degree 5):
    /// `P_1(K) * (acc_cur - sum_i a_i * f_i) + P_2(K) * (acc_cur - acc_prev - sum_i a_i * f_i) = 0`.
    pub fn configure_kind<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        slots: Vec<(Column<Advice>, Column<Fixed>)>,
        acc: Column<Advice>,
        kind: Column<Fixed>,
    ) -> Self {
        Self::kind_gate(meta, kind, false, slots, acc)
    }

    /// The paired-rows gate of the compact column set with `hashed` weights (see the module
    /// doc), over the slots' advice columns (equality-enabled; their fixed columns are free for
    /// other chips here), `acc` and the kind column `kind`.
    pub fn configure_paired<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        slots: Vec<(Column<Advice>, Column<Fixed>)>,
        acc: Column<Advice>,
        kind: Column<Fixed>,
    ) -> Self {
        Self::kind_gate(meta, kind, true, slots, acc)
    }

    /// The gate both kind-column forms share,
    /// `P_1(K) * (acc - sum) + P_2(K) * (acc - acc_prev - sum) = 0`: fixed weights
    /// ([`DotRows::Kind`]) `sum = sum_i a_i * f_i` and `acc_prev` one row up; `paired`
    /// ([`DotRows::Paired`]) `sum = sum_i a_i(prev) * a_i` and `acc_prev` two rows up (the
    /// previous weight row).
    fn kind_gate<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        kind: Column<Fixed>,
        paired: bool,
        slots: Vec<(Column<Advice>, Column<Fixed>)>,
        acc: Column<Advice>,
    ) -> Self {
        let name = if paired { "dot (paired rows)" } else { "dot (kind)" };
        meta.create_gate(name, |m| {
            let k = m.query_fixed(kind, Rotation::cur());
            let acc_cur = m.query_advice(acc, Rotation::cur());
            let acc_prev = m.query_advice(acc, Rotation(if paired { -2 } else { -1 }));
            let sum = slots.iter().fold(Expression::Constant(F::ZERO), |s, (a, f)| {
                s + match paired {
                    true => m.query_advice(*a, Rotation::prev()) * m.query_advice(*a, Rotation::cur()),
                    false => m.query_advice(*a, Rotation::cur()) * m.query_fixed(*f, Rotation::cur()),
                }
            });
            let first = indicator(&k, KIND_DOT_FIRST);
            let next = indicator(&k, KIND_DOT_NEXT);
            vec![("acc", first * (acc_cur.clone() - sum.clone()) + next * (acc_cur - acc_prev - sum))]
        });
        let rows = if paired { DotRows::Paired(kind) } else { DotRows::Kind(kind) };
        DotConfig { rows, slots, acc, advice_weights: None, extra: Vec::new() }
    }

    /// Outputs per dot row (1 + the extra ones).
    pub fn outputs(&self) -> usize {
        1 + self.extra.len()
    }

    /// Adds the advice-weight gate over weight columns `w` (one per slot).
    pub fn with_advice_weights<F: PrimeField>(
        mut self,
        meta: &mut ConstraintSystem<F>,
        w: Vec<Column<Advice>>,
    ) -> Self {
        // The kind column's circuits have no advice weights (`CircuitParams::check`); the
        // gate is then not added and assigning advice weights fails.
        let Ok((_, _, cont)) = self.rows.selector() else { return self };
        let q = meta.selector();
        let (slots, acc) = (self.slots.clone(), self.acc);
        meta.create_gate("dot (advice weights)", |m| {
            let s = m.query_selector(q);
            let acc_cur = m.query_advice(acc, Rotation::cur());
            let acc_prev = m.query_advice(acc, Rotation::prev());
            let c = m.query_fixed(cont, Rotation::cur());
            let sum =
                slots
                    .iter()
                    .zip(&w)
                    .fold(Expression::Constant(F::ZERO), |sum, ((a, f), w)| {
                        sum + m.query_fixed(*f, Rotation::cur())
                            * m.query_advice(*a, Rotation::cur())
                            * m.query_advice(*w, Rotation::cur())
                    });
            Constraints::with_selector(s, [("acc", acc_cur - (c * acc_prev + sum))])
        });
        self.advice_weights = Some((q, w));
        self
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
        if let DotRows::Paired(_) = self.config.rows {
            // No bias column here either; the coefficients become constant weight cells.
            if bias != 0 {
                return Err(Error::Synthesis);
            }
            let terms: Vec<(&ACell<F>, Weight<'_, F>)> = live.iter().map(|(x, c)| (*x, Weight::Constant(*c))).collect();
            return self.assign_paired(ctx, &terms);
        }
        let rows = Self::rows_for(live.len(), w);
        let start = ctx.alloc(rows);
        let mut acc: Value<F> = Value::known(F::ZERO);
        let mut last = None;
        for r in 0..rows {
            let row = start + r;
            let (b, cont) = if r == 0 { (bias, 0) } else { (0, 1) };
            match self.config.rows {
                DotRows::Selector { q_dot, bias, cont: c } => {
                    ctx.enable(&q_dot, row)?;
                    ctx.assign_fixed(bias, row, to_field(b));
                    ctx.assign_fixed(c, row, F::from(cont));
                }
                // No bias column: the caller adds it on the requant row.
                DotRows::Kind(_) if b != 0 => return Err(Error::Synthesis),
                DotRows::Kind(k) => ctx.assign_fixed(k, row, F::from(if r == 0 { KIND_DOT_FIRST } else { KIND_DOT_NEXT })),
                // Handled above.
                DotRows::Paired(_) => return Err(Error::Synthesis),
            }
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

    /// Lays out up to [`DotConfig::outputs`] outputs over the same inputs on shared fresh
    /// rows: `z_g = biases[g] + sum_u coeffs[g][u] * inputs[u]` (`coeffs[g]` has one entry per
    /// input). Returns the cells of the `z_g`. Unused outputs of the rows keep weight and bias
    /// 0 and their accumulator unassigned (0), which satisfies their constraint.
    pub fn assign_multi(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        inputs: &[&ACell<F>],
        biases: &[i64],
        coeffs: &[Vec<i64>],
    ) -> Result<Vec<ACell<F>>, Error> {
        let c = &self.config;
        let w = c.width();
        if biases.len() != coeffs.len() || biases.len() > c.outputs() || coeffs.iter().any(|v| v.len() != inputs.len()) {
            return Err(Error::Synthesis);
        }
        let (q_dot, bias, cont_col) = c.rows.selector()?;
        let rows = Self::rows_for(inputs.len(), w);
        let start = ctx.alloc(rows);
        let outs: Vec<(Column<Advice>, Column<Fixed>, Vec<Column<Fixed>>)> = std::iter::once((c.acc, bias, c.slots.iter().map(|s| s.1).collect()))
            .chain(c.extra.iter().map(|o| (o.acc, o.bias, o.weights.clone())))
            .take(biases.len())
            .collect();
        let mut acc: Vec<Value<F>> = vec![Value::known(F::ZERO); outs.len()];
        let mut last = Vec::new();
        for r in 0..rows {
            let row = start + r;
            ctx.enable(&q_dot, row)?;
            let cont = u64::from(r > 0);
            ctx.assign_fixed(cont_col, row, F::from(cont));
            let chunk = r * w..((r + 1) * w).min(inputs.len());
            for (i, u) in chunk.clone().enumerate() {
                let slot = c.slots.get(i).ok_or(Error::Synthesis)?;
                ctx.copy_advice(inputs[u], slot.0, row);
            }
            last.clear();
            for (g, (acc_col, bias_col, wcols)) in outs.iter().enumerate() {
                let b = if r == 0 { biases[g] } else { 0 };
                ctx.assign_fixed(*bias_col, row, to_field(b));
                let mut next = acc[g] * Value::known(F::from(cont)) + Value::known(to_field::<F>(b));
                for (i, u) in chunk.clone().enumerate() {
                    let cf: F = to_field(coeffs[g][u]);
                    ctx.assign_fixed(*wcols.get(i).ok_or(Error::Synthesis)?, row, cf);
                    next = next + inputs[u].value * Value::known(cf);
                }
                acc[g] = next;
                last.push(ctx.assign_advice(*acc_col, row, next));
            }
        }
        Ok(last)
    }

    /// The paired rows (see the module doc) of `z = sum x * w`: input rows and weight rows,
    /// `K` on the weight rows. Returns the cell of `z` (on the last row).
    fn assign_paired(&self, ctx: &mut Ctx<'_, '_, F>, terms: &[(&ACell<F>, Weight<'_, F>)]) -> Result<ACell<F>, Error> {
        let DotRows::Paired(kind) = self.config.rows else { return Err(Error::Synthesis) };
        let w = self.config.width();
        let pairs = Self::rows_for(terms.len(), w);
        let start = ctx.alloc(2 * pairs);
        let mut acc: Value<F> = Value::known(F::ZERO);
        let mut last = None;
        for p in 0..pairs {
            let (xrow, wrow) = (start + 2 * p, start + 2 * p + 1);
            ctx.assign_fixed(kind, wrow, F::from(if p == 0 { KIND_DOT_FIRST } else { KIND_DOT_NEXT }));
            for (i, slot) in self.config.slots.iter().enumerate() {
                let Some((x, wt)) = terms.get(p * w + i) else {
                    constant(ctx, slot.0, wrow, F::ZERO)?;
                    continue;
                };
                ctx.copy_advice(x, slot.0, xrow);
                let cell = match wt {
                    Weight::Cell(c) => ctx.copy_advice(c, slot.0, wrow),
                    Weight::Constant(c) => constant(ctx, slot.0, wrow, to_field(*c))?,
                };
                acc = acc + x.value * cell.value;
            }
            last = Some(ctx.assign_advice(self.config.acc, wrow, acc));
        }
        // pairs >= 1, so the loop ran and `last` is set.
        last.ok_or(Error::Synthesis)
    }

    /// Lays out `z = sum x * w` with advice weights on fresh rows and returns the cell of `z`.
    /// `terms` are `(input cell, weight cell)`, all kept; both are copied.
    pub fn assign_advice_weights(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        terms: &[(&ACell<F>, &ACell<F>)],
    ) -> Result<ACell<F>, Error> {
        if let DotRows::Paired(_) = self.config.rows {
            let terms: Vec<(&ACell<F>, Weight<'_, F>)> = terms.iter().map(|(x, w)| (*x, Weight::Cell(w))).collect();
            return self.assign_paired(ctx, &terms);
        }
        let (q, wcols) = self
            .config
            .advice_weights
            .as_ref()
            .ok_or(Error::Synthesis)?;
        let (_, _, cont_col) = self.config.rows.selector()?;
        let w = self.config.width();
        let rows = Self::rows_for(terms.len(), w);
        let start = ctx.alloc(rows);
        let mut acc: Value<F> = Value::known(F::ZERO);
        let mut last = None;
        for r in 0..rows {
            let row = start + r;
            ctx.enable(q, row)?;
            let cont = u64::from(r > 0);
            ctx.assign_fixed(cont_col, row, F::from(cont));
            let mut next = acc * Value::known(F::from(cont));
            for (i, (slot, wcol)) in self.config.slots.iter().zip(wcols).enumerate() {
                match terms.get(r * w + i) {
                    Some((x, wt)) => {
                        ctx.assign_fixed(slot.1, row, F::ONE);
                        ctx.copy_advice(x, slot.0, row);
                        ctx.copy_advice(wt, *wcol, row);
                        next = next + x.value * wt.value;
                    }
                    None => ctx.assign_fixed(slot.1, row, F::ZERO),
                }
            }
            acc = next;
            last = Some(ctx.assign_advice(self.config.acc, row, acc));
        }
        // rows >= 1, so the loop ran and `last` is set.
        last.ok_or(Error::Synthesis)
    }
}

/// A weight of the paired rows: a copy of a (canonical, hashed) cell or a constant.
enum Weight<'a, F: PrimeField> {
    Cell(&'a ACell<F>),
    Constant(i64),
}

/// An advice cell constrained to the constant `v`.
fn constant<F: PrimeField>(ctx: &mut Ctx<'_, '_, F>, col: Column<Advice>, row: usize, v: F) -> Result<ACell<F>, Error> {
    let cell = ctx.assign_advice(col, row, Value::known(v));
    ctx.constrain_constant(cell.cell, v)?;
    Ok(cell)
}
