//! The profile `zkinfer prove --profile` and `zkinfer bench --profile` print: where the time
//! of one prove goes, step by step, with the circuit facts that drive each step.
//!
//! Our own steps (loading, compiling, parameters, keys, the integer witness, writing) are timed
//! by [`Timings`]; the phases inside halo2's `create_proof` come from its transcript calls
//! ([`zkinfer_prover::profile`]), so every row is measured. Whatever the rows do not cover is
//! reported as `unaccounted`, never spread over the others.
use serde::Serialize;
use zkinfer_circuits::CircuitSpec;
use zkinfer_prover::profile::{CircuitFacts, PHASES};

use crate::report::Timings;

/// One step of the profile.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// The timing's name (`load`, `prove/advice`, ...).
    pub step: String,
    pub what: &'static str,
    pub seconds: f64,
}

/// The profile of one prove (or the medians of several).
#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    /// Seconds the profiled span took (the prove command, or the prove step of a bench run).
    pub total_s: f64,
    pub steps: Vec<Step>,
    /// `total_s` minus every step.
    pub unaccounted_s: f64,
    pub facts: CircuitFacts,
    /// Equality-enabled columns per kind: advice, fixed, instance.
    pub equality_advice: usize,
    pub equality_fixed: usize,
    pub equality_instance: usize,
    /// Rows of the longer lookup table, and the rows the layout uses.
    pub table_rows: usize,
    pub rows: usize,
    pub width: usize,
}

/// What each named step is.
pub fn describe(step: &str) -> &'static str {
    match step {
        "load" => "read compiled.json, check the source hashes",
        "compile" => "dry run of the layout (rows, k)",
        "params" => "read the parameters / SRS",
        "load_keys" => "read pk.bin (raw bytes) and vk.bin",
        "keygen" => "generate the keys (no reusable keys in DIR)",
        "witness" => "integer reference forward pass",
        "circuit" => "build the circuit: validate, evaluate the witness",
        "prove/witness" => "halo2: allocate columns, synthesize (our layout)",
        "prove/advice" => "halo2: batch-invert and commit every advice column",
        "prove/lookup_permuted" => "halo2: sort and commit permuted lookup columns",
        "prove/permutation" => "halo2: copy-argument grand products and commitments",
        "prove/lookup_product" => "halo2: lookup grand products and commitments",
        "prove/vanishing_random" => "halo2: commit the vanishing argument's random poly",
        "prove/quotient" => "halo2: advice iFFTs, h(X) on the extended domain, commit its pieces",
        "prove/evaluations" => "halo2: evaluate every polynomial at x",
        "prove/opening" => "halo2: SHPLONK / IPA multi-opening",
        "prove/finalize" => "halo2: finalize the transcript",
        "prove" => "prove step outside create_proof (instance, output)",
        "write" => "write proof.json",
        "identity" => "recompute the key's identity (digest of the vk)",
        _ => "",
    }
}

/// The profile from the timings of one prove. `total` is the span the timings lie in; `facts`
/// and `equality` come from the proving key ([`CircuitFacts::of`],
/// [`CircuitFacts::equality_kinds`]).
pub fn from_timings(t: &Timings, total: f64, facts: CircuitFacts, equality: (usize, usize, usize), spec: &CircuitSpec) -> Profile {
    let mut steps = Vec::new();
    let mut push = |name: &str, s: f64| steps.push(Step { step: name.to_string(), what: describe(name), seconds: s });
    for name in ["load", "compile", "params", "load_keys", "keygen", "witness", "circuit"] {
        if let Some(s) = t.get(name) {
            push(name, s);
        }
    }
    let mut inner = 0.0;
    for ph in PHASES {
        let name = format!("prove/{ph}");
        if let Some(s) = t.get(&name) {
            inner += s;
            push(&name, s);
        }
    }
    if let Some(s) = t.get("prove") {
        push("prove", (s - inner).max(0.0));
    }
    for name in ["write", "identity"] {
        if let Some(s) = t.get(name) {
            push(name, s);
        }
    }
    let covered: f64 = steps.iter().map(|s| s.seconds).sum();
    Profile {
        total_s: total,
        unaccounted_s: total - covered,
        steps,
        facts,
        equality_advice: equality.0,
        equality_fixed: equality.1,
        equality_instance: equality.2,
        table_rows: spec.table_rows,
        rows: spec.rows,
        width: spec.params.width,
    }
}

/// The profile as the table `--profile` prints.
pub fn render(p: &Profile) -> String {
    let mut out = String::new();
    let f = &p.facts;
    let share = |s: f64| 100.0 * s / p.total_s.max(1e-12);
    out.push_str(&format!("profile     {:.3} s in all; every row measured\n", p.total_s));
    out.push_str(&format!("  {:<24} {:>9} {:>7}  {}\n", "step", "seconds", "share", "what"));
    for s in &p.steps {
        out.push_str(&format!("  {:<24} {:>9.3} {:>6.1}%  {}\n", s.step, s.seconds, share(s.seconds), s.what));
    }
    out.push_str(&format!(
        "  {:<24} {:>9.3} {:>6.1}%  (accounted for: {:.1}%)\n",
        "unaccounted",
        p.unaccounted_s,
        share(p.unaccounted_s),
        100.0 - share(p.unaccounted_s)
    ));
    out.push_str(&format!(
        "facts       k = {} (extended domain 2^{}), {} rows used, width {}; max degree {} (gates {}, lookups {})\n",
        f.k, f.extended_k, p.rows, p.width, f.degree, f.gate_degree, f.lookup_degree
    ));
    out.push_str(&format!(
        "            columns: {} advice, {} fixed (selectors included), {} instance; {} gates\n",
        f.advice_columns, f.fixed_columns, f.instance_columns, f.gates
    ));
    out.push_str(&format!(
        "            copy argument: {} equality-enabled columns ({} advice, {} fixed, {} instance) in {} grand products of {} columns\n",
        f.equality_columns,
        p.equality_advice,
        p.equality_fixed,
        p.equality_instance,
        f.permutation_chunks,
        f.degree.saturating_sub(2).max(1)
    ));
    out.push_str(&format!(
        "            lookups: {} arguments, longest table {} rows; quotient: {} pieces\n",
        f.lookup_arguments, p.table_rows, f.quotient_pieces
    ));
    out
}
