//! The steps behind `zkinfer setup | prove | verify`, shared by the CLI and the tests.
//!
//! A proof directory holds `settings.json` (what was compiled, with which settings, and the
//! circuit size), `vk.bin` (the verifying key with its header), `pk.bin` (the proving key) and
//! `proof.json`. `prove` reuses the keys when `settings.json` names the same model hash and
//! settings, and runs setup otherwise.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use halo2_proofs::{halo2curves::bn256::G1Affine, poly::ipa::commitment::ParamsIPA};
use zkinfer_circuits::{ir::CircuitModel, CircuitParams, CircuitSpec, CompileOptions, ModelCircuit};
use zkinfer_models::{data::Dataset, Graph, QuantConfig, QuantModel};
use zkinfer_prover::{Backend, Keys, ParamsCache, ProverError};
use zkinfer_verifier::{ProofFile, PublicTensor, VkFile, VkHeader, FORMAT_VERSION};

use crate::report::Timings;

/// Errors of the pipeline: every lower-level error, plus file problems with their path.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Model(#[from] zkinfer_models::ModelError),
    #[error(transparent)]
    Circuit(#[from] zkinfer_circuits::CircuitError),
    #[error(transparent)]
    Prover(#[from] ProverError),
    #[error(transparent)]
    Verify(#[from] zkinfer_verifier::VerifyError),
    #[error("cannot {action} {path}: {reason}")]
    File { action: &'static str, path: PathBuf, reason: String },
    #[error("{0}")]
    Usage(String),
}

pub type Result<T> = std::result::Result<T, PipelineError>;

fn file_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> PipelineError + 'a {
    move |e| PipelineError::File { action, path: path.to_path_buf(), reason: e.to_string() }
}

/// Settings that decide the compiled circuit (all of them end up in `settings.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub quant: QuantConfig,
    pub circuit: CircuitParams,
    pub backend: Backend,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { quant: QuantConfig::default(), circuit: CircuitParams::default(), backend: Backend::Ipa }
    }
}

/// A model loaded, calibrated, quantized and lowered to the circuit IR.
pub struct Prepared {
    pub graph: Graph,
    pub quant: QuantModel,
    pub circuit: Arc<CircuitModel>,
    pub hash: [u8; 32],
    pub calibration: PathBuf,
}

/// The calibration file: the given one, else `calibration.json` beside the model, else
/// `fallback` (the input or data set itself).
pub fn calibration_path(model: &Path, given: Option<&Path>, fallback: &Path) -> PathBuf {
    if let Some(g) = given {
        return g.to_path_buf();
    }
    let beside = model.parent().unwrap_or(Path::new(".")).join("calibration.json");
    if beside.is_file() {
        beside
    } else {
        fallback.to_path_buf()
    }
}

pub fn prepare(model: &Path, calibration: &Path, quant: &QuantConfig) -> Result<Prepared> {
    let data = Dataset::load(calibration)?;
    let (graph, qm) = zkinfer_models::load_and_quantize(model, &data, quant)?;
    let circuit = Arc::new(zkinfer_prover::lower(&qm));
    Ok(Prepared { hash: qm.hash(), graph, quant: qm, circuit, calibration: calibration.to_path_buf() })
}

/// `settings.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SettingsFile {
    pub format: u32,
    pub model_hash: String,
    pub settings: Settings,
    pub k: u32,
    pub rows: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookups: usize,
    pub calibration: PathBuf,
}

/// What `setup` produced.
pub struct SetupOutput {
    pub spec: CircuitSpec,
    pub params: ParamsIPA<G1Affine>,
    pub keys: Keys,
    pub vk: VkFile,
    pub reused: bool,
}

pub fn compile(p: &Prepared, settings: &Settings) -> Result<CircuitSpec> {
    Ok(CircuitSpec::compile(&p.circuit, &CompileOptions { width: settings.circuit.width })?)
}

fn vk_header(p: &Prepared, settings: &Settings, k: u32) -> VkHeader {
    VkHeader {
        format: FORMAT_VERSION,
        backend: settings.backend,
        k,
        model_hash: hex::encode(p.hash),
        circuit: settings.circuit,
        bits: p.quant.config.bits,
        input_shape: p.quant.input_shape.clone(),
        input_scale: p.quant.input_scale,
        output_shape: p.quant.output_shape().to_vec(),
        output_scale: p.quant.output_scale(),
    }
}

