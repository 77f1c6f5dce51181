//! `setup` and `prove`: keys for a compiled model, and proofs with them.
use std::path::{Path, PathBuf};

use serde::Serialize;
use zkinfer_circuits::Visibility;
use zkinfer_models::data::Dataset;
use zkinfer_prover::{Backend, ParamsCache, SrsFile};

use super::{timings_map, ModelOptions};
use crate::compiled::{CalibrationRecord, CompiledModel, COMPILED_FILE};
use crate::pipeline::{self, PipelineError, Result, SetupOutput};
use crate::report::{peak_memory_bytes, Timings};

/// `zkinfer setup --json`, and with [`ProofSummary`]'s fields `zkinfer prove --json`.
#[derive(Clone, Debug, Serialize)]
pub struct SetupReport {
    /// What proofs carry as the model hash (with hashed weights, the weights commitment).
    pub model_hash: String,
    /// The model identity of the key (what `verify --model-hash` takes).
    pub identity: String,
    pub k: u32,
    pub width: usize,
    pub rows: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookups: usize,
    #[serde(serialize_with = "timings_map")]
    pub timings_s: Timings,
    pub peak_memory_bytes: Option<u64>,
    pub dir: PathBuf,
    pub reused_keys: bool,
    pub reused_compiled: bool,
    pub compiled: PathBuf,
    pub calibration: CalibrationRecord,
    pub default_calibration: bool,
    /// Present for `prove`.
    #[serde(flatten)]
    pub proof: Option<ProofSummary>,
    /// For `prove`: where the proving time went (`zkinfer prove --profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<crate::bench::profile::Profile>,
    /// Inferences per proof.
    #[serde(skip)]
    pub batch: usize,
    /// KZG on the INSECURE fixed-seed test SRS (callers should say so).
    #[serde(skip)]
    pub insecure_srs: bool,
}

