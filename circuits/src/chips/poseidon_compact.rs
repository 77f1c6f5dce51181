//! The Poseidon sponge of [`crate::poseidon`] on the compact column set (`CircuitParams::compact`,
//! `--target evm`): the state in the three equality-enabled columns `a_0, a_1, a_2`, one more
//! advice column `acc` for S-box squares, the round constants in `f_0, f_1, f_2`, and two
//! selectors. No column is added for hashing: it is the set with the fewest commitments, at the
//! price of one row per partial round and two per full round ([`ROWS_PER_PERMUTATION`]).
//!
//! A **full round** (two rows, selector `q_full` on the first):
//!
//! | row   | `a_0`  | `a_1`  | `a_2`  | `acc` | `f_0, f_1, f_2`    | `q_full` |
//! |-------|--------|--------|--------|-------|--------------------|----------|
//! | r     | `s_0`  | `s_1`  | `s_2`  | `t_0` | `C_0, C_1, C_2`    | 1        |
//! | r + 1 | `m_0`  | `m_1`  | `t_2`  | `t_1` |                    | 0        |
//! | r + 2 | `s'_0` | `s'_1` | `s'_2` |       | (the next round)   |          |
//!
//! with `x_k = s_k + m_k + C_k` (`m_2 = 0`): `t_k - x_k^2 = 0` (degree 3 with the selector) and
//! `s'_j - sum_k M_jk t_k^2 x_k = 0` (degree 4), so `s' = M (x^5)`. The message cells `m_0, m_1`
//! are copies of the two absorbed elements on the first round of a permutation and copies of
//! the constant 0 on every other full round (and for padding), so no round adds anything else.
//!
//! A **partial round** (one row, selector `q_part`):
//!
//! | row   | `a_0`  | `a_1`  | `a_2`  | `acc` | `f_0, f_1, f_2`    | `q_part` |
//! |-------|--------|--------|--------|-------|--------------------|----------|
//! | r     | `s_0`  | `s_1`  | `s_2`  | `t`   | `C_0, C_1, C_2`    | 1        |
//! | r + 1 | `s'_0` | `s'_1` | `s'_2` |       |                    |          |
//!
//! with `x_k = s_k + C_k`: `t - x_0^2 = 0` and `s'_j - (M_j0 t^2 x_0 + M_j1 x_1 + M_j2 x_2) = 0`.
//!
//! Every round applies its own round constants, so the constants are exactly those of
//! [`crate::poseidon::Constants`], bound by the verifying key. The first state is the constant
//! cells `[0, 0, len 2^64 + domain]`; the permutations follow one another on consecutive rows
//! and the hash is `s_0` of the row after the last round.
use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector},
    poly::Rotation,
};

use super::ctx::{ACell, Ctx};
use crate::poseidon::{self, is_full_round, Constants, FULL_ROUNDS, PARTIAL_ROUNDS, RATE, ROUNDS, WIDTH};

/// Rows of one permutation: two per full round, one per partial round.
pub const ROWS_PER_PERMUTATION: usize = 2 * FULL_ROUNDS + PARTIAL_ROUNDS;

#[derive(Clone, Debug)]
pub struct PoseidonCompactConfig {
    /// `a_0, a_1, a_2` (equality-enabled).
    pub state: [Column<Advice>; WIDTH],
    /// `acc`: `t_0` and `t_1` of a full round, `t` of a partial round.
    pub aux: Column<Advice>,
    /// `f_0, f_1, f_2`: the round constants.
    pub constants: [Column<Fixed>; WIDTH],
    pub q_full: Selector,
    pub q_part: Selector,
}

fn mds_sum<F: PrimeField>(row: &[F; WIDTH], v: [Expression<F>; WIDTH]) -> Expression<F> {
    row.iter()
        .zip(v)
        .fold(Expression::Constant(F::ZERO), |acc, (m, x)| acc + x * Expression::Constant(*m))
}

