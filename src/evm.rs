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
/// The key contract of the keyed verifier (creation code, hex).
pub const KEY_BIN_FILE: &str = "VerifierKey.bin";
/// Version of `Verifier.json`.
pub const META_FORMAT: u32 = 1;

fn file_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> PipelineError + 'a {
    move |e| PipelineError::File { action, path: path.to_path_buf(), reason: e.to_string() }
}

/// Which verifier contract: snark-verifier's straight-line one, or zkinfer's keyed one (a
/// fixed looped verifier plus a key contract, `verifier::evm::keyed`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifierKind {
    /// The keyed verifier (smaller and cheaper on every zoo model), or snark-verifier's
    /// contract for a key the keyed generator does not support (several instance columns).
    #[default]
    Auto,
    Snark,
    Keyed,
}

impl std::str::FromStr for VerifierKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "auto" => Ok(VerifierKind::Auto),
            "snark" => Ok(VerifierKind::Snark),
            "keyed" => Ok(VerifierKind::Keyed),
            other => Err(format!("unknown verifier kind {other:?} (auto, snark or keyed)")),
        }
    }
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
    /// `snark` or `keyed` (files before this field: `snark`).
    #[serde(default = "snark_kind")]
    pub kind: VerifierKind,
    /// Keyed verifier: the key contract's creation and runtime sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_contract: Option<ContractSize>,
}

fn snark_kind() -> VerifierKind {
    VerifierKind::Snark
}

/// Sizes of one contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractSize {
    pub deployment_bytes: usize,
    pub runtime_bytes: usize,
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

/// A generated contract: source, compiled verifier, key shape, kind, and for the keyed
/// verifier the key data (the key contract is `0x00 ‖ data`).
#[derive(Clone, Debug)]
struct Contract {
    source: String,
    compiled: evm::Compiled,
    shape: KeyShape,
    kind: VerifierKind,
    key: Option<Vec<u8>>,
}

/// Contracts compiled in this process, by kind and the SHA-256 of the key bytes they were made
/// from (generation and solc are deterministic; `verify-evm` regenerates the contract on each run).
fn compiled_contracts() -> &'static std::sync::Mutex<std::collections::HashMap<String, Contract>> {
    static C: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, Contract>>> = std::sync::OnceLock::new();
    C.get_or_init(Default::default)
}

/// The contract zkinfer generates for `vk` (source and compiled code), with its key shape.
fn contract_for(vk: &VkFile, kind: VerifierKind, cache: &ParamsCache, t: &mut Timings) -> Result<Contract> {
    let id = format!("{kind:?}:{}", sha256_hex(&vk.to_bytes()));
    if let Some(c) = compiled_contracts().lock().ok().and_then(|m| m.get(&id).cloned()) {
        return Ok(c);
    }
    let c = generate_contract(vk, kind, cache, t)?;
    if let Ok(mut m) = compiled_contracts().lock() {
        if m.len() < 64 {
            m.insert(id, c.clone());
        }
    }
    Ok(c)
}

fn generate_contract(vk: &VkFile, kind: VerifierKind, cache: &ParamsCache, t: &mut Timings) -> Result<Contract> {
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
    let snark = |t: &mut Timings| -> Result<Contract> {
        let source = t.time("generate", || evm::generate_solidity(&params, &key, public_inputs, InstanceCode::Looped))?;
        let compiled = t.time("compile", || evm::compile_solidity(&solc_command(), &source))?;
        Ok(Contract { source, compiled, shape: shape.clone(), kind: VerifierKind::Snark, key: None })
    };
    if kind == VerifierKind::Snark {
        return snark(t);
    }
    let identity = zkinfer_verifier::key_digest(vk)?;
    let encoded = match t.time("generate", || evm::keyed::build(&params, &key, public_inputs, identity)) {
        Ok((_, encoded)) => encoded,
        // A key the keyed generator does not support: snark-verifier's contract, when asked for auto.
        Err(_) if kind == VerifierKind::Auto => return snark(t),
        Err(e) => return Err(EvmError::Generate(e).into()),
    };
    // The program written out (less gas) when that fits EIP-170, else interpreted.
    let mut source = evm::keyed::verifier_source(&encoded, true);
    let mut compiled = t.time("compile", || evm::compile_solidity_with(&solc_command(), &source, true))?;
    if compiled.runtime.len() > evm::EIP170_LIMIT {
        source = evm::keyed::verifier_source(&encoded, false);
        compiled = t.time("compile", || evm::compile_solidity_with(&solc_command(), &source, true))?;
    }
    Ok(Contract { source, compiled, shape, kind: VerifierKind::Keyed, key: Some(encoded.data) })
}

