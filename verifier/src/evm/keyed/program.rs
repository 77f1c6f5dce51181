//! The straight-line field program the keyed verifier interprets, and its builder.
//!
//! A program is a list of instructions over 32-byte memory words, operands being byte
//! addresses (below 64 KiB); every value is an element of the BN254 scalar field `Fr`. There is
//! one arithmetic instruction, so the interpreter needs no dispatch for arithmetic:
//!
//! | op | code | effect |
//! |---|---|---|
//! | `Mad d a b c` | 0 | `m[d] = m[a] * m[b] + m[c]` (addition: `b` = 1; subtraction `c - a`: `b` = -1; product: `c` = 0) |
//! | `Inv d a` | 4 | `m[d] = m[a]^(r-2)` (the modexp precompile; 0 stays 0) |
//! | `Inst d a b` | 5 | `m[d] = sum_i L_i(m[a]) pub_i`, `L_i(x) = w^i m[b] / (x - w^i)`, `w` the key's omega; `pub_i` the public inputs of the call |
//!
//! The builder works on virtual values ([`Val`]): constants (interned), proof evaluations,
//! transcript challenges and temporaries; [`Builder::finish`] gives temporaries slots, reusing a
//! slot once its value is dead, so the contract's memory stays small.
use std::collections::HashMap;

use halo2_proofs::halo2curves::{bn256::Fr, ff::Field, ff::PrimeField};

/// A value of the program before slots are assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Val {
    /// A constant of the key (index into [`Builder::consts`]).
    Const(u32),
    /// A scalar of the proof, by reading order.
    Eval(u32),
    /// A transcript challenge, by squeezing order.
    Chal(u32),
    /// A temporary result.
    Tmp(u32),
}

/// Instruction codes (see the module table).
pub const OP_MAD: u8 = 0;
pub const OP_INV: u8 = 4;
pub const OP_INST: u8 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    pub code: u8,
    /// Always a temporary.
    pub d: Val,
    pub a: Val,
    pub b: Val,
    pub c: Val,
}

/// Builds a program. Constant operands are folded when both are known.
#[derive(Debug, Default)]
pub struct Builder {
    pub consts: Vec<Fr>,
    const_index: HashMap<[u8; 32], u32>,
    pub ops: Vec<Op>,
    tmps: u32,
}

impl Builder {
    /// Number of temporaries (values the program defines).
    pub fn num_tmps(&self) -> u32 {
        self.tmps
    }

    pub fn konst(&mut self, f: Fr) -> Val {
        let key: [u8; 32] = f.to_repr().into();
        if let Some(i) = self.const_index.get(&key) {
            return Val::Const(*i);
        }
        let i = self.consts.len() as u32;
        self.consts.push(f);
        self.const_index.insert(key, i);
        Val::Const(i)
    }

    fn const_value(&self, v: Val) -> Option<Fr> {
        match v {
            Val::Const(i) => self.consts.get(i as usize).copied(),
            _ => None,
        }
    }

    fn emit(&mut self, code: u8, a: Val, b: Val, c: Val) -> Val {
        let d = Val::Tmp(self.tmps);
        self.tmps += 1;
        self.ops.push(Op { code, d, a, b, c });
        d
    }

    /// `a * b + c`.
    pub fn mad(&mut self, a: Val, b: Val, c: Val) -> Val {
        match (self.const_value(a), self.const_value(b), self.const_value(c)) {
            (Some(x), Some(y), Some(z)) => self.konst(x * y + z),
            (Some(x), _, Some(z)) if x == Fr::ZERO => self.konst(z),
            (_, Some(y), Some(z)) if y == Fr::ZERO => self.konst(z),
            (Some(x), _, Some(z)) if x == Fr::ONE && z == Fr::ZERO => b,
            (_, Some(y), Some(z)) if y == Fr::ONE && z == Fr::ZERO => a,
            _ => self.emit(OP_MAD, a, b, c),
        }
    }

    pub fn mul(&mut self, a: Val, b: Val) -> Val {
        let zero = self.konst(Fr::ZERO);
        self.mad(a, b, zero)
    }

    pub fn add(&mut self, a: Val, b: Val) -> Val {
        match (self.const_value(a), self.const_value(b)) {
            (Some(x), Some(y)) => self.konst(x + y),
            (Some(x), _) if x == Fr::ZERO => b,
            (_, Some(y)) if y == Fr::ZERO => a,
            _ => {
                let one = self.konst(Fr::ONE);
                self.emit(OP_MAD, a, one, b)
            }
        }
    }

    pub fn sub(&mut self, a: Val, b: Val) -> Val {
        match (self.const_value(a), self.const_value(b)) {
            (Some(x), Some(y)) => self.konst(x - y),
            (_, Some(y)) if y == Fr::ZERO => a,
            _ => {
                let m1 = self.konst(-Fr::ONE);
                self.emit(OP_MAD, b, m1, a)
            }
        }
    }

    pub fn neg(&mut self, a: Val) -> Val {
        let zero = self.konst(Fr::ZERO);
        self.sub(zero, a)
    }

