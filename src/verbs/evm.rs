//! `create-evm-verifier` and `verify-evm`: the Solidity verifier of a KZG key, and a proof
//! checked by it in an in-process EVM.
use std::path::{Path, PathBuf};

use serde::Serialize;
use zkinfer_prover::{ParamsCache, SrsFile};
use zkinfer_verifier::evm::{KeyShape, EIP170_LIMIT};
use zkinfer_verifier::{SrsInfo, VerifyOptions};

use super::timings_map;
use crate::evm::{ContractSize, VerifierKind, BIN_FILE, KEY_BIN_FILE, SOL_FILE};
use crate::pipeline::Result;
use crate::report::Timings;

/// `zkinfer create-evm-verifier --json`.
#[derive(Clone, Debug, Serialize)]
pub struct EvmVerifierReport {
    pub solidity: PathBuf,
    pub bytecode: PathBuf,
    pub model_hash: String,
    pub identity: String,
    pub srs: String,
    pub solc: String,
    pub source_chars: usize,
    pub deployment_bytes: usize,
    pub runtime_bytes: usize,
    /// `snark` or `keyed`.
    pub kind: VerifierKind,
    /// The keyed verifier's key contract (`VerifierKey.bin`): its sizes.
    pub key_contract: Option<ContractSize>,
    pub key_bytecode: Option<PathBuf>,
    pub eip170_limit: usize,
    pub key: KeyShape,
    #[serde(serialize_with = "timings_map")]
    pub timings_s: Timings,
    /// The key was made with the INSECURE fixed-seed test SRS.
    #[serde(skip)]
    pub insecure_srs: bool,
}

/// Write `dir/Verifier.sol` for `dir/vk.bin` (or `vk`), a KZG key, and compile it into
/// `dir/Verifier.bin`. With `compiled` (a compiled model), keys are generated into `dir` first
/// unless it holds them; `srs` is the KZG SRS file when it is not in the cache yet.
pub fn create_evm_verifier(
    dir: &Path,
    vk: Option<&Path>,
    srs: Option<&Path>,
    compiled: Option<&Path>,
    kind: VerifierKind,
    progress: &dyn Fn(&str),
) -> Result<EvmVerifierReport> {
    if let Some(c) = compiled {
        super::ensure_keys(c, dir, srs, progress)?;
    }
    let mut cache = ParamsCache::default();
    if let Some(path) = srs {
        cache = cache.with_srs(SrsFile { path: path.to_path_buf(), sha256: None });
    }
    let mut t = Timings::default();
    let meta = crate::evm::create_evm_verifier_with(dir, vk, kind, &cache, &mut t)?;
    Ok(EvmVerifierReport {
        solidity: dir.join(SOL_FILE),
        bytecode: dir.join(BIN_FILE),
        insecure_srs: meta.srs == SrsInfo::INSECURE,
        model_hash: meta.model_hash,
        identity: meta.identity,
        srs: meta.srs,
        solc: meta.solc,
        source_chars: meta.source_chars,
        deployment_bytes: meta.deployment_bytes,
        runtime_bytes: meta.runtime_bytes,
        kind: meta.kind,
        key_bytecode: meta.key_contract.map(|_| dir.join(KEY_BIN_FILE)),
        key_contract: meta.key_contract,
        eip170_limit: EIP170_LIMIT,
        key: meta.shape,
        timings_s: t,
    })
}

/// `zkinfer verify-evm --json`.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyEvmReport {
    pub accepted: bool,
    pub gas_used: Option<u64>,
    pub model_hash: String,
    pub identity: String,
    pub identity_checked: bool,
    pub calldata: PathBuf,
    pub calldata_bytes: usize,
    pub proof_bytes: usize,
    pub deployment_bytes: usize,
    pub runtime_bytes: usize,
    pub kind: VerifierKind,
    pub key_contract: Option<ContractSize>,
    /// Why the contract did not accept (`None` when it did).
    pub reason: Option<String>,
}

/// Run the verifier contract of the key (`vk`, default `vk.bin` beside the proof) on the proof
/// in revm. `verifier` (default `Verifier.bin` beside the proof) must be the contract zkinfer
/// generates from that key. A contract that reverts gives `accepted: false`, not an error.
pub fn verify_evm(
    proof: &Path,
    vk: Option<&Path>,
    verifier: Option<&Path>,
    expected_identity: Option<&str>,
    allow_insecure_srs: bool,
    kind: VerifierKind,
    cache: &ParamsCache,
) -> Result<VerifyEvmReport> {
    let opts = VerifyOptions { expected_identity, allow_insecure_srs };
    let run = crate::evm::verify_evm_with(proof, vk, verifier, kind, &opts, cache)?;
    let o = run.outcome;
    Ok(VerifyEvmReport {
        accepted: o.accepted,
        gas_used: o.gas_used,
        model_hash: run.model_hash,
        identity: run.identity,
        identity_checked: run.identity_checked,
        calldata: run.calldata_path,
        calldata_bytes: run.calldata_bytes,
        proof_bytes: run.proof_bytes,
        deployment_bytes: run.deployment_bytes,
        runtime_bytes: run.runtime_bytes,
        kind: run.kind,
        key_contract: run.key_contract,
        reason: if o.accepted { None } else { Some(o.reason) },
    })
}
