//! Where `create_proof` spends its time, measured without changing halo2.
//!
//! halo2's prover talks to its transcript at every phase boundary: it hashes the key, absorbs
//! the instance right after synthesis, writes the advice commitments, squeezes `theta`, writes
//! the permuted lookup commitments, squeezes `beta` and `gamma`, writes the permutation
//! products, the lookup products and the vanishing argument's random commitment, squeezes `y`,
//! writes the quotient pieces, squeezes `x`, writes the evaluations and then the multi-opening.
//! [`Timed`] wraps the real transcript and records when each of these calls happens, and
//! [`phases`] turns that sequence into named phases using the constraint system's facts (the
//! number of challenges, lookups and permutation chunks), so every phase is **measured**, not
//! modelled. The proof bytes are those of the wrapped transcript, unchanged.
//!
//! What the transcript cannot separate is named together: `witness` is everything from
//! hashing the key to absorbing the instance (halo2 allocates its witness buffers and runs
//! `Circuit::synthesize`); `quotient` covers the advice columns' inverse FFTs, the evaluation
//! of h(X) on the extended domain and the commitments to its pieces. For batches (two phases)
//! the second phase's synthesis is inside `advice`.
use std::io;
use std::time::Instant;

use halo2_proofs::{
    arithmetic::CurveAffine,
    halo2curves::bn256::Fr,
    plonk::{Any, ProvingKey},
    transcript::{EncodedChallenge, Transcript, TranscriptWrite},
};
use halo2_proofs::halo2curves::bn256::G1Affine;
use serde::Serialize;

/// One call of the prover into its transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Event {
    Squeeze,
    CommonPoint,
    CommonScalar,
    WritePoint,
    WriteScalar,
}

/// A transcript that records the time of every call, then forwards it.
pub struct Timed<T> {
    pub inner: T,
    start: Instant,
    pub events: Vec<(f64, Event)>,
}

impl<T> Timed<T> {
    /// Wraps `inner`; times are seconds since this call.
    pub fn new(inner: T) -> Self {
        Timed { inner, start: Instant::now(), events: Vec::new() }
    }

    fn mark(&mut self, e: Event) {
        self.events.push((self.start.elapsed().as_secs_f64(), e));
    }

    /// Seconds since [`Timed::new`].
    pub fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// The wrapped transcript, the recorded calls and the seconds since [`Timed::new`].
    pub fn finish(self) -> (T, Vec<(f64, Event)>, f64) {
        let end = self.now();
        (self.inner, self.events, end)
    }
}

impl<C: CurveAffine, E: EncodedChallenge<C>, T: Transcript<C, E>> Transcript<C, E> for Timed<T> {
    fn squeeze_challenge(&mut self) -> E {
        let c = self.inner.squeeze_challenge();
        self.mark(Event::Squeeze);
        c
    }
    fn common_point(&mut self, point: C) -> io::Result<()> {
        self.mark(Event::CommonPoint);
        self.inner.common_point(point)
    }
    fn common_scalar(&mut self, scalar: C::Scalar) -> io::Result<()> {
        self.mark(Event::CommonScalar);
        self.inner.common_scalar(scalar)
    }
}

impl<C: CurveAffine, E: EncodedChallenge<C>, T: TranscriptWrite<C, E>> TranscriptWrite<C, E> for Timed<T> {
    fn write_point(&mut self, point: C) -> io::Result<()> {
        self.mark(Event::WritePoint);
        self.inner.write_point(point)
    }
    fn write_scalar(&mut self, scalar: C::Scalar) -> io::Result<()> {
        self.mark(Event::WriteScalar);
        self.inner.write_scalar(scalar)
    }
}

/// The facts of a constraint system that drive the prover's cost.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CircuitFacts {
    pub k: u32,
    /// `log2` of the extended domain the quotient is evaluated on.
    pub extended_k: u32,
    /// Maximum constraint degree (gates, lookups and the permutation argument).
    pub degree: usize,
    /// Maximum degree over the custom gates alone.
    pub gate_degree: usize,
    /// Maximum degree of a lookup argument (`2 + input degree + table degree`, at least 4).
    pub lookup_degree: usize,
    pub advice_columns: usize,
    /// Fixed columns after keygen, selectors included (compressed into fixed columns).
    pub fixed_columns: usize,
    pub instance_columns: usize,
    /// Columns in the copy (permutation) argument: advice, fixed and instance.
    pub equality_columns: usize,
    /// Grand products of the permutation argument (`ceil(equality / (degree - 2))`).
    pub permutation_chunks: usize,
    pub lookup_arguments: usize,
    /// Pieces of the quotient polynomial (`degree - 1`), one commitment each.
    pub quotient_pieces: usize,
    pub challenges: usize,
    pub gates: usize,
}