impl PoseidonCompactConfig {
    /// The two gates over `state` (equality-enabled), `aux` and the fixed `constants`.
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        state: [Column<Advice>; WIDTH],
        aux: Column<Advice>,
        constants: [Column<Fixed>; WIDTH],
    ) -> Self {
        let mds = Constants::<F>::generate().mds;
        let (q_full, q_part) = (meta.selector(), meta.selector());
        meta.create_gate("poseidon full round (compact)", |m| {
            let q = m.query_selector(q_full);
            let c: Vec<Expression<F>> = constants.iter().map(|&f| m.query_fixed(f, Rotation::cur())).collect();
            let s: Vec<Expression<F>> = state.iter().map(|&a| m.query_advice(a, Rotation::cur())).collect();
            let msg = [m.query_advice(state[0], Rotation::next()), m.query_advice(state[1], Rotation::next())];
            let t = [
                m.query_advice(aux, Rotation::cur()),
                m.query_advice(aux, Rotation::next()),
                m.query_advice(state[2], Rotation::next()),
            ];
            let x: [Expression<F>; WIDTH] = [
                s[0].clone() + msg[0].clone() + c[0].clone(),
                s[1].clone() + msg[1].clone() + c[1].clone(),
                s[2].clone() + c[2].clone(),
            ];
            let mut out = Vec::with_capacity(2 * WIDTH);
            for k in 0..WIDTH {
                out.push(t[k].clone() - x[k].clone() * x[k].clone());
            }
            let fifth: [Expression<F>; WIDTH] = std::array::from_fn(|k| t[k].clone() * t[k].clone() * x[k].clone());
            for (j, row) in mds.iter().enumerate() {
                let next = m.query_advice(state[j], Rotation(2));
                out.push(next - mds_sum(row, fifth.clone()));
            }
            Constraints::with_selector(q, out)
        });
        meta.create_gate("poseidon partial round (compact)", |m| {
            let q = m.query_selector(q_part);
            let x: [Expression<F>; WIDTH] = std::array::from_fn(|k| {
                m.query_advice(state[k], Rotation::cur()) + m.query_fixed(constants[k], Rotation::cur())
            });
            let t = m.query_advice(aux, Rotation::cur());
            let mut out = vec![t.clone() - x[0].clone() * x[0].clone()];
            let after = [t.clone() * t * x[0].clone(), x[1].clone(), x[2].clone()];
            for (j, row) in mds.iter().enumerate() {
                let next = m.query_advice(state[j], Rotation::next());
                out.push(next - mds_sum(row, after.clone()));
            }
            Constraints::with_selector(q, out)
        });
        PoseidonCompactConfig { state, aux, constants, q_full, q_part }
    }

    /// Rows one hash of `len` message elements takes.
    pub fn rows_for(len: usize) -> usize {
        poseidon::permutations(len) * ROWS_PER_PERMUTATION + 1
    }
}

#[derive(Clone, Debug)]
pub struct PoseidonCompactChip {
    config: PoseidonCompactConfig,
}

impl PoseidonCompactChip {
    pub fn new(config: PoseidonCompactConfig) -> Self {
        PoseidonCompactChip { config }
    }

    /// Lays out the sponge hash of `msg` under `domain` on fresh rows; returns the hash cell.
    pub fn hash<F: PrimeField>(&self, ctx: &mut Ctx<'_, '_, F>, domain: u64, msg: &[ACell<F>]) -> Result<ACell<F>, Error> {
        let cfg = &self.config;
        let consts = Constants::<F>::generate();
        let n_perm = poseidon::permutations(msg.len());
        let mut row = ctx.alloc(PoseidonCompactConfig::rows_for(msg.len()));
        let init = [F::ZERO, F::ZERO, poseidon::capacity(domain, msg.len())];
        let mut cells = Vec::with_capacity(WIDTH);
        for (j, &v) in init.iter().enumerate() {
            let cell = ctx.assign_advice(cfg.state[j], row, Value::known(v));
            ctx.constrain_constant(cell.cell, v)?;
            cells.push(cell);
        }
        let mut state: Value<[F; WIDTH]> = Value::known(init);
        for p in 0..n_perm {
            for r in 0..ROUNDS {
                let rc = consts.rc[r];
                for (&col, c) in cfg.constants.iter().zip(rc) {
                    ctx.assign_fixed(col, row, c);
                }
                let next_state;
                if is_full_round(r) {
                    ctx.enable(&cfg.q_full, row)?;
                    // The absorbed pair on a permutation's first round, else the constant 0.
                    let mut m = [Value::known(F::ZERO); RATE];
                    for (k, mk) in m.iter_mut().enumerate() {
                        let cell = match msg.get(RATE * p + k).filter(|_| r == 0) {
                            Some(src) => ctx.copy_advice(src, cfg.state[k], row + 1),
                            None => {
                                let z = ctx.assign_advice(cfg.state[k], row + 1, Value::known(F::ZERO));
                                ctx.constrain_constant(z.cell, F::ZERO)?;
                                z
                            }
                        };
                        *mk = cell.value;
                    }
                    let x = state.zip(m[0]).zip(m[1]).map(|((s, a), b)| {
                        [s[0] + a + rc[0], s[1] + b + rc[1], s[2] + rc[2]]
                    });
                    let t = x.map(|x| x.map(|v| v.square()));
                    ctx.assign_advice(cfg.aux, row, t.map(|t| t[0]));
                    ctx.assign_advice(cfg.aux, row + 1, t.map(|t| t[1]));
                    ctx.assign_advice(cfg.state[2], row + 1, t.map(|t| t[2]));
                    next_state = x.map(|x| consts.mix(&x.map(poseidon::sbox)));
                    row += 2;
                } else {
                    ctx.enable(&cfg.q_part, row)?;
                    let x = state.map(|s| [s[0] + rc[0], s[1] + rc[1], s[2] + rc[2]]);
                    ctx.assign_advice(cfg.aux, row, x.map(|x| x[0].square()));
                    next_state = x.map(|x| consts.mix(&[poseidon::sbox(x[0]), x[1], x[2]]));
                    row += 1;
                }
                state = next_state;
                cells.clear();
                for (j, &col) in cfg.state.iter().enumerate() {
                    cells.push(ctx.assign_advice(col, row, state.map(|s| s[j])));
                }
            }
        }
        cells.into_iter().next().ok_or(Error::Synthesis)
    }
}