    pub fn square(&mut self, a: Val) -> Val {
        self.mul(a, a)
    }

    /// `a^(2^k)`.
    pub fn pow2k(&mut self, a: Val, k: u32) -> Val {
        (0..k).fold(a, |acc, _| self.square(acc))
    }

    /// `sum_i L_i(x) pub_i` over the call's public inputs, with `numer = (x^n - 1) / n`;
    /// omega and its inverse come from the key's header.
    pub fn instance(&mut self, x: Val, numer: Val) -> Val {
        let zero = self.konst(Fr::ZERO);
        self.emit(OP_INST, x, numer, zero)
    }

    /// Inverses of all of `xs` with one inversion (Montgomery's trick).
    pub fn batch_inv(&mut self, xs: &[Val]) -> Vec<Val> {
        if xs.is_empty() {
            return vec![];
        }
        let mut prefix = Vec::with_capacity(xs.len());
        let mut acc = xs[0];
        prefix.push(acc);
        for x in &xs[1..] {
            acc = self.mul(acc, *x);
            prefix.push(acc);
        }
        let zero = self.konst(Fr::ZERO);
        let mut inv = self.emit(OP_INV, acc, zero, zero);
        let mut out = vec![inv; xs.len()];
        for i in (0..xs.len()).rev() {
            if i == 0 {
                out[0] = inv;
            } else {
                out[i] = self.mul(inv, prefix[i - 1]);
                inv = self.mul(inv, xs[i]);
            }
        }
        out
    }
}

/// A program with slots assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// `(code, d, a, b, c)` as byte addresses.
    pub ops: Vec<(u8, u16, u16, u16, u16)>,
    /// Number of temporary slots used.
    pub tmp_slots: u32,
}

/// Where the non-temporary values live (slot numbers).
#[derive(Clone, Copy, Debug)]
pub struct Bases {
    pub consts: u32,
    pub evals: u32,
    pub chals: u32,
    pub tmps: u32,
}

impl Builder {
    /// Assign slots: temporaries share slots once dead; `keep` stay live to the end (and
    /// their slots are returned in the same order).
    pub fn finish(&self, bases: Bases, keep: &[Val]) -> Result<(Placed, Vec<u16>), String> {
        let n = self.ops.len();
        let mut last = vec![0usize; self.tmps as usize];
        for (i, op) in self.ops.iter().enumerate() {
            for v in [op.a, op.b, op.c] {
                if let Val::Tmp(t) = v {
                    last[t as usize] = i;
                }
            }
        }
        for v in keep {
            if let Val::Tmp(t) = v {
                last[*t as usize] = usize::MAX;
            }
        }
        let mut slot_of = vec![u32::MAX; self.tmps as usize];
        let mut free: Vec<u32> = vec![];
        let mut used = 0u32;
        let to_slot = |v: Val, slot_of: &[u32]| -> Result<u16, String> {
            let s = match v {
                Val::Const(i) => bases.consts + i,
                Val::Eval(i) => bases.evals + i,
                Val::Chal(i) => bases.chals + i,
                Val::Tmp(t) => {
                    let s = slot_of[t as usize];
                    if s == u32::MAX {
                        return Err(format!("temporary {t} used before it is defined"));
                    }
                    bases.tmps + s
                }
            };
            u16::try_from(32 * s).map_err(|_| format!("slot {s} beyond the 64 KiB of 16-bit addresses"))
        };
        let mut ops = Vec::with_capacity(n);
        for (i, op) in self.ops.iter().enumerate() {
            let a = to_slot(op.a, &slot_of)?;
            let b = to_slot(op.b, &slot_of)?;
            let c = to_slot(op.c, &slot_of)?;
            for v in [op.a, op.b, op.c] {
                if let Val::Tmp(t) = v {
                    if last[t as usize] == i && slot_of[t as usize] < u32::MAX - 1 {
                        free.push(slot_of[t as usize]);
                        slot_of[t as usize] = u32::MAX - 1; // dead
                    }
                }
            }
            let Val::Tmp(dt) = op.d else { return Err("destination is not a temporary".into()) };
            let s = free.pop().unwrap_or_else(|| {
                used += 1;
                used - 1
            });
            slot_of[dt as usize] = s;
            if last[dt as usize] == 0 && !keep.contains(&op.d) {
                // Never read: free at once (still written).
                free.push(s);
                slot_of[dt as usize] = u32::MAX - 1;
            }
            ops.push((op.code, to_slot_d(bases, s)?, a, b, c));
        }
        let kept = keep.iter().map(|v| to_slot(*v, &slot_of)).collect::<Result<Vec<_>, _>>()?;
        Ok((Placed { ops, tmp_slots: used }, kept))
    }
}

fn to_slot_d(bases: Bases, s: u32) -> Result<u16, String> {
    let s = bases.tmps + s;
    u16::try_from(32 * s).map_err(|_| format!("slot {s} beyond the 64 KiB of 16-bit addresses"))
}
