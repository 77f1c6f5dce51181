//! The key contract's bytes and the memory map the verifier runs in.
//!
//! The verifier copies the key (the key contract's code after its leading `STOP`) to memory
//! at [`KEY_BASE`]; every address in the key is absolute, so the verifier code is the same for
//! every key. Memory, in bytes:
//!
//! ```text
//! 0x000 .. 0x300  scratch of the precompile calls (MSM accumulator at 0x40, pairing input 0x100)
//! KEY_BASE        header (HEADER_WORDS words, below), constants, key points (x, y), the G2
//!                 points of the pairing ([tau]G2, -[1]G2; x.c1, x.c0, y.c1, y.c0), then the
//!                 packed tables: steps, program, MSM terms
//! after the key   proof evaluations, challenges, proof points, temporaries, the instance
//!                 the transcript buffer
//! ```
//!
//! Header words (offset from `KEY_BASE`): 0 format, 1 public inputs, 2 proof bytes, 3 transcript
//! buffer, 4/5 steps address/count, 6/7 program address/count, 8/9 MSM address/count,
//! 10 G2 data address, 11 address of the proof point `W'`, 12 omega, 13 omega^-1,
//! 14 halo2's `transcript_repr` (the first transcript word), 15 the model identity (what the
//! verifier returns), 16 reserved (0).
//!
//! Packed entries (big-endian): a step (8 bytes) is `kind(1) count(2) slot(2) 0(3)` with kind 1
//! points, 2 scalars, 3 squeeze; an instruction (9 bytes) is `code(1) d(2) a(2) b(2) c(2)`, operands byte addresses; an MSM term (8
//! bytes) is `point slot(2) scalar address(2) 0(4)`, scalar address 0 meaning the scalar 1.
use halo2_proofs::halo2curves::{
    bn256::{Fr, G1Affine, G2Affine},
    ff::{Field, PrimeField},
    Coordinates, CurveAffine,
};

use super::plan::{Plan, Point, Step};
use super::program::{Bases, Val};

pub const KEY_BASE: usize = 0x300;
pub const HEADER_WORDS: usize = 17;
pub const FORMAT: u64 = 1;

