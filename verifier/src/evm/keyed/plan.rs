//! What the keyed verifier does for one verifying key, derived from halo2's verifier
//! (`plonk/verifier.rs`, the permutation, lookup and vanishing verifiers, and SHPLONK's
//! `VerifierSHPLONK`, halo2-axiom 0.5.3) step by step, in the same order:
//!
//! 1. the transcript [`Step`]s: which proof points and scalars are read and where each
//!    challenge is squeezed (snark-verifier's EVM Keccak transcript, as the prover writes it);
//! 2. one field [`Builder`] program: `x^n`, the Lagrange values, the public-input evaluation, every
//!    gate polynomial, the permutation and lookup constraints folded by `y` into the expected
//!    quotient evaluation, then SHPLONK's rotation sets, interpolations and the scalars of the
//!    final multi-scalar multiplication;
//! 3. the MSM terms (a point of the key or of the proof, times a program value) and the
//!    pairing `e(W', [tau]G2) * e(MSM, -G2) = 1`.
use std::collections::BTreeSet;

use halo2_proofs::{
    halo2curves::{
        bn256::{Fr, G1Affine},
        ff::{Field, PrimeField},
        group::prime::PrimeCurveAffine,
    },
    plonk::{Any, Expression, VerifyingKey},
};

use super::program::{Builder, Val};

/// One transcript step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Read `count` points of the proof (stored as proof points `first..first+count`).
    Points { first: u32, count: u32 },
    /// Read `count` scalars of the proof (evaluations `first..first+count`).
    Scalars { first: u32, count: u32 },
    /// Squeeze challenge `index`.
    Squeeze { index: u32 },
}

/// A point of the MSM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    /// A commitment of the key (fixed and permutation commitments, then `[1]G1`).
    Key(u32),
    /// A point of the proof, by reading order.
    Proof(u32),
}

#[derive(Debug)]
pub struct Plan {
    pub program: Builder,
    pub steps: Vec<Step>,
    pub num_evals: u32,
    pub num_chals: u32,
    pub num_proof_points: u32,
    pub key_points: Vec<G1Affine>,
    /// `(point, scalar)`; `None` is the scalar 1 (an addition, no multiplication).
    pub msm: Vec<(Point, Option<Val>)>,
    /// The proof point `W'` of the pairing's first pair.
    pub w_prime: u32,
    pub transcript_repr: Fr,
    pub omega: Fr,
    pub public_inputs: usize,
}

/// Identity of a committed polynomial, as halo2's verifier compares them (by reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Poly {
    Advice(usize),
    PermZ(usize),
    LookupZ(usize),
    LookupA(usize),
    LookupS(usize),
    Fixed(usize),
    Sigma(usize),
    Quotient,
    Random,
}

struct Query {
    poly: Poly,
    rot: i32,
    eval: Val,
}

/// Evaluations read for the columns' queries.
struct Evals<'a> {
    vk: &'a VerifyingKey<G1Affine>,
    adv0: u32,
    fix0: u32,
    instance: Val,
    /// halo2 challenge index -> our challenge index.
    chal: Vec<u32>,
}

impl Evals<'_> {
    fn advice(&self, col: usize, rot: i32) -> Result<Val, String> {
        let i = self.vk.cs().advice_queries().iter().position(|(c, r)| c.index() == col && r.0 == rot);
        i.map(|i| Val::Eval(self.adv0 + i as u32)).ok_or_else(|| format!("advice {col} not queried at {rot}"))
    }
    fn fixed(&self, col: usize, rot: i32) -> Result<Val, String> {
        let i = self.vk.cs().fixed_queries().iter().position(|(c, r)| c.index() == col && r.0 == rot);
        i.map(|i| Val::Eval(self.fix0 + i as u32)).ok_or_else(|| format!("fixed {col} not queried at {rot}"))
    }
    fn instance(&self, col: usize, rot: i32) -> Result<Val, String> {
        if col == 0 && rot == 0 {
            Ok(self.instance)
        } else {
            Err(format!("instance column {col} at rotation {rot}: only column 0 at rotation 0 is supported"))
        }
    }
    fn any(&self, col: &halo2_proofs::plonk::Column<Any>) -> Result<Val, String> {
        match col.column_type() {
            Any::Advice(_) => self.advice(col.index(), 0),
            Any::Fixed => self.fixed(col.index(), 0),
            Any::Instance => self.instance(col.index(), 0),
        }
    }
}

