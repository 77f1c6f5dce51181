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
        let key: [u8; 32] = f.to_repr();
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
        let Some((&first, rest)) = xs.split_first() else { return vec![] };
        // prefix[i] = x_0 ... x_i
        let mut prefix = vec![first];
        let mut acc = first;
        for x in rest {
            acc = self.mul(acc, *x);
            prefix.push(acc);
        }
        let zero = self.konst(Fr::ZERO);
        // inv = 1 / (x_0 ... x_i), walking i down.
        let mut inv = self.emit(OP_INV, acc, zero, zero);
        let mut out = vec![];
        let befores: Vec<Option<Val>> = std::iter::once(None).chain(prefix.iter().copied().map(Some)).take(xs.len()).collect();
        for (x, before) in xs.iter().zip(befores).rev() {
            match before {
                Some(p) => {
                    out.push(self.mul(inv, p));
                    inv = self.mul(inv, *x);
                }
                None => out.push(inv),
            }
        }
        out.reverse();
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
        const FREE: u32 = u32::MAX; // not yet defined
        const DEAD: u32 = u32::MAX - 1; // defined, no longer read
        let n = self.tmps as usize;
        let mut last = vec![0usize; n];
        let mut set_last = |v: Val, at: usize| {
            if let Val::Tmp(t) = v {
                if let Some(l) = last.get_mut(t as usize) {
                    *l = at;
                }
            }
        };
        for (i, op) in self.ops.iter().enumerate() {
            for v in [op.a, op.b, op.c] {
                set_last(v, i);
            }
        }
        for v in keep {
            set_last(*v, usize::MAX);
        }
        let mut slot_of = vec![FREE; n];
        let mut free: Vec<u32> = vec![];
        let mut used = 0u32;
        let addr = |s: u32| u16::try_from(32 * s).map_err(|_| format!("slot {s} beyond the 64 KiB of 16-bit addresses"));
        let to_addr = |v: Val, slot_of: &[u32]| -> Result<u16, String> {
            match v {
                Val::Const(i) => addr(bases.consts + i),
                Val::Eval(i) => addr(bases.evals + i),
                Val::Chal(i) => addr(bases.chals + i),
                Val::Tmp(t) => match slot_of.get(t as usize) {
                    Some(&s) if s < DEAD => addr(bases.tmps + s),
                    _ => Err(format!("temporary {t} read where it is not live")),
                },
            }
        };
        let mut ops = Vec::with_capacity(self.ops.len());
        for (i, op) in self.ops.iter().enumerate() {
            let (a, b, c) = (to_addr(op.a, &slot_of)?, to_addr(op.b, &slot_of)?, to_addr(op.c, &slot_of)?);
            // Operands read for the last time give their slots back (the destination may reuse
            // one: the interpreter reads operands before it writes).
            for v in [op.a, op.b, op.c] {
                if let Val::Tmp(t) = v {
                    let t = t as usize;
                    if let (Some(&l), Some(s)) = (last.get(t), slot_of.get_mut(t)) {
                        if l == i && *s < DEAD {
                            free.push(*s);
                            *s = DEAD;
                        }
                    }
                }
            }
            let Val::Tmp(dt) = op.d else { return Err("destination is not a temporary".into()) };
            let dt = dt as usize;
            let s = free.pop().unwrap_or_else(|| {
                used += 1;
                used - 1
            });
            let never_read = last.get(dt) == Some(&0) && !keep.contains(&op.d);
            let slot = slot_of.get_mut(dt).ok_or("destination out of range")?;
            *slot = if never_read { DEAD } else { s };
            if never_read {
                free.push(s);
            }
            ops.push((op.code, addr(bases.tmps + s)?, a, b, c));
        }
        let kept = keep.iter().map(|v| to_addr(*v, &slot_of)).collect::<Result<Vec<_>, _>>()?;
        Ok((Placed { ops, tmp_slots: used }, kept))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `b`'s ops on `evals` (no challenges), the way `native.rs` does.
    fn eval(b: &Builder, evals: &[Fr]) -> Vec<Fr> {
        let mut t = vec![Fr::ZERO; b.num_tmps() as usize];
        let get = |v: Val, t: &[Fr]| match v {
            Val::Const(i) => b.consts[i as usize],
            Val::Eval(i) => evals[i as usize],
            Val::Tmp(i) => t[i as usize],
            Val::Chal(_) => unreachable!(),
        };
        for op in &b.ops {
            let (x, y, z) = (get(op.a, &t), get(op.b, &t), get(op.c, &t));
            let r = match op.code {
                OP_MAD => x * y + z,
                OP_INV => x.invert().unwrap(),
                _ => unreachable!(),
            };
            let Val::Tmp(d) = op.d else { unreachable!() };
            t[d as usize] = r;
        }
        t
    }

    #[test]
    fn batch_inversion_and_arithmetic_agree_with_the_field() {
        let mut b = Builder::default();
        let xs = [Val::Eval(0), Val::Eval(1), Val::Eval(2)];
        let inv = b.batch_inv(&xs);
        let d = b.sub(Val::Eval(0), Val::Eval(1));
        let m = b.mad(Val::Eval(1), Val::Eval(2), Val::Eval(0));
        let evals = [Fr::from(2), Fr::from(3), Fr::from(5)];
        let t = eval(&b, &evals);
        let value = |v: Val| match v {
            Val::Tmp(i) => t[i as usize],
            _ => unreachable!(),
        };
        for (v, x) in inv.iter().zip(evals) {
            assert_eq!(value(*v) * x, Fr::ONE);
        }
        assert_eq!(value(d), -Fr::ONE);
        assert_eq!(value(m), Fr::from(17));
        // Constants fold: no instruction for 2 * 3 + 0 or x * 1.
        let n = b.ops.len();
        let (two, three) = (b.konst(Fr::from(2)), b.konst(Fr::from(3)));
        assert_eq!(b.mul(two, three), b.konst(Fr::from(6)));
        let one = b.konst(Fr::ONE);
        assert_eq!(b.mul(Val::Eval(0), one), Val::Eval(0));
        assert_eq!(b.ops.len(), n);
    }

    #[test]
    fn dead_temporaries_give_their_slots_back() {
        // A chain of 50 products keeps at most two temporaries alive at once.
        let mut b = Builder::default();
        let mut acc = Val::Eval(0);
        for i in 1..50 {
            acc = b.mul(acc, Val::Eval(i));
        }
        let bases = Bases { consts: 10, evals: 20, chals: 100, tmps: 200 };
        let (placed, kept) = b.finish(bases, &[acc]).unwrap();
        assert_eq!(placed.ops.len(), 49);
        assert!(placed.tmp_slots <= 2, "{}", placed.tmp_slots);
        assert_eq!(kept.len(), 1);
        assert!(kept[0] >= 32 * 200);
        // Operands are byte addresses of their regions.
        assert_eq!(placed.ops[0].2, 32 * 20);
        // A temporary read before it is defined is an error, not a wrong program.
        let mut bad = Builder::default();
        bad.mul(Val::Eval(0), Val::Eval(1));
        bad.ops[0].a = Val::Tmp(5);
        assert!(bad.finish(bases, &[]).is_err());
    }
}
