//! Freivalds check of a matrix product `C = A·B` at a challenge drawn from the transcript
//! after `A`, `B` and `C` are committed.
//!
//! `A` is `m × n` (witness cells), `B` is `n × p` (fixed constants, or witness cells), `C` is
//! `m × p` (witness cells). With `v = (1, r, r^2, .., r^(m-1))` the chip constrains, for every
//! output column `j`,
//!
//! ```text
//!     sum_b r^b C[b][j]  =  sum_i (sum_b r^b A[b][i]) · B[i][j]        (vᵀC = (vᵀA)·B)
//! ```
//!
//! where `r` is a challenge usable after the first phase: the prover commits every first-phase
//! advice column (all of `A`, `C` and a witness `B`) before `r` is squeezed from the
//! transcript, and only the second-phase cells below depend on it.
//!
//! **Soundness.** If `C ≠ A·B`, some column `j` has `d_j(X) = sum_b X^b (C − A·B)[b][j] ≠ 0`,
//! a polynomial of degree at most `m − 1` whose coefficients are fixed before `r` is drawn;
//! the check passes only if `r` is one of its at most `m − 1` roots: probability at most
//! `(m − 1) / p` with `p ≈ 2^254` the BN254 scalar field (below `2^-240` for any batch that
//! fits a circuit). With `m = 1` the check is exact. Powers of one challenge stand for the
//! random vector, which is what makes the error `(m − 1)/p` instead of `1/p`; a check against
//! a fixed vector would not be sound at all (a prover could add an error orthogonal to it).
//! A fixed left factor (`C = W·X` with `W` constant) is checked as `Cᵀ = Xᵀ·Wᵀ`.
//!
//! Columns: `x_0 .. x_{W-1}` (first phase, shared with the other chips), `p_0 .. p_{W-1}` and
//! `acc` (second phase), the shared fixed `f_0 .. f_{W-1}` and `cont`, challenge `r`.
//!
//! **Horner block** (lanes `ℓ_0 .. ℓ_{W-1}`, each a column of `A` or of `C`; `m` rows, row
//! `t` holds sample `m − 1 − t`):
//!
//! | row       | x_k (phase 1)     | p_k (phase 2)                     | cont | q_horner |
//! |-----------|-------------------|-----------------------------------|------|----------|
//! | s         | A[m-1][ℓ_k]       | x_k                               | 0    | 1        |
//! | s + t     | A[m-1-t][ℓ_k]     | r · p_k(prev) + x_k               | 1    | 1        |
//! | s + m - 1 | A[0][ℓ_k]         | `sum_b r^b A[b][ℓ_k]` (lane sum)  | 1    | 1        |
//!
//! Gate (degree 3): `q_horner · (p_k − (cont · r · p_k(prev) + x_k)) = 0` for every `k`. Each
//! `x_k` is a copy of the cell of `A` (or `C`), so the lane sum is a function of committed
//! cells and `r` only. Unused lanes hold nothing any other row reads.
//!
//! **Dot rows** of output `j` (its `T` nonzero terms over `max(1, ceil(T / W))` rows):
//!
//! | row | p_k (phase 2)           | f_k        | x_k (phase 1)     | acc (phase 2) | cont | selector |
//! |-----|-------------------------|------------|-------------------|---------------|------|----------|
//! | s   | lane sum of `A[·][i_k]` | `B[i_k][j]`| —                 | acc_0         | 0    | q_fdot   |
//! | s   | lane sum of `A[·][i_k]` | 1 (flag)   | copy of `B[i_k][j]` | acc_0       | 0    | q_adot   |
//!
//! Gates: `q_fdot · (acc − (cont · acc(prev) + sum_k p_k · f_k)) = 0` (fixed `B`, degree 3) and
//! `q_adot · (acc − (cont · acc(prev) + sum_k f_k · p_k · x_k)) = 0` (witness `B`, degree 4; the
//! flag zeroes unused slots). Every `p_k` is a copy of its lane sum, and the last `acc` is
//! copy-constrained to the lane sum of column `j` of `C`.
//!
//! Cost: `m · ceil((n + p) / W)` Horner rows plus `sum_j ceil(T_j / W)` dot rows, against
//! `m · sum_j ceil(T_j / W)` for the direct dot product: the weights are touched once, not
//! once per row of `A`.
use std::marker::PhantomData;