impl CircuitFacts {
    /// Reads the facts off a proving key.
    pub fn of(pk: &ProvingKey<G1Affine>) -> Self {
        let vk = pk.get_vk();
        let cs = vk.cs();
        let domain = vk.get_domain();
        let degree = cs.degree();
        let equality = cs.permutation().get_columns();
        let lookup_degree = cs
            .lookups()
            .iter()
            .map(|l| {
                let d = |es: &Vec<halo2_proofs::plonk::Expression<Fr>>| es.iter().map(|e| e.degree()).max().unwrap_or(1).max(1);
                (2 + d(l.input_expressions()) + d(l.table_expressions())).max(4)
            })
            .max()
            .unwrap_or(0);
        let gate_degree = cs.gates().iter().flat_map(|g| g.polynomials().iter().map(|p| p.degree())).max().unwrap_or(0);
        let chunk = degree.saturating_sub(2).max(1);
        CircuitFacts {
            k: domain.k(),
            extended_k: domain.extended_k(),
            degree,
            gate_degree,
            lookup_degree,
            advice_columns: cs.num_advice_columns(),
            fixed_columns: cs.num_fixed_columns(),
            instance_columns: cs.num_instance_columns(),
            equality_columns: equality.len(),
            permutation_chunks: equality.len().div_ceil(chunk),
            lookup_arguments: cs.lookups().len(),
            quotient_pieces: degree.saturating_sub(1),
            challenges: cs.num_challenges(),
            gates: cs.gates().len(),
        }
    }

    /// Equality-enabled columns of each kind: `(advice, fixed, instance)`.
    pub fn equality_kinds(pk: &ProvingKey<G1Affine>) -> (usize, usize, usize) {
        let cols = pk.get_vk().cs().permutation().get_columns();
        let of = |k: fn(&Any) -> bool| cols.iter().filter(|c| k(c.column_type())).count();
        (of(|a| matches!(a, Any::Advice(_))), of(|a| matches!(a, Any::Fixed)), of(|a| matches!(a, Any::Instance)))
    }
}

/// One measured phase of `create_proof`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Phase {
    pub name: &'static str,
    pub seconds: f64,
}

/// The phases of one `create_proof` call (in order; they add up to its duration).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProveProfile {
    pub phases: Vec<Phase>,
    /// Seconds of the whole `create_proof` call (and finalizing the transcript).
    pub total: f64,
    pub facts: CircuitFacts,
}

/// Phase names, in the order [`phases`] reports them.
pub const PHASES: [&str; 10] = [
    "witness",
    "advice",
    "lookup_permuted",
    "permutation",
    "lookup_product",
    "vanishing_random",
    "quotient",
    "evaluations",
    "opening",
    "finalize",
];

