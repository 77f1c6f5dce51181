//! The Poseidon sponge of [`crate::poseidon`] in the circuit, several rounds per row.
//!
//! The state is kept *linear* inside a row: only S-box outputs get cells. A row starts with the
//! state `s_0, s_1, s_2` in cells; each S-box `k` of the row's rounds has two cells,
//! `t_k = x_k^2` and `v_k = t_k^2 x_k = x_k^5`, where its input `x_k` is an affine combination
//! of the row's cells; the next row's state cells are constrained to the state after the row's
//! last round. On the first row of each permutation, two message cells `m_0, m_1` are added to
//! `s_0, s_1` (absorption). With `A` advice and `F` fixed columns a row holds up to
//! `min((A - 3 - 2·absorb) / 2, F - 3)` S-boxes (a full round has 3, a partial round 1); the
//! rounds are packed greedily into rows, the same schedule for every permutation. For width 8
//! (17 advice, 10 fixed columns): `[absorb F F] [F F P] [P x7] x8 [F F] [F F]`, 12 rows per
//! permutation. Layout of one row (`c` = 3 + 2·absorb):
//!
//! | advice 0..3 | advice 3, 4 (absorb) | advice c+2k, c+2k+1 | fixed 0..3 | fixed 3+k | selector |
//! |-------------|----------------------|---------------------|------------|-----------|----------|
//! | s_0 s_1 s_2 | m_0 m_1              | t_k v_k             | D_0 D_1 D_2 | C_k      | q_pattern |
//! | next row: s'_0 s'_1 s'_2 | | | | | |
//!
//! Constraints of a row pattern (one selector per distinct pattern of absorb and round kinds),
//! with `lin_j` the linear part of state element `j`, tracked as field coefficients over the
//! row's cells through the MDS products (`M` is the same every round):
//! - `x_k = lin(k) + C_k`, `t_k - x_k^2 = 0` (degree 3 with the selector),
//!   `v_k - t_k^2 x_k = 0` (degree 4);
//! - `s'_j - (lin_j + D_j) = 0` for the next row.
//!
//! The constants `C_k` (round constant plus the constant part the partial rounds carried so far)
//! and `D_j` are fixed cells, computed from the round constants, so the round constants are
//! bound by the verifying key. The first permutation's state cells are constants
//! `[0, 0, len 2^64 + domain]`; padding message cells are constants 0. The hash is the `s_0`
//! cell after the last permutation.
use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector},
    poly::Rotation,
};

use super::ctx::{ACell, Ctx};
use crate::poseidon::{self, is_full_round, sbox, Constants, ROUNDS, WIDTH};

/// The rounds of one row of the schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowPlan {
    /// The row absorbs two message elements before its first round.
    pub absorb: bool,
    pub first_round: usize,
    pub rounds: usize,
}

impl RowPlan {
    fn kinds(&self) -> Vec<bool> {
        (self.first_round..self.first_round + self.rounds)
            .map(is_full_round)
            .collect()
    }
}

/// Smallest column counts the chip needs (one full round per row).
pub const MIN_ADVICE: usize = 3 + 2 * WIDTH;
pub const MIN_FIXED: usize = 3 + WIDTH;

#[derive(Clone, Debug)]
pub struct PoseidonConfig {
    pub advice: Vec<Column<Advice>>,
    pub fixed: Vec<Column<Fixed>>,
    /// The rows of one permutation.
    pub schedule: Vec<RowPlan>,
    /// The selector of each schedule row (rows of the same pattern share one).
    pub selectors: Vec<Selector>,
}

/// Greedy schedule of the rounds into rows with `cells` advice cells and `sboxes` S-boxes
/// per row beyond the three state cells.
fn schedule(cells: usize, sboxes: usize) -> Vec<RowPlan> {
    let mut rows = Vec::new();
    let mut r = 0;
    while r < ROUNDS {
        let absorb = rows.is_empty();
        let (mut used, mut n) = (if absorb { 2 } else { 0 }, 0);
        let start = r;
        while r < ROUNDS {
            let s = if is_full_round(r) { WIDTH } else { 1 };
            if used + 2 * s > cells || n + s > sboxes {
                break;
            }
            used += 2 * s;
            n += s;
            r += 1;
        }
        if r == start && !absorb {
            // Too few columns for a full round: the caller guarantees MIN_ADVICE / MIN_FIXED.
            break;
        }
        rows.push(RowPlan {
            absorb,
            first_round: start,
            rounds: r - start,
        });
    }
    rows
}

/// An affine combination over a row's variables (state, message and S-box output cells).
type Lin<F> = Vec<F>;

fn mix_lin<F: PrimeField>(mds: &[[F; WIDTH]; WIDTH], v: [&Lin<F>; WIDTH]) -> [Lin<F>; WIDTH] {
    let n = v[0].len();
    let mut out: [Lin<F>; WIDTH] = [vec![F::ZERO; n], vec![F::ZERO; n], vec![F::ZERO; n]];
    for (o, row) in out.iter_mut().zip(mds) {
        for (m, x) in row.iter().zip(v) {
            for (a, b) in o.iter_mut().zip(x) {
                *a += *m * b;
            }
        }
    }
    out
}