fn expression(b: &mut Builder, e: &Expression<Fr>, ev: &Evals<'_>) -> Result<Val, String> {
    Ok(match e {
        Expression::Constant(c) => b.konst(*c),
        Expression::Selector(_) => return Err("a virtual selector left in the key".into()),
        Expression::Fixed(q) => ev.fixed(q.column_index(), q.rotation().0)?,
        Expression::Advice(q) => ev.advice(q.column_index(), q.rotation().0)?,
        Expression::Instance(q) => ev.instance(q.column_index(), q.rotation().0)?,
        Expression::Challenge(c) => Val::Chal(*ev.chal.get(c.index()).ok_or("unknown challenge")?),
        Expression::Negated(a) => {
            let a = expression(b, a, ev)?;
            b.neg(a)
        }
        Expression::Sum(x, y) => {
            let (x, y) = (expression(b, x, ev)?, expression(b, y, ev)?);
            b.add(x, y)
        }
        Expression::Product(x, y) => {
            let (x, y) = (expression(b, x, ev)?, expression(b, y, ev)?);
            b.mul(x, y)
        }
        Expression::Scaled(x, c) => {
            let x = expression(b, x, ev)?;
            let c = b.konst(*c);
            b.mul(x, c)
        }
    })
}

fn omega_pow(omega: Fr, rot: i32) -> Fr {
    let w = if rot < 0 { Option::from(omega.invert()).unwrap_or(Fr::ZERO) } else { omega };
    w.pow_vartime([rot.unsigned_abs() as u64])
}