use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{
        Advice, Challenge, Column, ConstraintSystem, Constraints, Error, Expression, FirstPhase,
        Fixed, SecondPhase, Selector,
    },
    poly::Rotation,
};

use super::ctx::{ACell, Ctx};
use super::dot::DotChip;
use crate::field::to_field;

/// Columns, gates and the challenge of the Freivalds chip.
#[derive(Clone, Debug)]
pub struct FreivaldsConfig {
    pub q_horner: Selector,
    pub q_fdot: Selector,
    pub q_adot: Selector,
    /// First-phase advice (shared).
    pub x: Vec<Column<Advice>>,
    /// Fixed coefficients or slot flags (shared).
    pub f: Vec<Column<Fixed>>,
    /// 0 on the first row of a block, 1 below (shared).
    pub cont: Column<Fixed>,
    /// Second-phase advice.
    pub p: Vec<Column<Advice>>,
    /// Second-phase accumulator.
    pub acc: Column<Advice>,
    pub r: Challenge,
}

impl FreivaldsConfig {
    /// Adds `x.len()` second-phase columns plus an accumulator, the challenge and the three
    /// gates. `x` and `f` must have the same length (the width).
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        x: Vec<Column<Advice>>,
        f: Vec<Column<Fixed>>,
        cont: Column<Fixed>,
    ) -> Self {
        let p: Vec<Column<Advice>> = x.iter().map(|_| meta.advice_column_in(SecondPhase)).collect();
        let acc = meta.advice_column_in(SecondPhase);
        for &c in p.iter().chain([&acc]) {
            meta.enable_equality(c);
        }
        let r = meta.challenge_usable_after(FirstPhase);
        let (q_horner, q_fdot, q_adot) = (meta.selector(), meta.selector(), meta.selector());
        meta.create_gate("freivalds horner", |m| {
            let q = m.query_selector(q_horner);
            let c = m.query_fixed(cont, Rotation::cur());
            let ch = m.query_challenge(r);
            let cs: Vec<_> = p
                .iter()
                .zip(&x)
                .map(|(&pc, &xc)| {
                    let cur = m.query_advice(pc, Rotation::cur());
                    let prev = m.query_advice(pc, Rotation::prev());
                    let xv = m.query_advice(xc, Rotation::cur());
                    cur - (c.clone() * ch.clone() * prev + xv)
                })
                .collect();
            Constraints::with_selector(q, cs)
        });
        let dot = |name: &'static str, sel: Selector, witness: bool, meta: &mut ConstraintSystem<F>| {
            meta.create_gate(name, |m| {
                let q = m.query_selector(sel);
                let c = m.query_fixed(cont, Rotation::cur());
                let cur = m.query_advice(acc, Rotation::cur());
                let prev = m.query_advice(acc, Rotation::prev());
                let sum = p.iter().zip(&f).zip(&x).fold(
                    Expression::Constant(F::ZERO),
                    |s, ((&pc, &fc), &xc)| {
                        let t = m.query_advice(pc, Rotation::cur()) * m.query_fixed(fc, Rotation::cur());
                        match witness {
                            true => s + t * m.query_advice(xc, Rotation::cur()),
                            false => s + t,
                        }
                    },
                );
                Constraints::with_selector(q, [("acc", cur - (c * prev + sum))])
            })
        };
        dot("freivalds dot (fixed B)", q_fdot, false, meta);
        dot("freivalds dot (witness B)", q_adot, true, meta);
        FreivaldsConfig {
            q_horner,
            q_fdot,
            q_adot,
            x,
            f,
            cont,
            p,
            acc,
            r,
        }
    }

    pub fn width(&self) -> usize {
        self.x.len()
    }
}

