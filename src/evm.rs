//! The steps behind `zkinfer create-evm-verifier` and `zkinfer verify-evm`.
//!
//! `create-evm-verifier --dir DIR` reads `DIR/vk.bin` (a KZG key), writes the Solidity verifier
//! `DIR/Verifier.sol`, compiles it with solc 0.8.19 (`tools/solc`, the npm package solc-js;
//! optimizer off) into `DIR/Verifier.bin` (creation bytecode, hex, as `solc --bin` prints it)
//! and records `DIR/Verifier.json` (sizes, the key's SHA-256, the compiler version).
//!
//! `verify-evm --proof DIR/proof.json` makes the checks the native verifier makes before the
//! proof system (key header bounds, backend, shapes and ranges of the public values), recomputes
//! the key's model identity (checked against `--model-hash`), refuses the insecure test SRS
//! unless allowed, **regenerates the contract from the key** and requires `Verifier.bin` to be
//! byte for byte that contract (a contract lying beside a proof is not trusted), writes the
//! calldata to `DIR/calldata.bin` (what a transaction to the deployed contract carries), deploys
//! the contract in an in-process EVM (revm) and calls it: accepted or rejected, and the gas.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zkinfer_prover::{Backend, ParamsCache};
use zkinfer_verifier::evm::{self, EvmError, EvmOutcome, InstanceCode, KeyShape};
use zkinfer_verifier::{VerifierParams, VkFile};

use crate::pipeline::{verifier_params, PipelineError, Result};
use crate::report::Timings;

pub const SOL_FILE: &str = "Verifier.sol";
pub const BIN_FILE: &str = "Verifier.bin";
pub const META_FILE: &str = "Verifier.json";
pub const CALLDATA_FILE: &str = "calldata.bin";
/// Version of `Verifier.json`.
pub const META_FORMAT: u32 = 1;

fn file_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> PipelineError + 'a {
    move |e| PipelineError::File { action, path: path.to_path_buf(), reason: e.to_string() }
}

/// `Verifier.json`: what was compiled, from which key, and how big it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifierMeta {
    pub format: u32,
    pub model_hash: String,
    /// The model identity of the key the contract was generated from.
    #[serde(default)]
    pub identity: String,
    /// SHA-256 of the `vk.bin` the contract was generated from.
    pub vk_sha256: String,
    /// Where the key's SRS came from (`insecure-fixed-seed` or `sha256:...`).
    pub srs: String,
    pub solc: String,
    pub source_chars: usize,
    pub deployment_bytes: usize,
    pub runtime_bytes: usize,
    pub shape: KeyShape,
}

