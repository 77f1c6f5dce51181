//! The Grain LFSR of the Poseidon reference implementation (`generate_parameters_grain.sage`,
//! Grassi, Khovratovich, Rechberger, Roy, Schofnegger), which derives the round constants and
//! the MDS matrix from the instance parameters alone ("nothing up my sleeve").
//!
//! - State: 80 bits, initialised MSB-first with the field type (2 bits, 1 = prime field), the
//!   S-box type (4 bits, 0 = `x^alpha`), the field size `n` (12 bits), the width `t` (12), `R_F`
//!   (10), `R_P` (10) and thirty 1 bits.
//! - Update: `b = s[62] ^ s[51] ^ s[38] ^ s[23] ^ s[13] ^ s[0]`, shift left, append `b`. The
//!   first 160 bits are discarded.
//! - Output (self-shrinking): take bits in pairs `(b1, b2)`, output `b2` when `b1 = 1`.
//! - A field element is `n` output bits read MSB-first; round constants reject values `>= p`,
//!   the MDS sampling reduces them mod `p` (as the reference does).
use halo2_proofs::halo2curves::ff::PrimeField;

pub struct Grain {
    bits: [bool; 80],
}

fn push_bits(v: &mut Vec<bool>, value: u64, width: usize) {
    for i in (0..width).rev() {
        v.push((value >> i) & 1 == 1);
    }
}

impl Grain {
    /// The generator for a prime field of `n` bits with the `x^alpha` S-box.
    pub fn new(n: u64, t: u64, r_f: u64, r_p: u64) -> Self {
        let mut init = Vec::with_capacity(80);
        push_bits(&mut init, 1, 2);
        push_bits(&mut init, 0, 4);
        push_bits(&mut init, n, 12);
        push_bits(&mut init, t, 12);
        push_bits(&mut init, r_f, 10);
        push_bits(&mut init, r_p, 10);
        init.resize(80, true);
        let mut bits = [false; 80];
        bits.copy_from_slice(&init);
        let mut g = Grain { bits };
        for _ in 0..160 {
            g.step();
        }
        g
    }

    fn step(&mut self) -> bool {
        let s = &self.bits;
        let b = s[62] ^ s[51] ^ s[38] ^ s[23] ^ s[13] ^ s[0];
        self.bits.copy_within(1.., 0);
        self.bits[79] = b;
        b
    }

    /// The next output bit (self-shrinking).
    pub fn next_bit(&mut self) -> bool {
        loop {
            let keep = self.step();
            let bit = self.step();
            if keep {
                return bit;
            }
        }
    }

    /// `n` output bits, MSB first.
    fn next_bits(&mut self, n: usize) -> Vec<bool> {
        (0..n).map(|_| self.next_bit()).collect()
    }

    /// A field element by rejection sampling (`n`-bit integers `>= p` are skipped).
    pub fn field_element<F: PrimeField>(&mut self) -> F {
        let modulus = modulus_bits::<F>();
        loop {
            let bits = self.next_bits(F::NUM_BITS as usize);
            if less_than(&bits, &modulus) {
                return from_bits(&bits);
            }
        }
    }

    /// A field element: an `n`-bit integer reduced mod `p`.
    pub fn field_element_reduced<F: PrimeField>(&mut self) -> F {
        from_bits(&self.next_bits(F::NUM_BITS as usize))
    }
}

/// MSB-first bits to a field element (reduced mod `p`).
fn from_bits<F: PrimeField>(bits: &[bool]) -> F {
    bits.iter().fold(F::ZERO, |acc, &b| {
        acc.double() + if b { F::ONE } else { F::ZERO }
    })
}

/// The modulus as `NUM_BITS` bits, MSB first, parsed from `PrimeField::MODULUS` (hex).
fn modulus_bits<F: PrimeField>() -> Vec<bool> {
    let hex = F::MODULUS.trim_start_matches("0x");
    let mut bits: Vec<bool> = hex
        .chars()
        .flat_map(|c| {
            let d = c.to_digit(16).unwrap_or(0);
            (0..4).rev().map(move |i| (d >> i) & 1 == 1)
        })
        .collect();
    let n = F::NUM_BITS as usize;
    // Drop leading zero bits beyond NUM_BITS (the hex string is padded to whole digits).
    while bits.len() > n {
        bits.remove(0);
    }
    bits
}

/// `a < b` for equal-length MSB-first bit strings.
fn less_than(a: &[bool], b: &[bool]) -> bool {
    for (&x, &y) in a.iter().zip(b) {
        if x != y {
            return y;
        }
    }
    false
}