/// The right factor `B`, given by columns: for output `j`, its terms `(row i of B, entry)`.
pub enum Factor<'c, F: PrimeField> {
    /// Constants (weights): zero entries are skipped.
    Fixed(Vec<Vec<(usize, i64)>>),
    /// Witness cells (first phase).
    Witness(Vec<Vec<(usize, &'c ACell<F>)>>),
}

/// One product `C = A·B` to check: `a[b]` is row `b` of `A`, `c[b]` row `b` of `C`.
pub struct Product<'c, F: PrimeField> {
    pub a: Vec<Vec<&'c ACell<F>>>,
    pub b: Factor<'c, F>,
    pub c: Vec<Vec<&'c ACell<F>>>,
}

/// One lane of a Horner block: where it lies and the honest values of its cells, top down.
#[derive(Clone, Debug)]
struct Lane<F: PrimeField> {
    start: usize,
    col: usize,
    values: Vec<Value<F>>,
}

/// The dot rows of one output: first row and per row the `(slot, lane, coefficient)` terms.
#[derive(Clone, Debug)]
struct OutputRows<F: PrimeField> {
    start: usize,
    rows: Vec<Vec<(usize, usize, Value<F>)>>,
}

/// A product whose first-phase part is laid out; [`Pending::finish`] assigns the
/// second-phase cells once the challenge is known.
#[derive(Clone, Debug)]
pub struct Pending<F: PrimeField> {
    /// Lanes `0 .. n` are the columns of `A`, lanes `n .. n + p` those of `C`.
    lanes: Vec<Lane<F>>,
    n: usize,
    outputs: Vec<OutputRows<F>>,
}

/// The Freivalds chip.
#[derive(Clone, Debug)]
pub struct FreivaldsChip<F: PrimeField> {
    config: FreivaldsConfig,
    _f: PhantomData<F>,
}

impl<F: PrimeField> FreivaldsChip<F> {
    pub fn new(config: FreivaldsConfig) -> Self {
        FreivaldsChip {
            config,
            _f: PhantomData,
        }
    }

    /// Rows of a product with `m` rows of `A`, `lanes = n + p` columns of `A` and `C`, and
    /// `terms[j]` nonzero terms in output `j`, at width `width`.
    pub fn rows_for(m: usize, lanes: usize, terms: &[usize], width: usize) -> usize {
        let w = width.max(1);
        m * lanes.div_ceil(w) + terms.iter().map(|&t| DotChip::<F>::rows_for(t, w)).sum::<usize>()
    }