/// What `prove` adds to [`SetupReport`]; the proof itself is `dir/proof.json`.
#[derive(Clone, Debug, Serialize)]
pub struct ProofSummary {
    pub proof_bytes: usize,
    /// The output integers (empty unless the output is public), value = integer / 2^scale.
    pub output: Vec<i64>,
    pub output_scale: i32,
    pub output_dequantized: Vec<f64>,
    pub visibility: Visibility,
    pub input_hash: Option<String>,
    pub output_hash: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn report(
    t: Timings,
    s: &SetupOutput,
    c: &CompiledModel,
    identity: String,
    proof: Option<&zkinfer_verifier::ProofFile>,
    compiled_reused: bool,
    out: &Path,
    insecure_srs: bool,
) -> SetupReport {
    let spec = &s.spec;
    SetupReport {
        model_hash: proof.map(|p| p.model_hash.clone()).unwrap_or_else(|| c.public_hash.clone()),
        identity,
        k: spec.k,
        width: spec.params.width,
        rows: spec.rows,
        advice_columns: spec.advice_columns,
        fixed_columns: spec.fixed_columns,
        lookups: spec.lookup_arguments,
        timings_s: t,
        peak_memory_bytes: peak_memory_bytes(),
        dir: out.to_path_buf(),
        reused_keys: s.reused,
        reused_compiled: compiled_reused,
        compiled: out.join(COMPILED_FILE),
        default_calibration: c.calibration.calibration.is_range(),
        calibration: c.calibration.clone(),
        proof: proof.map(|p| ProofSummary {
            proof_bytes: p.proof.len() / 2,
            output: p.output.values.clone(),
            output_scale: p.output.scale,
            output_dequantized: p.output.dequantize(),
            visibility: p.visibility,
            input_hash: p.input_hash.clone(),
            output_hash: p.output_hash.clone(),
        }),
        profile: None,
        batch: spec.params.batch,
        insecure_srs,
    }
}

/// Compile the model into `out` and generate parameters and keys there (always fresh keys).
pub fn setup(m: &ModelOptions, out: &Path, progress: &dyn Fn(&str)) -> Result<SetupReport> {
    let mut t = Timings::default();
    let (c, p, _) = t.time("load", || m.compile_into(out))?;
    let insecure = m.check_backend(c.settings.backend)?;
    let s = pipeline::setup(&p, &c.settings, out, &m.cache(), false, &mut t, progress)?;
    let identity = pipeline::identity_of_setup(&p, &c.settings, &s)?;
    Ok(report(t, &s, &c, identity.to_string(), None, false, out, insecure))
}

/// Keys for the compiled model `compiled` in `dir` (KZG: with the SRS `srs`), generated unless
/// `dir` already holds them: what `create-evm-verifier --compiled` runs first.
pub fn ensure_keys(compiled: &Path, dir: &Path, srs: Option<&Path>, progress: &dyn Fn(&str)) -> Result<()> {
    let c = CompiledModel::read(compiled)?;
    let p = c.prepared()?;
    if CompiledModel::read(dir).map(|d| d != c).unwrap_or(true) {
        c.write(dir)?;
    }
    let mut cache = ParamsCache::default();
    if let Some(path) = srs {
        cache = cache.with_srs(SrsFile { path: path.to_path_buf(), sha256: None });
    }
    pipeline::setup(&p, &c.settings, dir, &cache, true, &mut Timings::default(), progress)?;
    Ok(())
}

/// Prove the samples of `data` (named `what` in messages: the input file) with the model,
/// writing `out/proof.json`; compiles into `out` and runs setup there unless `out` already
/// holds the compiled model and keys. `data` holds one list per sample, or EZKL's flat
/// `N x input size` list; the batch size is taken from it unless `m.batch` fixes it (or
/// `m.compiled` does, for a compiled model).
/// With `profile`, the report carries where the proving time went ([`SetupReport::profile`]).
pub fn prove(m: &ModelOptions, data: &Dataset, what: &str, out: &Path, profile: bool, progress: &dyn Fn(&str)) -> Result<SetupReport> {
    let started = std::time::Instant::now();
    let mut t = Timings::default();
    let (mut c, mut p, mut compiled_reused) = t.time("load", || m.compile_into(out))?;
    let samples = pipeline::batch_samples(data, &p.quant.input_shape)
        .map_err(|e| PipelineError::Input { what: what.to_string(), error: Box::new(e) })?;
    if let Some(n) = m.batch.filter(|&n| n != samples.len()) {
        return Err(PipelineError::Usage(format!(
            "{what}: {} samples, but --batch {n} (one list per sample, or one list of {n} x {} values)",
            samples.len(),
            p.quant.input_shape.iter().product::<usize>()
        )));
    }
    if c.settings.circuit.batch != samples.len() {
        if m.compiled.is_some() {
            return Err(PipelineError::Usage(format!(
                "{what}: {} samples, but the compiled model proves batches of {} (compile it with --batch {})",
                samples.len(),
                c.settings.circuit.batch,
                samples.len()
            )));
        }
        // The batch size is part of the compiled settings: compile for this input's N.
        let with_batch = ModelOptions { batch: Some(samples.len()), ..m.clone() };
        (c, p, compiled_reused) = t.time("load", || with_batch.compile_into(out))?;
    }
    let insecure = m.check_backend(c.settings.backend)?;
    let s = pipeline::setup(&p, &c.settings, out, &m.cache(), true, &mut t, progress)?;
    let proof = pipeline::prove_batch(&p, &c.settings, &s, &samples, out, &mut t, progress)?;
    let identity = t.time("identity", || pipeline::identity_of_setup(&p, &c.settings, &s))?;
    let profile = profile.then(|| {
        let facts = zkinfer_prover::CircuitFacts::of(&s.keys.pk);
        let equality = zkinfer_prover::CircuitFacts::equality_kinds(&s.keys.pk);
        crate::bench::profile::from_timings(&t, started.elapsed().as_secs_f64(), facts, equality, &s.spec)
    });
    let mut r = report(t, &s, &c, identity.to_string(), Some(&proof), compiled_reused, out, insecure && c.settings.backend == Backend::Kzg);
    r.profile = profile;
    Ok(r)
}