/// Generate and compile the verifier contract for `DIR/vk.bin` (or `vk_path`) into `dir`
/// ([`VerifierKind::Auto`]: the keyed verifier where it applies).
pub fn create_evm_verifier(dir: &Path, vk_path: Option<&Path>, cache: &ParamsCache, t: &mut Timings) -> Result<VerifierMeta> {
    create_evm_verifier_with(dir, vk_path, VerifierKind::Auto, cache, t)
}

/// [`create_evm_verifier`] of the given kind. The keyed verifier also writes
/// `DIR/VerifierKey.bin`, the key contract's creation code (hex); the verifier's constructor
/// takes the key contract's address.
pub fn create_evm_verifier_with(dir: &Path, vk_path: Option<&Path>, kind: VerifierKind, cache: &ParamsCache, t: &mut Timings) -> Result<VerifierMeta> {
    let vk_path = vk_path.map(Path::to_path_buf).unwrap_or_else(|| dir.join("vk.bin"));
    let (vk, vk_bytes) = read_vk(&vk_path)?;
    let c = contract_for(&vk, kind, cache, t)?;
    let h = &vk.header;
    let identity = zkinfer_verifier::key_digest(&vk)?;
    std::fs::create_dir_all(dir).map_err(file_err("create", dir))?;
    let sol = dir.join(SOL_FILE);
    std::fs::write(&sol, &c.source).map_err(file_err("write", &sol))?;
    let version = evm::solc_version(&solc_command())?;
    // The source stays for inspection; no bytecode is written for a contract no chain takes.
    evm::check_size(c.compiled.runtime.len(), &c.shape)?;
    let key_contract = match &c.key {
        Some(data) => {
            let creation = evm::keyed::key_creation_code(data).map_err(EvmError::Generate)?;
            evm::check_size(data.len() + 1, &c.shape)?;
            let path = dir.join(KEY_BIN_FILE);
            std::fs::write(&path, hex::encode(&creation)).map_err(file_err("write", &path))?;
            Some(ContractSize { deployment_bytes: creation.len(), runtime_bytes: data.len() + 1 })
        }
        None => {
            let _ = std::fs::remove_file(dir.join(KEY_BIN_FILE));
            None
        }
    };
    let bin = dir.join(BIN_FILE);
    std::fs::write(&bin, hex::encode(&c.compiled.deployment)).map_err(file_err("write", &bin))?;
    let meta = VerifierMeta {
        format: META_FORMAT,
        model_hash: h.model_hash.clone(),
        identity: hex::encode(identity),
        vk_sha256: sha256_hex(&vk_bytes),
        srs: h.srs.as_ref().map(|s| s.source.clone()).unwrap_or_default(),
        solc: version,
        source_chars: c.source.chars().count(),
        deployment_bytes: c.compiled.deployment.len(),
        runtime_bytes: c.compiled.runtime.len(),
        shape: c.shape,
        kind: c.kind,
        key_contract,
    };
    let path = dir.join(META_FILE);
    std::fs::write(&path, serde_json::to_string_pretty(&meta).unwrap_or_default()).map_err(file_err("write", &path))?;
    Ok(meta)
}