/// Splits the recorded `events` of one `create_proof` (returning at `end` seconds, its
/// transcript finalized at `total`) into the [`PHASES`]. `None` when the sequence does not have the shape halo2's prover gives it (then
/// nothing is reported rather than something wrong).
pub fn phases(events: &[(f64, Event)], end: f64, total: f64, facts: &CircuitFacts) -> Option<Vec<Phase>> {
    let squeezes: Vec<usize> = events.iter().enumerate().filter(|(_, e)| e.1 == Event::Squeeze).map(|(i, _)| i).collect();
    let c = facts.challenges;
    let (theta, beta, gamma, y, x) = (
        *squeezes.get(c)?,
        *squeezes.get(c + 1)?,
        *squeezes.get(c + 2)?,
        *squeezes.get(c + 3)?,
        *squeezes.get(c + 4)?,
    );
    let opening = squeezes.get(c + 5).copied();
    let t = |i: usize| events.get(i).map(|e| e.0);
    // The key's digest is the first call; the instance is absorbed once synthesis is done.
    let instance = events.iter().enumerate().skip(1).find(|(_, e)| matches!(e.1, Event::CommonScalar | Event::CommonPoint))?.0;
    let last_advice = (0..theta).rev().find(|&i| events[i].1 == Event::WritePoint)?;
    // Between gamma and y: permutation products, lookup products, the random commitment.
    let points: Vec<usize> = (gamma + 1..y).filter(|&i| events[i].1 == Event::WritePoint).collect();
    let l = facts.lookup_arguments;
    if points.len() < l + 1 {
        return None;
    }
    let perm_points = points.len() - l - 1;
    let perm_end = match perm_points {
        0 => t(gamma)?,
        n => t(points[n - 1])?,
    };
    let lookup_end = match l {
        0 => perm_end,
        _ => t(points[perm_points + l - 1])?,
    };
    let open_start = opening.and_then(t).unwrap_or(end);
    let bounds = [
        t(instance)?,
        t(last_advice)?,
        t(beta)?,
        perm_end,
        lookup_end,
        t(y)?,
        t(x)?,
        open_start,
        end,
        total,
    ];
    let mut out = Vec::with_capacity(PHASES.len());
    let mut prev = 0.0;
    for (name, b) in PHASES.iter().zip(bounds) {
        out.push(Phase { name, seconds: (b - prev).max(0.0) });
        prev = b;
    }
    Some(out)
}

impl ProveProfile {
    /// The profile of one call from its recorded events: `end` is when `create_proof`
    /// returned, `total` when the transcript was finalized.
    pub fn from_events(events: &[(f64, Event)], end: f64, total: f64, facts: CircuitFacts) -> Self {
        let phases = phases(events, end, total, &facts).unwrap_or_default();
        ProveProfile { phases, total, facts }
    }

    /// Seconds of a phase (0 when absent).
    pub fn get(&self, name: &str) -> f64 {
        self.phases.iter().find(|p| p.name == name).map(|p| p.seconds).unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(challenges: usize, lookups: usize) -> CircuitFacts {
        CircuitFacts { challenges, lookup_arguments: lookups, ..CircuitFacts::default() }
    }

    /// A single-phase sequence with 2 lookups and 3 permutation chunks is split at the right
    /// calls, and the phases add up to the whole call.
    #[test]
    fn phases_follow_the_transcript() {
        use Event::*;
        let seq = [
            (0.1, CommonScalar), // key digest
            (1.0, CommonScalar), // instance: synthesis took 0.9
            (1.1, CommonScalar),
            (2.0, WritePoint), // advice
            (2.5, WritePoint),
            (2.6, Squeeze), // theta
            (3.0, WritePoint), (3.0, WritePoint), (3.5, WritePoint), (3.5, WritePoint), // permuted
            (3.6, Squeeze), // beta
            (3.6, Squeeze), // gamma
            (4.0, WritePoint), (4.1, WritePoint), (4.2, WritePoint), // permutation
            (4.5, WritePoint), (4.8, WritePoint), // lookup products
            (5.0, WritePoint), // random
            (5.0, Squeeze), // y
            (7.0, WritePoint), (7.0, WritePoint), // h pieces
            (7.1, Squeeze), // x
            (7.5, WriteScalar),
            (7.6, Squeeze), // multiopen
            (7.9, WritePoint),
        ];
        let p = phases(&seq, 8.0, 8.25, &facts(0, 2)).unwrap();
        let get = |n: &str| p.iter().find(|x| x.name == n).unwrap().seconds;
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(get("witness"), 1.0));
        assert!(close(get("advice"), 1.5));
        assert!(close(get("lookup_permuted"), 1.1));
        assert!(close(get("permutation"), 0.6));
        assert!(close(get("lookup_product"), 0.6));
        assert!(close(get("vanishing_random"), 0.2));
        assert!(close(get("quotient"), 2.1));
        assert!(close(get("evaluations"), 0.5));
        assert!(close(get("opening"), 0.4));
        assert!(close(get("finalize"), 0.25));
        let sum: f64 = p.iter().map(|x| x.seconds).sum();
        assert!(close(sum, 8.25));
        // Too few squeezes (not halo2's shape): nothing rather than something wrong.
        assert!(phases(&seq[..8], 8.0, 8.0, &facts(0, 2)).is_none());
    }
}