fn unit<F: PrimeField>(n: usize, i: usize) -> Lin<F> {
    let mut v = vec![F::ZERO; n];
    v[i] = F::ONE;
    v
}

impl PoseidonConfig {
    /// Configures the chip on shared columns (at least [`MIN_ADVICE`] advice and [`MIN_FIXED`]
    /// fixed columns; advice columns need not be equality-enabled except the first five).
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        advice: Vec<Column<Advice>>,
        fixed: Vec<Column<Fixed>>,
    ) -> Self {
        let consts = Constants::<F>::generate();
        let plan = schedule(
            advice.len().saturating_sub(WIDTH),
            fixed.len().saturating_sub(WIDTH),
        );
        let mut patterns: Vec<((bool, Vec<bool>), Selector)> = Vec::new();
        let mut selectors = Vec::with_capacity(plan.len());
        for row in &plan {
            let key = (row.absorb, row.kinds());
            if let Some((_, s)) = patterns.iter().find(|(k, _)| *k == key) {
                selectors.push(*s);
                continue;
            }
            let sel = meta.selector();
            Self::gate(meta, sel, &key.1, row.absorb, &advice, &fixed, &consts.mds);
            patterns.push((key, sel));
            selectors.push(sel);
        }
        PoseidonConfig {
            advice,
            fixed,
            schedule: plan,
            selectors,
        }
    }

    fn gate<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        sel: Selector,
        kinds: &[bool],
        absorb: bool,
        advice: &[Column<Advice>],
        fixed: &[Column<Fixed>],
        mds: &[[F; WIDTH]; WIDTH],
    ) {
        let nbox: usize = kinds.iter().map(|&f| if f { WIDTH } else { 1 }).sum();
        let off = WIDTH + if absorb { 2 } else { 0 };
        // Variables: s_0..s_2, (m_0, m_1), v_0..v_{nbox-1}.
        let nvar = off + nbox;
        meta.create_gate("poseidon rounds", |m| {
            let q = m.query_selector(sel);
            let mut vars: Vec<Expression<F>> = (0..off)
                .map(|i| m.query_advice(advice[i], Rotation::cur()))
                .collect();
            let ts: Vec<Expression<F>> = (0..nbox)
                .map(|k| m.query_advice(advice[off + 2 * k], Rotation::cur()))
                .collect();
            vars.extend(
                (0..nbox).map(|k| m.query_advice(advice[off + 2 * k + 1], Rotation::cur())),
            );
            let expr = |lin: &Lin<F>| {
                lin.iter()
                    .zip(&vars)
                    .filter(|(c, _)| !bool::from(c.is_zero()))
                    .fold(Expression::Constant(F::ZERO), |acc, (c, v)| {
                        acc + v.clone() * Expression::Constant(*c)
                    })
            };
            let mut lin: [Lin<F>; WIDTH] = [unit(nvar, 0), unit(nvar, 1), unit(nvar, 2)];
            if absorb {
                lin[0][WIDTH] = F::ONE;
                lin[1][WIDTH + 1] = F::ONE;
            }
            let mut constraints = Vec::new();
            let mut k = 0;
            let mut sbox_constraints = |lin_j: &Lin<F>, k: usize, out: &mut Vec<Expression<F>>| {
                let x = expr(lin_j) + m.query_fixed(fixed[WIDTH + k], Rotation::cur());
                let t = ts[k].clone();
                let v = vars[off + k].clone();
                out.push(t.clone() - x.clone() * x.clone());
                out.push(v - t.clone() * t * x);
            };
            for &full in kinds {
                if full {
                    for lin_j in lin.iter() {
                        sbox_constraints(lin_j, k, &mut constraints);
                        k += 1;
                    }
                    let vs: [Lin<F>; WIDTH] = [
                        unit(nvar, off + k - 3),
                        unit(nvar, off + k - 2),
                        unit(nvar, off + k - 1),
                    ];
                    lin = mix_lin(mds, [&vs[0], &vs[1], &vs[2]]);
                } else {
                    sbox_constraints(&lin[0], k, &mut constraints);
                    let v = unit(nvar, off + k);
                    k += 1;
                    lin = mix_lin(mds, [&v, &lin[1], &lin[2]]);
                }
            }
            for (j, lin_j) in lin.iter().enumerate() {
                let next = m.query_advice(advice[j], Rotation::next());
                let d = m.query_fixed(fixed[j], Rotation::cur());
                constraints.push(next - (expr(lin_j) + d));
            }
            Constraints::with_selector(q, constraints)
        });
    }

    /// Rows one hash of `len` message elements takes.
    pub fn rows_for(&self, len: usize) -> usize {
        poseidon::permutations(len) * self.schedule.len() + 1
    }
}