    /// Lays out the first phase of `prod`: the Horner blocks' copies of `A` and `C`, the dot
    /// rows' fixed coefficients or copies of `B`, selectors and `cont`. Rows for the second
    /// phase are reserved here; nothing here depends on the challenge.
    pub fn begin(&self, ctx: &mut Ctx<'_, '_, F>, prod: &Product<'_, F>) -> Result<Pending<F>, Error> {
        let cfg = &self.config;
        let w = cfg.width();
        let m = prod.a.len();
        if m == 0 || prod.c.len() != m {
            return Err(Error::Synthesis);
        }
        let n = prod.a[0].len();
        let p = prod.c[0].len();
        if prod.a.iter().any(|r| r.len() != n) || prod.c.iter().any(|r| r.len() != p) {
            return Err(Error::Synthesis);
        }
        // Lane l's cells, sample by sample (A's columns, then C's).
        let cell = |l: usize, b: usize| match l < n {
            true => prod.a[b][l],
            false => prod.c[b][l - n],
        };
        let mut lanes = Vec::with_capacity(n + p);
        for block in 0..(n + p).div_ceil(w) {
            let start = ctx.alloc(m);
            for t in 0..m {
                ctx.enable(&cfg.q_horner, start + t)?;
                ctx.assign_fixed(cfg.cont, start + t, F::from(u64::from(t > 0)));
            }
            for k in 0..w {
                let l = block * w + k;
                if l >= n + p {
                    break;
                }
                let mut values = Vec::with_capacity(m);
                for t in 0..m {
                    let src = cell(l, m - 1 - t);
                    ctx.copy_advice(src, cfg.x[k], start + t);
                    values.push(src.value);
                }
                lanes.push(Lane { start, col: k, values });
            }
        }
        let terms: Vec<Vec<(usize, Coef<'_, F>)>> = match &prod.b {
            Factor::Fixed(cols) => cols
                .iter()
                .map(|t| t.iter().filter(|(_, c)| *c != 0).map(|&(i, c)| (i, Coef::Const(c))).collect())
                .collect(),
            Factor::Witness(cols) => cols
                .iter()
                .map(|t| t.iter().map(|&(i, c)| (i, Coef::Cell(c))).collect())
                .collect(),
        };
        if terms.len() != p || terms.iter().flatten().any(|(i, _)| *i >= n) {
            return Err(Error::Synthesis);
        }
        let sel = match &prod.b {
            Factor::Fixed(_) => &cfg.q_fdot,
            Factor::Witness(_) => &cfg.q_adot,
        };
        let mut outputs = Vec::with_capacity(p);
        for t in &terms {
            let nrows = DotChip::<F>::rows_for(t.len(), w);
            let start = ctx.alloc(nrows);
            let mut rows = Vec::with_capacity(nrows);
            for r in 0..nrows {
                let row = start + r;
                ctx.enable(sel, row)?;
                ctx.assign_fixed(cfg.cont, row, F::from(u64::from(r > 0)));
                let mut slots = Vec::with_capacity(w);
                for k in 0..w {
                    match t.get(r * w + k) {
                        Some((i, Coef::Const(c))) => {
                            let cf: F = to_field(*c);
                            ctx.assign_fixed(cfg.f[k], row, cf);
                            slots.push((k, *i, Value::known(cf)));
                        }
                        Some((i, Coef::Cell(c))) => {
                            ctx.assign_fixed(cfg.f[k], row, F::ONE);
                            ctx.copy_advice(c, cfg.x[k], row);
                            slots.push((k, *i, c.value));
                        }
                        None => ctx.assign_fixed(cfg.f[k], row, F::ZERO),
                    }
                }
                rows.push(slots);
            }
            outputs.push(OutputRows { start, rows });
        }
        Ok(Pending { lanes, n, outputs })
    }
}

/// One entry of `B`: a constant (in the fixed column) or a witness cell (copied).
enum Coef<'c, F: PrimeField> {
    Const(i64),
    Cell(&'c ACell<F>),
}

impl<F: PrimeField> Pending<F> {
    /// Assigns the second phase at challenge `r`: the lane sums, the dot rows and the final
    /// equality of every output with its lane sum of `C`. Call after [`Ctx::next_phase`].
    pub fn finish(&self, ctx: &mut Ctx<'_, '_, F>, cfg: &FreivaldsConfig, r: Value<F>) -> Result<(), Error> {
        let mut sums: Vec<ACell<F>> = Vec::with_capacity(self.lanes.len());
        for lane in &self.lanes {
            let col = *cfg.p.get(lane.col).ok_or(Error::Synthesis)?;
            let mut acc: Value<F> = Value::known(F::ZERO);
            let mut last = None;
            for (t, &x) in lane.values.iter().enumerate() {
                acc = match t {
                    0 => x,
                    _ => acc * r + x,
                };
                last = Some(ctx.assign_advice(col, lane.start + t, acc));
            }
            sums.push(last.ok_or(Error::Synthesis)?);
        }
        for (j, out) in self.outputs.iter().enumerate() {
            let mut acc: Value<F> = Value::known(F::ZERO);
            let mut last = None;
            for (r_i, slots) in out.rows.iter().enumerate() {
                let row = out.start + r_i;
                let mut next = match r_i {
                    0 => Value::known(F::ZERO),
                    _ => acc,
                };
                for &(k, i, coeff) in slots {
                    let s = sums.get(i).ok_or(Error::Synthesis)?;
                    let col = *cfg.p.get(k).ok_or(Error::Synthesis)?;
                    let copy = ctx.copy_advice(s, col, row);
                    next = next + copy.value * coeff;
                }
                acc = next;
                last = Some(ctx.assign_advice(cfg.acc, row, acc));
            }
            let c_sum = sums.get(self.n + j).ok_or(Error::Synthesis)?;
            let last = last.ok_or(Error::Synthesis)?;
            ctx.constrain_equal(last.cell, c_sum.cell);
        }
        Ok(())
    }
}