/// The `solc` command: `$ZKINFER_SOLC`, else the repository's `tools/solc` (found from the
/// source tree this binary was built from, then from the working directory), else `solc` on
/// `PATH`.
pub fn solc_command() -> PathBuf {
    if let Some(p) = std::env::var_os("ZKINFER_SOLC") {
        return PathBuf::from(p);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools").join("solc");
    if built.is_file() {
        return built;
    }
    let here = Path::new("tools").join("solc");
    if here.is_file() {
        return here;
    }
    PathBuf::from("solc")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn read_vk(path: &Path) -> Result<(VkFile, Vec<u8>)> {
    let bytes = crate::pipeline::read_bounded(path, zkinfer_verifier::artifact::MAX_VK_FILE)?;
    let vk = VkFile::from_bytes(&bytes)?;
    vk.header.check()?;
    Ok((vk, bytes))
}

type Contract = (String, evm::Compiled, KeyShape);

/// Contracts compiled in this process, by the SHA-256 of the key bytes they were made from
/// (generation and solc are deterministic; `verify-evm` regenerates the contract on each run).
fn compiled_contracts() -> &'static std::sync::Mutex<std::collections::HashMap<String, Contract>> {
    static C: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, Contract>>> = std::sync::OnceLock::new();
    C.get_or_init(Default::default)
}

/// The contract zkinfer generates for `vk` (source and compiled code), with its key shape.
fn contract_for(vk: &VkFile, cache: &ParamsCache, t: &mut Timings) -> Result<Contract> {
    let id = sha256_hex(&vk.to_bytes());
    if let Some(c) = compiled_contracts().lock().ok().and_then(|m| m.get(&id).cloned()) {
        return Ok(c);
    }
    let c = generate_contract(vk, cache, t)?;
    if let Ok(mut m) = compiled_contracts().lock() {
        if m.len() < 64 {
            m.insert(id, c.clone());
        }
    }
    Ok(c)
}

fn generate_contract(vk: &VkFile, cache: &ParamsCache, t: &mut Timings) -> Result<Contract> {
    if vk.header.backend != Backend::Kzg {
        return Err(EvmError::NotKzg { what: "verifying key", backend: vk.header.backend }.into());
    }
    let params = match verifier_params(vk, cache)? {
        VerifierParams::Kzg(p) => p,
        VerifierParams::Ipa(_) => return Err(EvmError::NotKzg { what: "verifying key", backend: Backend::Ipa }.into()),
    };
    let key = zkinfer_verifier::read_key(vk)?;
    let public_inputs = vk.header.instance_len();
    let shape = KeyShape::of(&key, public_inputs);
    let source = t.time("generate", || evm::generate_solidity(&params, &key, public_inputs, InstanceCode::Looped))?;
    let compiled = t.time("compile", || evm::compile_solidity(&solc_command(), &source))?;
    Ok((source, compiled, shape))
}

/// Generate and compile the verifier contract for `DIR/vk.bin` (or `vk_path`) into `dir`.
pub fn create_evm_verifier(dir: &Path, vk_path: Option<&Path>, cache: &ParamsCache, t: &mut Timings) -> Result<VerifierMeta> {
    let vk_path = vk_path.map(Path::to_path_buf).unwrap_or_else(|| dir.join("vk.bin"));
    let (vk, vk_bytes) = read_vk(&vk_path)?;
    let (source, compiled, shape) = contract_for(&vk, cache, t)?;
    let h = &vk.header;
    let identity = zkinfer_verifier::key_digest(&vk)?;
    std::fs::create_dir_all(dir).map_err(file_err("create", dir))?;
    let sol = dir.join(SOL_FILE);
    std::fs::write(&sol, &source).map_err(file_err("write", &sol))?;
    let version = evm::solc_version(&solc_command())?;
    // The source stays for inspection; no bytecode is written for a contract no chain takes.
    evm::check_size(compiled.runtime.len(), &shape)?;
    let bin = dir.join(BIN_FILE);
    std::fs::write(&bin, hex::encode(&compiled.deployment)).map_err(file_err("write", &bin))?;
    let meta = VerifierMeta {
        format: META_FORMAT,
        model_hash: h.model_hash.clone(),
        identity: hex::encode(identity),
        vk_sha256: sha256_hex(&vk_bytes),
        srs: h.srs.as_ref().map(|s| s.source.clone()).unwrap_or_default(),
        solc: version,
        source_chars: source.chars().count(),
        deployment_bytes: compiled.deployment.len(),
        runtime_bytes: compiled.runtime.len(),
        shape,
    };
    let path = dir.join(META_FILE);
    std::fs::write(&path, serde_json::to_string_pretty(&meta).unwrap_or_default()).map_err(file_err("write", &path))?;
    Ok(meta)
}

/// What `verify-evm` found.
#[derive(Clone, Debug)]
pub struct EvmRun {
    pub outcome: EvmOutcome,
    pub model_hash: String,
    /// The model identity of the key the contract was generated from (recomputed).
    pub identity: String,
    pub identity_checked: bool,
    pub calldata_path: PathBuf,
    pub calldata_bytes: usize,
    pub deployment_bytes: usize,
    pub proof_bytes: usize,
}

/// Run the verifier contract of a key on a proof file. Files default to those beside the
/// proof: `vk.bin` and `Verifier.bin`, which must be the contract zkinfer generates from that
/// key (it is regenerated and compared); without a `Verifier.bin` the regenerated contract runs.
pub fn verify_evm(
    proof_path: &Path,
    vk_path: Option<&Path>,
    bin_path: Option<&Path>,
    opts: &zkinfer_verifier::VerifyOptions<'_>,
    cache: &ParamsCache,
) -> Result<EvmRun> {
    let dir = proof_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let proof = crate::pipeline::read_proof_file(proof_path)?;
    if proof.backend != Backend::Kzg {
        return Err(EvmError::NotKzg { what: "proof", backend: proof.backend }.into());
    }
    let vk_path = vk_path.map(Path::to_path_buf).unwrap_or_else(|| dir.join("vk.bin"));
    let (vk, _) = read_vk(&vk_path)?;
    // Header bounds, shapes, ranges, hash fields, the insecure SRS, the key and the identity:
    // the same checks and typed errors as `zkinfer verify`.
    let zkinfer_verifier::Statement { instances, identity, .. } = zkinfer_verifier::statement(&vk, &proof, opts)?;
    let (_, contract, _) = contract_for(&vk, cache, &mut Timings::default())?;
    let given = bin_path.map(Path::to_path_buf).or_else(|| Some(dir.join(BIN_FILE)).filter(|p| p.is_file()));
    if let Some(bin_path) = given {
        let bin = crate::pipeline::read_bounded(&bin_path, 1 << 22)?;
        let bin_text = String::from_utf8_lossy(&bin);
        let deployment = hex::decode(bin_text.trim()).map_err(|e| PipelineError::File {
            action: "decode",
            path: bin_path.clone(),
            reason: format!("not hex bytecode: {e}"),
        })?;
        if deployment != contract.deployment {
            return Err(EvmError::ContractMismatch { path: bin_path.display().to_string(), identity: identity.to_string() }.into());
        }
    }
    let proof_bytes = proof.proof_bytes()?;
    let calldata = evm::encode_calldata(&instances, &proof_bytes);
    let calldata_path = dir.join(CALLDATA_FILE);
    std::fs::write(&calldata_path, &calldata).map_err(file_err("write", &calldata_path))?;
    let outcome = evm::deploy_and_call(&contract.deployment, &calldata)?;
    Ok(EvmRun {
        outcome,
        model_hash: proof.model_hash.clone(),
        identity: identity.to_string(),
        identity_checked: opts.expected_identity.is_some(),
        calldata_path,
        calldata_bytes: calldata.len(),
        deployment_bytes: contract.deployment.len(),
        proof_bytes: proof_bytes.len(),
    })
}