/// The fixed constants of one schedule row: `C_k` per S-box and `D_j`.
fn row_constants<F: PrimeField>(c: &Constants<F>, plan: &RowPlan) -> (Vec<F>, [F; WIDTH]) {
    let mut con = [F::ZERO; WIDTH];
    let mut cs = Vec::new();
    for r in plan.first_round..plan.first_round + plan.rounds {
        let rc = c.rc[r];
        if is_full_round(r) {
            for j in 0..WIDTH {
                cs.push(con[j] + rc[j]);
            }
            con = [F::ZERO; WIDTH];
        } else {
            cs.push(con[0] + rc[0]);
            con = c.mix(&[F::ZERO, con[1] + rc[1], con[2] + rc[2]]);
        }
    }
    (cs, con)
}

/// The S-box cells `(t_k, v_k)` of one row and the state after it.
fn row_witness<F: PrimeField>(
    c: &Constants<F>,
    plan: &RowPlan,
    mut st: [F; WIDTH],
) -> (Vec<(F, F)>, [F; WIDTH]) {
    let mut boxes = Vec::new();
    let mut apply = |x: F| {
        let t = x.square();
        let v = sbox(x);
        boxes.push((t, v));
        v
    };
    for r in plan.first_round..plan.first_round + plan.rounds {
        let rc = c.rc[r];
        if is_full_round(r) {
            let v = [
                apply(st[0] + rc[0]),
                apply(st[1] + rc[1]),
                apply(st[2] + rc[2]),
            ];
            st = c.mix(&v);
        } else {
            let v = apply(st[0] + rc[0]);
            st = c.mix(&[v, st[1] + rc[1], st[2] + rc[2]]);
        }
    }
    (boxes, st)
}

#[derive(Clone, Debug)]
pub struct PoseidonChip {
    config: PoseidonConfig,
}

impl PoseidonChip {
    pub fn new(config: PoseidonConfig) -> Self {
        PoseidonChip { config }
    }

    /// Lays out the sponge hash of `msg` under `domain` on fresh rows; returns the hash cell.
    pub fn hash<F: PrimeField>(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        domain: u64,
        msg: &[ACell<F>],
    ) -> Result<ACell<F>, Error> {
        let cfg = &self.config;
        let consts = Constants::<F>::generate();
        let per = cfg.schedule.len();
        let n_perm = poseidon::permutations(msg.len());
        let start = ctx.alloc(n_perm * per + 1);
        let init = [F::ZERO, F::ZERO, poseidon::capacity(domain, msg.len())];
        let mut s0 = None;
        for (j, &v) in init.iter().enumerate() {
            let cell = ctx.assign_advice(cfg.advice[j], start, Value::known(v));
            ctx.constrain_constant(cell.cell, v)?;
            if j == 0 {
                s0 = Some(cell);
            }
        }
        let mut state: Value<[F; WIDTH]> = Value::known(init);
        let plans: Vec<(Vec<F>, [F; WIDTH])> = cfg
            .schedule
            .iter()
            .map(|p| row_constants(&consts, p))
            .collect();
        for p in 0..n_perm {
            for (i, (plan, (cs, ds))) in cfg.schedule.iter().zip(&plans).enumerate() {
                let row = start + p * per + i;
                let sel = cfg.selectors.get(i).ok_or(Error::Synthesis)?;
                ctx.enable(sel, row)?;
                for (j, d) in ds.iter().enumerate() {
                    ctx.assign_fixed(cfg.fixed[j], row, *d);
                }
                for (k, cv) in cs.iter().enumerate() {
                    ctx.assign_fixed(cfg.fixed[WIDTH + k], row, *cv);
                }
                let mut off = WIDTH;
                if plan.absorb {
                    let mut ms = Vec::with_capacity(2);
                    for k in 0..2 {
                        let col = cfg.advice[WIDTH + k];
                        let cell = match msg.get(2 * p + k) {
                            Some(src) => ctx.copy_advice(src, col, row),
                            None => {
                                let z = ctx.assign_advice(col, row, Value::known(F::ZERO));
                                ctx.constrain_constant(z.cell, F::ZERO)?;
                                z
                            }
                        };
                        ms.push(cell.value);
                    }
                    state = state
                        .zip(ms[0])
                        .zip(ms[1])
                        .map(|((s, a), b)| [s[0] + a, s[1] + b, s[2]]);
                    off += 2;
                }
                let out = state.map(|s| row_witness(&consts, plan, s));
                for k in 0..cs.len() {
                    let t = out.as_ref().map(|o| o.0[k].0);
                    let v = out.as_ref().map(|o| o.0[k].1);
                    ctx.assign_advice(cfg.advice[off + 2 * k], row, t);
                    ctx.assign_advice(cfg.advice[off + 2 * k + 1], row, v);
                }
                state = out.map(|o| o.1);
                for j in 0..WIDTH {
                    let v = state.map(|s| s[j]);
                    let cell = ctx.assign_advice(cfg.advice[j], row + 1, v);
                    if j == 0 {
                        s0 = Some(cell);
                    }
                }
            }
        }
        s0.ok_or(Error::Synthesis)
    }
}
