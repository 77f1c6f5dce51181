//! `verify`, `commit` and `reveal-check`: checking proofs, and publishing a model's identity.
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use zkinfer_circuits::{Visibility, WeightVisibility};
use zkinfer_prover::{Backend, ParamsCache};
use zkinfer_verifier::{ModelIdentity, VerifyOptions};

use super::ModelOptions;
use crate::pipeline::{self, PipelineError, Result, Settings};
use crate::report::Timings;

/// What ties an accepted proof to a model the caller trusts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Trust {
    /// The key's identity equals the expected one.
    #[serde(rename = "identity")]
    Identity,
    /// The caller named the verifying key.
    #[serde(rename = "pinned key")]
    PinnedKey,
    /// Nothing: the proof verifies with the key beside it, which may be anyone's.
    #[serde(rename = "none")]
    Nothing,
}

/// `zkinfer verify --json`. Only accepted proofs give a report: a rejection is an error.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub verified: bool,
    pub identity: String,
    pub identity_checked: bool,
    pub trusted: Trust,
    pub model_hash: String,
    pub output: Vec<i64>,
    pub output_scale: i32,
    pub output_dequantized: Vec<f64>,
    pub verify_s: f64,
    pub visibility: Visibility,
    pub input_hash: Option<String>,
    pub output_hash: Option<String>,
    /// Inferences in the proof; `outputs_dequantized` has one list per inference.
    pub batch: usize,
    pub outputs_dequantized: Vec<Vec<f64>>,
}

/// Verify the proof file `proof` with `vk` (default: `vk.bin` beside it), requiring the model
/// identity `expected_identity` when given. Parameters come from `cache` only.
pub fn verify(
    proof: &Path,
    vk: Option<&Path>,
    expected_identity: Option<&str>,
    allow_insecure_srs: bool,
    cache: &ParamsCache,
) -> Result<VerifyReport> {
    let t = Instant::now();
    let opts = VerifyOptions { expected_identity, allow_insecure_srs };
    let v = pipeline::verify_files(proof, vk, &opts, cache)?;
    let secs = t.elapsed().as_secs_f64();
    // A batch proof's output holds its N samples one after the other (the key says N).
    let n = pipeline::read_vk_file(&pipeline::vk_path_for(proof, vk)).map_or(1, |k| k.header.circuit.batch.max(1));
    let per_sample: Vec<Vec<f64>> = match v.output_values.len() / n {
        0 => vec![],
        len => v.output_values.chunks(len).map(<[f64]>::to_vec).collect(),
    };
    let trusted = match (v.identity_checked, vk.is_some()) {
        (true, _) => Trust::Identity,
        (false, true) => Trust::PinnedKey,
        (false, false) => Trust::Nothing,
    };
    Ok(VerifyReport {
        verified: true,
        identity: v.identity.to_string(),
        identity_checked: v.identity_checked,
        trusted,
        model_hash: v.model_hash,
        output: v.output.values,
        output_scale: v.output.scale,
        output_dequantized: v.output_values,
        verify_s: secs,
        visibility: v.visibility,
        input_hash: v.input_hash,
        output_hash: v.output_hash,
        batch: n,
        outputs_dequantized: per_sample,
    })
}

/// `zkinfer commit --json`.
#[derive(Clone, Debug, Serialize)]
pub struct CommitReport {
    pub identity: String,
    pub model_hash: String,
    pub architecture: String,
    pub weights: WeightVisibility,
    pub backend: Backend,
    pub k: u32,
    pub width: usize,
    /// The `commitment.json` written.
    pub stored: PathBuf,
    #[serde(skip)]
    pub insecure_srs: bool,
}

/// The options `commit` and `reveal-check` use: hashed weights (the delayed-publication case)
/// unless `weights` says otherwise; a compiled model's settings as they are.
fn commit_options(m: &ModelOptions) -> ModelOptions {
    let mut args = m.clone();
    if m.compiled.is_none() {
        args.weights = Some(m.weights.unwrap_or(WeightVisibility::Hashed));
    }
    args
}

fn commitment(m: &ModelOptions) -> Result<(pipeline::CommitmentFile, Settings, bool)> {
    let (c, p) = commit_options(m).compiled()?;
    let insecure = m.check_backend(c.settings.backend)?;
    let record = pipeline::commit(&p, &c.settings, &m.cache(), &mut Timings::default())?;
    Ok((record, c.settings, insecure))
}

/// The model's identity (keys generated in a temporary directory), stored in `out`
/// (`commitment.json`).
pub fn commit(m: &ModelOptions, out: &Path) -> Result<CommitReport> {
    let (c, settings, insecure) = commitment(m)?;
    let text = serde_json::to_string_pretty(&c).map_err(|e| PipelineError::Usage(e.to_string()))?;
    std::fs::write(out, &text)
        .map_err(|e| PipelineError::File { action: "write", path: out.to_path_buf(), reason: e.to_string() })?;
    Ok(CommitReport {
        identity: c.identity,
        model_hash: c.model_hash,
        architecture: c.architecture,
        weights: settings.circuit.visibility.weights,
        backend: settings.backend,
        k: c.k,
        width: settings.circuit.width,
        stored: out.to_path_buf(),
        insecure_srs: insecure,
    })
}

/// `zkinfer reveal-check --json` (the command's exit code is 0 only when `matches`).
#[derive(Clone, Debug, Serialize)]
pub struct RevealCheckReport {
    #[serde(rename = "match")]
    pub matches: bool,
    pub identity: String,
    pub expected: String,
    /// False when `expected` was a bare commitment: only the weights were compared.
    pub key_checked: bool,
    /// One line naming the model and the settings its identity depends on.
    #[serde(skip)]
    pub described: String,
}

/// Recompute the revealed model's identity (its weights commitment and the digest of the key
/// its public architecture produces, keygen from scratch) and compare it with `expected`.
pub fn reveal_check(m: &ModelOptions, expected: &str) -> Result<RevealCheckReport> {
    let (c, settings, _) = commitment(m)?;
    let got = ModelIdentity::parse(&c.identity)?;
    let want = ModelIdentity::parse(expected)?;
    // A bare commitment (no key digest) checks the weights only: say so.
    let commitment_only = want.weights.is_none() && got.weights.as_deref() == Some(want.key_hex().as_str());
    let described = format!(
        "{} ({} weights, bits {}, weight bits {}, width {}, {} backend, calibration {})",
        m.name(),
        settings.circuit.visibility.weights,
        settings.quant.bits,
        settings.quant.weight_bits,
        settings.circuit.width,
        settings.backend,
        c.calibration
    );
    Ok(RevealCheckReport {
        matches: want == got || commitment_only,
        identity: c.identity,
        expected: expected.trim().to_string(),
        key_checked: !commitment_only,
        described,
    })
}