fn read_settings(dir: &Path) -> Option<SettingsFile> {
    let text = std::fs::read_to_string(dir.join("settings.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Compile, fetch params, generate keys and write `settings.json`, `vk.bin`, `pk.bin` in `dir`.
/// With `reuse`, keys already in `dir` for the same model hash and settings are loaded instead.
pub fn setup(
    p: &Prepared,
    settings: &Settings,
    dir: &Path,
    cache: &ParamsCache,
    reuse: bool,
    t: &mut Timings,
    progress: &dyn Fn(&str),
) -> Result<SetupOutput> {
    if settings.backend != Backend::Ipa {
        return Err(ProverError::BackendUnavailable(settings.backend).into());
    }
    let spec = t.time("compile", || compile(p, settings))?;
    std::fs::create_dir_all(dir).map_err(file_err("create", dir))?;
    let hash = hex::encode(p.hash);
    let header = vk_header(p, settings, spec.k);
    progress(if cache.has_ipa(spec.k) { "loading IPA parameters" } else { "generating IPA parameters (cached for next time)" });
    let params = t.time("params", || cache.ipa(spec.k))?;
    if reuse {
        if let Some(s) = read_settings(dir) {
            if s.model_hash == hash && s.settings == *settings && s.k == spec.k {
                progress("loading proving key");
                let pk = t.time("load_keys", || zkinfer_prover::read_pk(&dir.join("pk.bin"), settings.circuit));
                let vk_file = std::fs::read(dir.join("vk.bin")).ok().and_then(|b| VkFile::from_bytes(&b).ok());
                if let (Ok(keys), Some(vk)) = (pk, vk_file) {
                    if vk.header == header && vk.key == keys.vk_bytes() {
                        return Ok(SetupOutput { spec, params, keys, vk, reused: true });
                    }
                }
            }
        }
    }
    progress("generating keys");
    let circuit = ModelCircuit::for_keygen(p.circuit.clone(), settings.circuit, p.hash)?;
    let keys = t.time("keygen", || zkinfer_prover::keygen(&params, &circuit))?;
    let vk = VkFile { header, key: keys.vk_bytes() };
    zkinfer_prover::write_pk(&keys, &dir.join("pk.bin"))?;
    std::fs::write(dir.join("vk.bin"), vk.to_bytes()).map_err(file_err("write", &dir.join("vk.bin")))?;
    let sf = SettingsFile {
        format: FORMAT_VERSION,
        model_hash: hash,
        settings: settings.clone(),
        k: spec.k,
        rows: spec.rows,
        advice_columns: spec.advice_columns,
        fixed_columns: spec.fixed_columns,
        lookups: spec.lookup_arguments,
        calibration: p.calibration.clone(),
    };
    let path = dir.join("settings.json");
    std::fs::write(&path, serde_json::to_string_pretty(&sf).unwrap_or_default()).map_err(file_err("write", &path))?;
    Ok(SetupOutput { spec, params, keys, vk, reused: false })
}

/// Quantize `input`, run the integer reference, prove, and write `dir/proof.json`.
pub fn prove(
    p: &Prepared,
    settings: &Settings,
    setup: &SetupOutput,
    input: &[f32],
    dir: &Path,
    t: &mut Timings,
    progress: &dyn Fn(&str),
) -> Result<ProofFile> {
    let q_input = p.quant.quantize_input(input)?;
    let trace = t.time("witness", || p.quant.forward(&q_input))?;
    let reference = trace.output().iter().copied().collect::<Vec<i64>>();
    let circuit = ModelCircuit::new(p.circuit.clone(), settings.circuit, p.hash, Some(q_input.clone()))?;
    progress("proving");
    let proved = t.time("prove", || zkinfer_prover::prove(&setup.params, &setup.keys, circuit))?;
    if proved.output != reference {
        return Err(ProverError::ReferenceMismatch { circuit: proved.output, reference }.into());
    }
    let proof = ProofFile {
        format: FORMAT_VERSION,
        backend: settings.backend,
        k: setup.spec.k,
        model_hash: hex::encode(p.hash),
        input: PublicTensor { shape: p.quant.input_shape.clone(), scale: p.quant.input_scale, values: q_input },
        output: PublicTensor {
            shape: p.quant.output_shape().to_vec(),
            scale: p.quant.output_scale(),
            values: proved.output,
        },
        proof: hex::encode(&proved.proof),
    };
    let path = dir.join("proof.json");
    std::fs::write(&path, proof.to_json()).map_err(file_err("write", &path))?;
    Ok(proof)
}

/// Read a proof file and its verifying key (`vk` or `vk.bin` beside the proof) and verify.
pub fn verify_files(
    proof_path: &Path,
    vk_path: Option<&Path>,
    expected_hash: Option<&str>,
    cache: &ParamsCache,
) -> Result<zkinfer_verifier::VerifiedOutput> {
    let text = std::fs::read_to_string(proof_path).map_err(file_err("read", proof_path))?;
    let proof = ProofFile::from_json(&text)?;
    let vk_path = match vk_path {
        Some(v) => v.to_path_buf(),
        None => proof_path.parent().unwrap_or(Path::new(".")).join("vk.bin"),
    };
    let vk_bytes = std::fs::read(&vk_path).map_err(file_err("read", &vk_path))?;
    let vk = VkFile::from_bytes(&vk_bytes)?;
    if vk.header.k > zkinfer_verifier::verify::MAX_K {
        return Err(zkinfer_verifier::VerifyError::Malformed { what: "verifying key", reason: format!("k = {}", vk.header.k) }.into());
    }
    let params = match vk.header.backend {
        Backend::Ipa => zkinfer_verifier::VerifierParams::Ipa(cache.ipa(vk.header.k)?),
        other => return Err(ProverError::BackendUnavailable(other).into()),
    };
    Ok(zkinfer_verifier::verify(&params, &vk, &proof, expected_hash)?)
}