fn read_hex_file(path: &Path) -> Result<Vec<u8>> {
    let bin = crate::pipeline::read_bounded(path, 1 << 22)?;
    let text = String::from_utf8_lossy(&bin);
    hex::decode(text.trim()).map_err(|e| PipelineError::File { action: "decode", path: path.to_path_buf(), reason: format!("not hex bytecode: {e}") })
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
    pub runtime_bytes: usize,
    pub proof_bytes: usize,
    pub kind: VerifierKind,
    pub key_contract: Option<ContractSize>,
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
    verify_evm_with(proof_path, vk_path, bin_path, VerifierKind::Auto, opts, cache)
}

/// [`verify_evm`] with the verifier of the given kind (as `create-evm-verifier` made it). For the
/// keyed verifier, `VerifierKey.bin` beside `Verifier.bin` must be the key contract zkinfer
/// generates from the key too, and the contract must return the key's model identity.
pub fn verify_evm_with(
    proof_path: &Path,
    vk_path: Option<&Path>,
    bin_path: Option<&Path>,
    kind: VerifierKind,
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
    let given = bin_path.map(Path::to_path_buf).or_else(|| Some(dir.join(BIN_FILE)).filter(|p| p.is_file()));
    // Auto: the kind Verifier.json beside the contract names. That file only picks which of
    // the two generators regenerates the contract; the bytecode is still compared below.
    let kind = match (kind, &given) {
        (VerifierKind::Auto, Some(bin)) => std::fs::read_to_string(bin.with_file_name(META_FILE))
            .ok()
            .and_then(|t| serde_json::from_str::<VerifierMeta>(&t).ok())
            .map_or(VerifierKind::Auto, |m| m.kind),
        (k, _) => k,
    };
    let contract = contract_for(&vk, kind, cache, &mut Timings::default())?;
    let key_creation = match &contract.key {
        Some(data) => Some(evm::keyed::key_creation_code(data).map_err(EvmError::Generate)?),
        None => None,
    };
    if let Some(bin_path) = given {
        let mismatch = || EvmError::ContractMismatch { path: bin_path.display().to_string(), identity: identity.to_string() };
        if read_hex_file(&bin_path)? != contract.compiled.deployment {
            return Err(mismatch().into());
        }
        if let Some(creation) = &key_creation {
            let key_path = bin_path.with_file_name(KEY_BIN_FILE);
            if key_path.is_file() && &read_hex_file(&key_path)? != creation {
                return Err(EvmError::ContractMismatch { path: key_path.display().to_string(), identity: identity.to_string() }.into());
            }
        }
    }
    let proof_bytes = proof.proof_bytes()?;
    let calldata = evm::encode_calldata(&instances, &proof_bytes);
    let calldata_path = dir.join(CALLDATA_FILE);
    std::fs::write(&calldata_path, &calldata).map_err(file_err("write", &calldata_path))?;
    let (outcome, key_contract) = match &contract.key {
        None => (evm::deploy_and_call(&contract.compiled.deployment, &calldata)?, None),
        Some(data) => {
            let o = evm::keyed::deploy_and_call(data, &contract.compiled.deployment, &calldata).map_err(EvmError::Deploy)?;
            let expected = zkinfer_verifier::key_digest(&vk)?;
            let returned_identity = o.output.as_slice() == expected.as_slice();
            let accepted = o.accepted && returned_identity;
            let reason = if o.accepted && !returned_identity { "the contract returned another identity".to_string() } else { o.reason };
            let size = ContractSize { deployment_bytes: key_creation.as_ref().map_or(0, Vec::len), runtime_bytes: data.len() + 1 };
            (EvmOutcome { accepted, gas_used: Some(o.gas_used), reason }, Some(size))
        }
    };
    Ok(EvmRun {
        outcome,
        model_hash: proof.model_hash.clone(),
        identity: identity.to_string(),
        identity_checked: opts.expected_identity.is_some(),
        calldata_path,
        calldata_bytes: calldata.len(),
        deployment_bytes: contract.compiled.deployment.len(),
        runtime_bytes: contract.compiled.runtime.len(),
        proof_bytes: proof_bytes.len(),
        kind: contract.kind,
        key_contract,
    })
}