fn word_u64(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

fn fr_word(f: &Fr) -> [u8; 32] {
    let mut w: [u8; 32] = f.to_repr();
    w.reverse();
    w
}

fn fq_be(repr: impl AsRef<[u8]>) -> Vec<u8> {
    repr.as_ref().iter().rev().copied().collect()
}

fn g1_bytes(p: &G1Affine) -> Result<Vec<u8>, String> {
    let c: Coordinates<G1Affine> = Option::from(p.coordinates()).ok_or("a key point at infinity")?;
    let mut out = fq_be(c.x().to_repr());
    out.extend(fq_be(c.y().to_repr()));
    Ok(out)
}

fn g2_bytes(p: &G2Affine) -> Vec<u8> {
    let mut out = vec![];
    for c in [p.x.c1, p.x.c0, p.y.c1, p.y.c0] {
        out.extend(fq_be(c.to_repr()));
    }
    out
}

/// The encoded key and the facts the tests and reports need.
#[derive(Clone, Debug)]
pub struct EncodedKey {
    /// The key bytes (the key contract's code is `0x00` followed by these).
    pub data: Vec<u8>,
    /// Highest memory address the verifier touches (for the report).
    pub memory_end: usize,
    pub program_len: usize,
    pub msm_terms: usize,
    /// Memory addresses: challenges, MSM table (in the key copy).
    pub chals_at: usize,
    pub msm_at: usize,
    /// Addresses of the constants 0 and 1 (`u16::MAX` when the program has none).
    pub zero_at: u16,
    pub one_at: u16,
    /// The program with addresses assigned (what [`super::source::solidity_unrolled`] writes out).
    pub program: super::program::Placed,
}

fn pack(out: &mut Vec<u8>, bytes: [u8; 8]) {
    out.extend_from_slice(&bytes);
}

/// Encode `plan` for a verifier that returns `identity` on success.
pub fn encode(plan: &Plan, identity: [u8; 32], s_g2: &G2Affine, g2: &G2Affine, proof_len: usize) -> Result<EncodedKey, String> {
    let b = &plan.program;
    let nconst = b.consts.len();
    let header = KEY_BASE;
    let consts_at = header + 32 * HEADER_WORDS;
    let points_at = consts_at + 32 * nconst;
    let g2_at = points_at + 64 * plan.key_points.len();
    let steps_at = g2_at + 256;
    let steps_len = 8 * plan.steps.len();
    let program_at = steps_at + steps_len.div_ceil(32) * 32;
    let program_len = 9 * b.ops.len();
    let msm_at = program_at + program_len.div_ceil(32) * 32;
    let key_end = msm_at + (8 * plan.msm.len()).div_ceil(32) * 32;
    let evals_at = key_end;
    let chals_at = evals_at + 32 * plan.num_evals as usize;
    let ppoints_at = chals_at + 32 * plan.num_chals as usize;
    let tmps_at = ppoints_at + 64 * plan.num_proof_points as usize;
    let bases = Bases { consts: (consts_at / 32) as u32, evals: (evals_at / 32) as u32, chals: (chals_at / 32) as u32, tmps: (tmps_at / 32) as u32 };
    let keep: Vec<Val> = plan.msm.iter().filter_map(|(_, s)| *s).collect();
    let (placed, kept) = b.finish(bases, &keep)?;
    let tb_at = tmps_at + 32 * placed.tmp_slots as usize;
    // The largest absorption between squeezes bounds the buffer.
    let mut chunk = 32 + 32 * plan.public_inputs;
    let mut run = chunk;
    for s in &plan.steps {
        match s {
            Step::Points { count, .. } => run += 64 * *count as usize,
            Step::Scalars { count, .. } => run += 32 * *count as usize,
            Step::Squeeze { .. } => run = 33,
        }
        chunk = chunk.max(run);
    }
    let memory_end = tb_at + chunk + 32;
    let slot = |addr: usize| -> Result<u16, String> { u16::try_from(addr / 32).map_err(|_| format!("address {addr:#x} beyond 16-bit slots")) };
    slot(memory_end)?;

    let mut data = Vec::with_capacity(key_end - KEY_BASE);
    let w_prime_at = ppoints_at + 64 * plan.w_prime as usize;
    let omega_inv: Fr = Option::from(plan.omega.invert()).ok_or("omega is zero")?;
    for v in [FORMAT, plan.public_inputs as u64, proof_len as u64, tb_at as u64, steps_at as u64, plan.steps.len() as u64, program_at as u64, b.ops.len() as u64, msm_at as u64, plan.msm.len() as u64, g2_at as u64, w_prime_at as u64] {
        data.extend_from_slice(&word_u64(v));
    }
    data.extend_from_slice(&fr_word(&plan.omega));
    data.extend_from_slice(&fr_word(&omega_inv));
    data.extend_from_slice(&fr_word(&plan.transcript_repr));
    data.extend_from_slice(&identity);
    data.extend_from_slice(&word_u64(0));
    for c in &b.consts {
        data.extend_from_slice(&fr_word(c));
    }
    for p in &plan.key_points {
        data.extend(g1_bytes(p)?);
    }
    data.extend(g2_bytes(s_g2));
    data.extend(g2_bytes(&-*g2));
    let pad = |data: &mut Vec<u8>| {
        while !data.len().is_multiple_of(32) {
            data.push(0);
        }
    };
    for s in &plan.steps {
        let (kind, count, at) = match s {
            Step::Points { first, count } => (1u8, *count, ppoints_at + 64 * *first as usize),
            Step::Scalars { first, count } => (2u8, *count, evals_at + 32 * *first as usize),
            Step::Squeeze { index } => (3u8, 0, chals_at + 32 * *index as usize),
        };
        let count = u16::try_from(count).map_err(|_| "too many values in one step")?;
        let at = slot(at)?;
        let [c0, c1] = count.to_be_bytes();
        let [a0, a1] = at.to_be_bytes();
        pack(&mut data, [kind, c0, c1, a0, a1, 0, 0, 0]);
    }
    pad(&mut data);
    for (code, d, a, bb, c) in placed.ops.iter() {
        let [d0, d1] = d.to_be_bytes();
        let [a0, a1] = a.to_be_bytes();
        let [b0, b1] = bb.to_be_bytes();
        let [c0, c1] = c.to_be_bytes();
        data.extend_from_slice(&[*code, d0, d1, a0, a1, b0, b1, c0, c1]);
    }
    pad(&mut data);
    let mut kept = kept.into_iter();
    for (p, s) in &plan.msm {
        let at = match p {
            Point::Key(i) => points_at + 64 * *i as usize,
            Point::Proof(i) => ppoints_at + 64 * *i as usize,
        };
        let ps = slot(at)?;
        let ss = match s {
            Some(_) => kept.next().ok_or("msm scalar")?,
            None => 0,
        };
        let [p0, p1] = ps.to_be_bytes();
        let [s0, s1] = ss.to_be_bytes();
        pack(&mut data, [p0, p1, s0, s1, 0, 0, 0, 0]);
    }
    pad(&mut data);
    let const_at = |f: Fr| -> u16 {
        b.consts.iter().position(|c| *c == f).and_then(|i| u16::try_from(consts_at + 32 * i).ok()).unwrap_or(u16::MAX)
    };
    let (zero_at, one_at) = (const_at(Fr::ZERO), const_at(Fr::ONE));
    if KEY_BASE + data.len() != key_end {
        return Err(format!("key layout: {} bytes, expected {}", data.len(), key_end - KEY_BASE));
    }
    Ok(EncodedKey { data, memory_end, program_len: b.ops.len(), msm_terms: plan.msm.len(), chals_at, msm_at, zero_at, one_at, program: placed })
}