/// The plan of the keyed verifier for `vk` with `public_inputs` values in its one instance
/// column, and the SRS's `[1]G1`.
pub fn plan(vk: &VerifyingKey<G1Affine>, public_inputs: usize, g1: G1Affine) -> Result<Plan, String> {
    let cs = vk.cs();
    let domain = vk.get_domain();
    let k = domain.k();
    let omega = domain.get_omega();
    if cs.num_instance_columns() != 1 {
        return Err(format!("{} instance columns: the keyed verifier supports one", cs.num_instance_columns()));
    }
    let mut b = Builder::default();
    let mut steps = vec![];
    let mut points = 0u32;
    let mut chals = 0u32;
    let mut read_points = |steps: &mut Vec<Step>, count: usize| -> Vec<u32> {
        let first = points;
        points += count as u32;
        if count > 0 {
            steps.push(Step::Points { first, count: count as u32 });
        }
        (first..first + count as u32).collect()
    };
    let mut squeeze = |steps: &mut Vec<Step>| -> Val {
        let index = chals;
        chals += 1;
        steps.push(Step::Squeeze { index });
        Val::Chal(index)
    };

    // Advice commitments phase by phase, each phase's challenges after them.
    let phases = cs.advice_column_phase();
    let chal_phases = cs.challenge_phase();
    let max_phase = phases.iter().chain(chal_phases.iter()).copied().max().unwrap_or(0);
    let mut advice_point = vec![0u32; cs.num_advice_columns()];
    let mut chal_map = vec![0u32; cs.num_challenges()];
    for phase in 0..=max_phase {
        let cols: Vec<usize> = (0..phases.len()).filter(|c| phases.get(*c) == Some(&phase)).collect();
        let ids = read_points(&mut steps, cols.len());
        for (c, id) in cols.iter().zip(ids) {
            if let Some(slot) = advice_point.get_mut(*c) {
                *slot = id;
            }
        }
        for (i, p) in chal_phases.iter().enumerate() {
            if *p == phase {
                if let (Some(slot), Val::Chal(ci)) = (chal_map.get_mut(i), squeeze(&mut steps)) {
                    *slot = ci;
                }
            }
        }
    }
    let theta = squeeze(&mut steps);
    let nl = cs.lookups().len();
    let lookup_permuted = read_points(&mut steps, 2 * nl);
    let beta = squeeze(&mut steps);
    let gamma = squeeze(&mut steps);
    let chunk_len = cs.degree() - 2;
    let perm_columns = cs.permutation().get_columns();
    let nsets = perm_columns.chunks(chunk_len).count();
    let perm_z = read_points(&mut steps, nsets);
    let lookup_z = read_points(&mut steps, nl);
    let random = read_points(&mut steps, 1);
    let y = squeeze(&mut steps);
    let quotient = read_points(&mut steps, domain.get_quotient_poly_degree());
    let x = squeeze(&mut steps);

    // Evaluations, in the prover's order.
    let na = cs.advice_queries().len() as u32;
    let nf = cs.fixed_queries().len() as u32;
    let nsig = vk.permutation().commitments().len() as u32;
    let adv0 = 0;
    let fix0 = na;
    let random_eval = Val::Eval(na + nf);
    let sig0 = na + nf + 1;
    let perm0 = sig0 + nsig;
    let perm_evals = (3 * nsets as u32).saturating_sub(1);
    let look0 = perm0 + perm_evals;
    let num_evals = look0 + 5 * nl as u32;
    steps.push(Step::Scalars { first: 0, count: num_evals });
    let sy = squeeze(&mut steps);
    let v = squeeze(&mut steps);
    let w = read_points(&mut steps, 1);
    let u = squeeze(&mut steps);
    let w_prime = read_points(&mut steps, 1);
    let (w, w_prime) = (*w.first().ok_or("no W")?, *w_prime.first().ok_or("no W'")?);

    // x^n, the Lagrange values, 1/(x^n - 1).
    let one = b.konst(Fr::ONE);
    let xn = b.pow2k(x, k);
    let xn_1 = b.sub(xn, one);
    let n_inv: Fr = Option::from(Fr::from(1u64 << k).invert()).ok_or("n has no inverse")?;
    let n_inv = b.konst(n_inv);
    let numer = b.mul(xn_1, n_inv);
    let blinding = cs.blinding_factors() as i32;
    let lag_rots: Vec<i32> = (-(blinding + 1)..=0).collect();
    let mut denoms = vec![];
    for r in &lag_rots {
        let wr = b.konst(omega_pow(omega, *r));
        denoms.push(b.sub(x, wr));
    }
    denoms.push(xn_1);
    denoms.push(x);
    // SHPLONK's rotation sets (needed now for z_diff_0, inverted in the same batch).
    let mut queries: Vec<Query> = vec![];
    for (i, (c, r)) in cs.advice_queries().iter().enumerate() {
        queries.push(Query { poly: Poly::Advice(c.index()), rot: r.0, eval: Val::Eval(adv0 + i as u32) });
    }
    let last_rot = -(blinding + 1);
    for s in 0..nsets {
        let e = perm0 + 3 * s as u32;
        queries.push(Query { poly: Poly::PermZ(s), rot: 0, eval: Val::Eval(e) });
        queries.push(Query { poly: Poly::PermZ(s), rot: 1, eval: Val::Eval(e + 1) });
    }
    for s in (0..nsets).rev().skip(1) {
        queries.push(Query { poly: Poly::PermZ(s), rot: last_rot, eval: Val::Eval(perm0 + 3 * s as u32 + 2) });
    }
    for l in 0..nl {
        let e = look0 + 5 * l as u32;
        queries.push(Query { poly: Poly::LookupZ(l), rot: 0, eval: Val::Eval(e) });
        queries.push(Query { poly: Poly::LookupA(l), rot: 0, eval: Val::Eval(e + 2) });
        queries.push(Query { poly: Poly::LookupS(l), rot: 0, eval: Val::Eval(e + 4) });
        queries.push(Query { poly: Poly::LookupA(l), rot: -1, eval: Val::Eval(e + 3) });
        queries.push(Query { poly: Poly::LookupZ(l), rot: 1, eval: Val::Eval(e + 1) });
    }
    for (i, (c, r)) in cs.fixed_queries().iter().enumerate() {
        queries.push(Query { poly: Poly::Fixed(c.index()), rot: r.0, eval: Val::Eval(fix0 + i as u32) });
    }
    for i in 0..nsig as usize {
        queries.push(Query { poly: Poly::Sigma(i), rot: 0, eval: Val::Eval(sig0 + i as u32) });
    }
    // The quotient's evaluation is computed below; a placeholder until then.
    queries.push(Query { poly: Poly::Quotient, rot: 0, eval: one });
    queries.push(Query { poly: Poly::Random, rot: 0, eval: random_eval });

    let mut poly_sets: Vec<(Poly, BTreeSet<i32>)> = vec![];
    let mut super_set = BTreeSet::new();
    for q in &queries {
        super_set.insert(q.rot);
        match poly_sets.iter_mut().find(|(p, _)| *p == q.poly) {
            Some((_, s)) => {
                s.insert(q.rot);
            }
            None => poly_sets.push((q.poly, BTreeSet::from([q.rot]))),
        }
    }
    let mut sets: Vec<(BTreeSet<i32>, Vec<Poly>)> = vec![];
    for (p, s) in poly_sets {
        match sets.iter_mut().find(|(t, _)| *t == s) {
            Some((_, ps)) => ps.push(p),
            None => sets.push((s, vec![p])),
        }
    }
    // u - x w^r for every rotation.
    let mut u_minus = std::collections::BTreeMap::new();
    for r in &super_set {
        let wr = b.konst(omega_pow(omega, *r));
        let p = b.mul(x, wr);
        u_minus.insert(*r, b.sub(u, p));
    }
    let prod = |b: &mut Builder, rots: &mut dyn Iterator<Item = &i32>| -> Result<Val, String> {
        let mut acc = one;
        for r in rots {
            let t = *u_minus.get(r).ok_or("rotation")?;
            acc = b.mul(acc, t);
        }
        Ok(acc)
    };
    let (first_set, _) = sets.first().ok_or("no queries")?;
    let z_diff_0 = prod(&mut b, &mut super_set.iter().filter(|r| !first_set.contains(r)))?;
    let z_0 = prod(&mut b, &mut first_set.iter())?;
    denoms.push(z_diff_0);
    let inv = b.batch_inv(&denoms);
    let nlag = lag_rots.len();
    let inv_lag = inv.get(..nlag).ok_or("inverses")?.to_vec();
    let (inv_xn_1, inv_x, inv_z_diff_0) = match inv.get(nlag..) {
        Some([a, c, d]) => (*a, *c, *d),
        _ => return Err("inverses".into()),
    };
    let mut lag = vec![];
    for (r, d) in lag_rots.iter().zip(inv_lag) {
        let wr = b.konst(omega_pow(omega, *r));
        let t = b.mul(numer, wr);
        lag.push(b.mul(t, d));
    }
    let l_last = *lag.first().ok_or("l_last")?;
    let l_0 = *lag.last().ok_or("l_0")?;
    let mut l_blind = b.konst(Fr::ZERO);
    for l in lag.iter().skip(1).take(blinding as usize) {
        l_blind = b.add(l_blind, *l);
    }
    let instance = b.instance(x, numer);
    let ev = Evals { vk, adv0, fix0, instance, chal: chal_map };

    // The constraints, in halo2's order.
    let mut cons: Vec<Val> = vec![];
    for gate in cs.gates() {
        for poly in gate.polynomials() {
            cons.push(expression(&mut b, poly, &ev)?);
        }
    }
    let last_blind = b.add(l_last, l_blind);
    let active = b.sub(one, last_blind);
    let pz = |s: usize| Val::Eval(perm0 + 3 * s as u32);
    if nsets > 0 {
        let t = b.sub(one, pz(0));
        cons.push(b.mul(l_0, t));
        let zl = pz(nsets - 1);
        let sq = b.square(zl);
        let t = b.sub(sq, zl);
        cons.push(b.mul(t, l_last));
        for s in 1..nsets {
            let prev_last = Val::Eval(perm0 + 3 * (s - 1) as u32 + 2);
            let t = b.sub(pz(s), prev_last);
            cons.push(b.mul(t, l_0));
        }
        let bx = b.mul(beta, x);
        for (s, cols) in perm_columns.chunks(chunk_len).enumerate() {
            let mut left = Val::Eval(perm0 + 3 * s as u32 + 1);
            for (j, col) in cols.iter().enumerate() {
                let e = ev.any(col)?;
                let sig = Val::Eval(sig0 + (s * chunk_len + j) as u32);
                let t = b.mad(beta, sig, e);
                let t = b.add(t, gamma);
                left = b.mul(left, t);
            }
            let mut right = pz(s);
            let delta = b.konst(Fr::DELTA.pow_vartime([(s * chunk_len) as u64]));
            let mut cur = b.mul(bx, delta);
            let dk = b.konst(Fr::DELTA);
            for col in cols {
                let e = ev.any(col)?;
                let t = b.add(e, cur);
                let t = b.add(t, gamma);
                right = b.mul(right, t);
                cur = b.mul(cur, dk);
            }
            let t = b.sub(left, right);
            cons.push(b.mul(t, active));
        }
    }
    for (l, arg) in cs.lookups().iter().enumerate() {
        let e = look0 + 5 * l as u32;
        let (z, z_next, a, a_inv, s) = (Val::Eval(e), Val::Eval(e + 1), Val::Eval(e + 2), Val::Eval(e + 3), Val::Eval(e + 4));
        let t = b.sub(one, z);
        cons.push(b.mul(l_0, t));
        let sq = b.square(z);
        let t = b.sub(sq, z);
        cons.push(b.mul(l_last, t));
        let ab = b.add(a, beta);
        let sg = b.add(s, gamma);
        let left = b.mul(z_next, ab);
        let left = b.mul(left, sg);
        let compress = |b: &mut Builder, exprs: &[Expression<Fr>]| -> Result<Val, String> {
            let mut acc = b.konst(Fr::ZERO);
            for ex in exprs {
                let v = expression(b, ex, &ev)?;
                acc = b.mad(acc, theta, v);
            }
            Ok(acc)
        };
        let input = compress(&mut b, arg.input_expressions())?;
        let table = compress(&mut b, arg.table_expressions())?;
        let ib = b.add(input, beta);
        let tg = b.add(table, gamma);
        let right = b.mul(z, ib);
        let right = b.mul(right, tg);
        let t = b.sub(left, right);
        cons.push(b.mul(t, active));
        let a_s = b.sub(a, s);
        cons.push(b.mul(l_0, a_s));
        let a_ai = b.sub(a, a_inv);
        let t = b.mul(a_s, a_ai);
        cons.push(b.mul(t, active));
    }
    let mut h = b.konst(Fr::ZERO);
    for c in cons {
        h = b.mad(h, y, c);
    }
    let expected_h = b.mul(h, inv_xn_1);
    if let Some(q) = queries.iter_mut().find(|q| q.poly == Poly::Quotient) {
        q.eval = expected_h;
    }

    // SHPLONK.
    let key_point = |p: Poly| -> Option<Point> {
        match p {
            Poly::Fixed(c) => Some(Point::Key(c as u32)),
            Poly::Sigma(i) => Some(Point::Key((vk.fixed_commitments().len() + i) as u32)),
            _ => None,
        }
    };
    let proof_point = |p: Poly| -> Option<u32> {
        match p {
            Poly::Advice(c) => advice_point.get(c).copied(),
            Poly::PermZ(s) => perm_z.get(s).copied(),
            Poly::LookupZ(l) => lookup_z.get(l).copied(),
            Poly::LookupA(l) => lookup_permuted.get(2 * l).copied(),
            Poly::LookupS(l) => lookup_permuted.get(2 * l + 1).copied(),
            Poly::Random => random.first().copied(),
            _ => None,
        }
    };
    let mut msm: Vec<(Point, Option<Val>)> = vec![];
    let mut r_outer = b.konst(Fr::ZERO);
    let mut v_pow = one;
    for (i, (rots, polys)) in sets.iter().enumerate() {
        let coef = if i == 0 {
            one
        } else {
            let zd = prod(&mut b, &mut super_set.iter().filter(|r| !rots.contains(r)))?;
            let t = b.mul(zd, inv_z_diff_0);
            b.mul(t, v_pow)
        };
        // Lagrange basis at u over the points x w^r, r in rots.
        let rl: Vec<i32> = rots.iter().copied().collect();
        let m = rl.len();
        let mut basis = vec![];
        if m == 1 {
            basis.push(one);
        } else {
            let mut inv_xm = one;
            for _ in 0..m - 1 {
                inv_xm = b.mul(inv_xm, inv_x);
            }
            for (kk, rk) in rl.iter().enumerate() {
                let mut d = Fr::ONE;
                let mut num = inv_xm;
                for (ll, rlv) in rl.iter().enumerate() {
                    if ll != kk {
                        d *= omega_pow(omega, *rk) - omega_pow(omega, *rlv);
                        num = b.mul(num, *u_minus.get(rlv).ok_or("rotation")?);
                    }
                }
                let dinv: Fr = Option::from(d.invert()).ok_or("equal rotations")?;
                let dinv = b.konst(dinv);
                basis.push(b.mul(num, dinv));
            }
        }
        let mut y_pow = one;
        let mut r_inner = b.konst(Fr::ZERO);
        for p in polys {
            let mut r = b.konst(Fr::ZERO);
            for (rk, bk) in rl.iter().zip(&basis) {
                let q = queries.iter().find(|q| q.poly == *p && q.rot == *rk).ok_or("query")?;
                r = b.mad(q.eval, *bk, r);
            }
            r_inner = b.mad(y_pow, r, r_inner);
            let scalar = b.mul(coef, y_pow);
            if *p == Poly::Quotient {
                let mut s = scalar;
                for (t, qp) in quotient.iter().enumerate() {
                    let sv = if t == 0 { s } else {
                        s = b.mul(s, xn);
                        s
                    };
                    msm.push((Point::Proof(*qp), Some(sv)));
                }
            } else if let Some(kp) = key_point(*p) {
                msm.push((kp, Some(scalar)));
            } else {
                msm.push((Point::Proof(proof_point(*p).ok_or("proof point")?), Some(scalar)));
            }
            y_pow = b.mul(y_pow, sy);
        }
        r_outer = b.mad(coef, r_inner, r_outer);
        v_pow = b.mul(v_pow, v);
    }
    let g1_index = (vk.fixed_commitments().len() + vk.permutation().commitments().len()) as u32;
    let neg_r = b.neg(r_outer);
    msm.push((Point::Key(g1_index), Some(neg_r)));
    let neg_z0 = b.neg(z_0);
    msm.push((Point::Proof(w), Some(neg_z0)));
    msm.push((Point::Proof(w_prime), Some(u)));
    // A scalar that is the constant 1 needs no multiplication.
    let one_val = one;
    for t in msm.iter_mut() {
        if t.1 == Some(one_val) {
            t.1 = None;
        }
    }
    let mut key_points: Vec<G1Affine> = vk.fixed_commitments().clone();
    key_points.extend(vk.permutation().commitments().iter().copied());
    key_points.push(g1);
    // A key commitment that is the point at infinity (an all-zero fixed column: a chip's
    // selector or table that this model does not use) adds nothing to the MSM whatever its
    // scalar, so its term is left out (about 6,150 gas each). The key is the model's own, so
    // this is decided per key, exactly.
    msm.retain(|(p, _)| match p {
        Point::Key(i) => key_points.get(*i as usize).is_none_or(|k| !bool::from(k.is_identity())),
        Point::Proof(_) => true,
    });
    Ok(Plan {
        program: b,
        steps,
        num_evals,
        num_chals: chals,
        num_proof_points: points,
        key_points,
        msm,
        w_prime,
        transcript_repr: vk.transcript_repr(),
        omega,
        public_inputs,
    })
}
