//! Key generation, proving and verification of one model, timed over several runs, through
//! the same pipeline functions the CLI uses.
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use zkinfer_prover::ParamsCache;
use zkinfer_verifier::{ProofFile, VerifierParams};

use super::native::median;
use crate::pipeline::{self, PipelineError, Prepared, SetupOutput, Settings};
use crate::report::Timings;

/// Times of each run (seconds) and their medians.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Runs {
    pub runs: Vec<f64>,
    pub median: f64,
}

impl Runs {
    fn push(&mut self, s: f64) {
        self.runs.push(s);
        self.median = median(&mut self.runs.clone());
    }
}

/// What proving one model costs.
#[derive(Clone, Debug, Serialize)]
pub struct ProofCost {
    pub k: u32,
    /// Multiply-accumulates per dot-product row.
    pub width: usize,
    pub rows: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookup_arguments: usize,
    /// Loading (or, the first time, generating and caching) the parameters.
    pub params_s: f64,
    pub keygen: Runs,
    /// Integer reference forward pass (the witness) inside `prove`.
    pub witness: Runs,
    pub prove: Runs,
    pub verify: Runs,
    pub proof_bytes: usize,
    /// Every step of the prove runs (`witness`, `circuit`, `prove`, `prove/<phase>`, `write`):
    /// its runs and median (see [`super::profile`]).
    pub steps: Vec<(String, Runs)>,
    /// The whole `pipeline::prove` call, the span `steps` lie in.
    pub prove_call: Runs,
    /// The profile of the median step times (see [`super::profile`]).
    pub profile: super::profile::Profile,
}

impl ProofCost {
    /// The medians of [`ProofCost::steps`] as timings.
    pub fn median_steps(&self) -> Timings {
        Timings(self.steps.iter().map(|(n, r)| (n.clone(), r.median)).collect())
    }
}

/// A scratch directory for keys, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch() -> Scratch {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    Scratch(std::env::temp_dir().join(format!("zkinfer-bench-{}-{n}", std::process::id())))
}

/// A model set up once (keys in a scratch directory), ready to be proved and verified again
/// and again: what the criterion benches time.
pub struct Harness<'a> {
    pub prepared: &'a Prepared,
    pub settings: Settings,
    pub cache: ParamsCache,
    pub setup: SetupOutput,
    /// The step timings of the setup in [`Harness::new`] (`compile`, `params`, `keygen`).
    pub setup_timings: Timings,
    params: VerifierParams,
    /// The identity of the key (benchmarks verify against it, as a real verifier would).
    identity: String,
    dir: Scratch,
}

impl<'a> Harness<'a> {
    /// Compile, load (or generate and cache) the parameters, and generate the keys.
    pub fn new(p: &'a Prepared, settings: &Settings, cache: &ParamsCache) -> Result<Self, PipelineError> {
        let dir = scratch();
        let mut setup_timings = Timings::default();
        let setup = pipeline::setup(p, settings, &dir.0, cache, false, &mut setup_timings, &|_| {})?;
        let params = pipeline::verifier_params(&setup.vk, cache)?;
        let identity = pipeline::identity_of_setup(p, settings, &setup)?.to_string();
        Ok(Harness { prepared: p, settings: settings.clone(), cache: cache.clone(), setup, setup_timings, params, identity, dir })
    }
    /// Generate the keys again; returns the step timings (`compile`, `params`, `keygen`).
    pub fn keygen(&mut self) -> Result<Timings, PipelineError> {
        let mut t = Timings::default();
        let s = pipeline::setup(self.prepared, &self.settings, &self.dir.0, &self.cache, false, &mut t, &|_| {})?;
        self.setup = s;
        Ok(t)
    }
    /// Prove one input; returns the proof and the step timings (`witness`, `prove`).
    pub fn prove(&self, input: &[f32]) -> Result<(ProofFile, Timings), PipelineError> {
        let mut t = Timings::default();
        let proof = pipeline::prove(self.prepared, &self.settings, &self.setup, input, &self.dir.0, &mut t, &|_| {})?;
        Ok((proof, t))
    }
    /// Prove a batch (as many inputs as the settings' batch size) in one proof.
    pub fn prove_batch(&self, inputs: &[Vec<f32>]) -> Result<(ProofFile, Timings), PipelineError> {
        let mut t = Timings::default();
        let proof = pipeline::prove_batch(self.prepared, &self.settings, &self.setup, inputs, &self.dir.0, &mut t, &|_| {})?;
        Ok((proof, t))
    }
    /// Verify a proof against the keys and their model identity (benchmarks run KZG on the
    /// insecure test SRS, so it is allowed here).
    pub fn verify(&self, proof: &ProofFile) -> Result<(), PipelineError> {
        let opts = zkinfer_verifier::VerifyOptions { expected_identity: Some(&self.identity), allow_insecure_srs: true };
        zkinfer_verifier::verify_with(&self.params, &self.setup.vk, proof, &opts)?;
        Ok(())
    }
}

/// Keygen `runs` times, then prove and verify `input` `runs` times each.
pub fn measure(p: &Prepared, settings: &Settings, cache: &ParamsCache, input: &[f32], runs: usize) -> Result<ProofCost, PipelineError> {
    let mut h = Harness::new(p, settings, cache)?;
    let mut keygen = Runs::default();
    let mut params_s = 0.0;
    for _ in 0..runs.max(1) {
        let t = h.keygen()?;
        keygen.push(t.get("keygen").unwrap_or(0.0));
        params_s = t.get("params").unwrap_or(0.0);
    }
    let (mut witness, mut prove, mut verify) = (Runs::default(), Runs::default(), Runs::default());
    let (mut steps, mut prove_call): (Vec<(String, Runs)>, Runs) = (Vec::new(), Runs::default());
    let mut proof_bytes = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let (proof, t) = h.prove(input)?;
        prove_call.push(start.elapsed().as_secs_f64());
        witness.push(t.get("witness").unwrap_or(0.0));
        prove.push(t.get("prove").unwrap_or(0.0));
        for (name, s) in &t.0 {
            match steps.iter_mut().find(|(n, _)| n == name) {
                Some((_, r)) => r.push(*s),
                None => {
                    let mut r = Runs::default();
                    r.push(*s);
                    steps.push((name.clone(), r));
                }
            }
        }
        proof_bytes = proof.proof.len() / 2;
        let start = Instant::now();
        h.verify(&proof)?;
        verify.push(start.elapsed().as_secs_f64());
    }
    let spec = &h.setup.spec;
    let pk = &h.setup.keys.pk;
    let medians = Timings(steps.iter().map(|(n, r)| (n.clone(), r.median)).collect());
    let profile = super::profile::from_timings(
        &medians,
        prove_call.median,
        zkinfer_prover::CircuitFacts::of(pk),
        zkinfer_prover::CircuitFacts::equality_kinds(pk),
        spec,
    );
    Ok(ProofCost {
        k: spec.k,
        width: spec.params.width,
        rows: spec.rows,
        advice_columns: spec.advice_columns,
        fixed_columns: spec.fixed_columns,
        lookup_arguments: spec.lookup_arguments,
        params_s,
        keygen,
        witness,
        prove,
        verify,
        proof_bytes,
        steps,
        prove_call,
        profile,
    })
}
