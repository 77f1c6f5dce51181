//! The plan run natively: the same transcript steps, program and MSM as the contract, over
//! halo2curves. It is the reference the contract is tested against (an honest proof must pass
//! here and on chain, tampered ones fail both), and the place to look when they disagree.
use halo2_proofs::{
    halo2curves::{
        bn256::{Bn256, Fr, G1Affine, G2Affine, G2Prepared, G1},
        ff::Field,
        group::{prime::PrimeCurveAffine, Curve, Group},
        pairing::MultiMillerLoop,
        pairing::MillerLoopResult,
    },
    transcript::{Transcript, TranscriptRead, TranscriptReadBuffer},
};

use super::plan::{Plan, Point, Step};
use super::program::{Val, OP_INST, OP_INV, OP_MAD};
use crate::transcript::EvmTranscriptRead;

/// Run `plan` on `publics` and `proof`; `Ok(false)` when the pairing check fails.
pub fn run(plan: &Plan, publics: &[Fr], proof: &[u8], s_g2: &G2Affine, g2: &G2Affine) -> Result<bool, String> {
    trace(plan, publics, proof, s_g2, g2).map(|t| t.accepted)
}

/// What [`run`] computed.
#[derive(Clone, Debug)]
pub struct Trace {
    pub accepted: bool,
    pub challenges: Vec<Fr>,
    pub msm: G1Affine,
    /// The MSM's scalars in term order.
    pub scalars: Vec<Fr>,
}

/// [`run`], keeping the intermediate values.
pub fn trace(plan: &Plan, publics: &[Fr], proof: &[u8], s_g2: &G2Affine, g2: &G2Affine) -> Result<Trace, String> {
    if publics.len() != plan.public_inputs {
        return Err(format!("{} public inputs, the key has {}", publics.len(), plan.public_inputs));
    }
    let mut t = EvmTranscriptRead::init(proof);
    let io = |e: std::io::Error| e.to_string();
    t.common_scalar(plan.transcript_repr).map_err(io)?;
    for p in publics {
        t.common_scalar(*p).map_err(io)?;
    }
    let mut evals = vec![Fr::ZERO; plan.num_evals as usize];
    let mut chals = vec![Fr::ZERO; plan.num_chals as usize];
    let mut points = vec![G1Affine::identity(); plan.num_proof_points as usize];
    for s in &plan.steps {
        match *s {
            Step::Points { first, count } => {
                for i in first..first + count {
                    let p = t.read_point().map_err(io)?;
                    *points.get_mut(i as usize).ok_or("point index")? = p;
                }
            }
            Step::Scalars { first, count } => {
                for i in first..first + count {
                    let v = t.read_scalar().map_err(io)?;
                    *evals.get_mut(i as usize).ok_or("eval index")? = v;
                }
            }
            Step::Squeeze { index } => {
                let c = *t.squeeze_challenge_scalar::<()>();
                *chals.get_mut(index as usize).ok_or("challenge index")? = c;
            }
        }
    }
    if proof.len() != 64 * plan.num_proof_points as usize + 32 * plan.num_evals as usize {
        return Err(format!("proof of {} bytes, the key reads {}", proof.len(), 64 * plan.num_proof_points + 32 * plan.num_evals));
    }
    let b = &plan.program;
    let mut tmps = vec![Fr::ZERO; b.num_tmps() as usize];
    let get = |v: Val, tmps: &[Fr]| -> Result<Fr, String> {
        match v {
            Val::Const(i) => b.consts.get(i as usize).copied(),
            Val::Eval(i) => evals.get(i as usize).copied(),
            Val::Chal(i) => chals.get(i as usize).copied(),
            Val::Tmp(i) => tmps.get(i as usize).copied(),
        }
        .ok_or_else(|| format!("no value {v:?}"))
    };
    for op in &b.ops {
        let (a, bb, cc) = (get(op.a, &tmps)?, get(op.b, &tmps)?, get(op.c, &tmps)?);
        let r = match op.code {
            OP_MAD => a * bb + cc,
            OP_INV => Option::from(a.invert()).unwrap_or(Fr::ZERO),
            OP_INST => {
                let omega = plan.omega;
                let mut acc = Fr::ZERO;
                let mut w = Fr::ONE;
                for p in publics {
                    let d: Fr = Option::from((a - w).invert()).unwrap_or(Fr::ZERO);
                    acc += w * bb * d * p;
                    w *= omega;
                }
                acc
            }
            c => return Err(format!("unknown op {c}")),
        };
        let Val::Tmp(d) = op.d else { return Err("destination".into()) };
        *tmps.get_mut(d as usize).ok_or("tmp")? = r;
    }
    let mut acc = G1::identity();
    let mut scalars = vec![];
    for (p, s) in &plan.msm {
        let pt = match p {
            Point::Key(i) => plan.key_points.get(*i as usize).copied(),
            Point::Proof(i) => points.get(*i as usize).copied(),
        }
        .ok_or("msm point")?;
        let s = match s {
            Some(v) => get(*v, &tmps)?,
            None => Fr::ONE,
        };
        scalars.push(s);
        acc += pt * s;
    }
    let wp = *points.get(plan.w_prime as usize).ok_or("W'")?;
    let lhs = acc.to_affine();
    let neg_g2 = -*g2;
    let (sp, np) = (G2Prepared::from(*s_g2), G2Prepared::from(neg_g2));
    let r = Bn256::multi_miller_loop(&[(&wp, &sp), (&lhs, &np)]).final_exponentiation();
    Ok(Trace { accepted: bool::from(r.is_identity()), challenges: chals, msm: lhs, scalars })
}

