//! Helpers of the EVM tests (`tests/evm.rs`, `tests/evm_hashed.rs`).
use std::path::{Path, PathBuf};

use zkinfer::evm::{verify_evm_with, VerifierKind, VerifierMeta, BIN_FILE};
use zkinfer::pipeline::Settings;
use zkinfer::prover::{Backend, ParamsCache};
use zkinfer::verifier::{ProofFile, VerifierParams, VerifyOptions, VkFile};

use super::{cache_dir, scratch};

/// Every KZG key here is on the insecure fixed-seed SRS, which verification refuses unless
/// allowed (tested in `insecure_srs_is_refused_unless_allowed`).
pub const ALLOW: VerifyOptions<'static> = VerifyOptions { expected_identity: None, allow_insecure_srs: true };

pub struct Case {
    pub dir: PathBuf,
    pub proof: ProofFile,
    pub vk: VkFile,
    /// What the circuit's verifier handles (the gas estimate's input).
    pub shape: zkinfer::circuits::VerifierShape,
    pub params: VerifierParams,
    pub meta: VerifierMeta,
}

/// The dot width of the EVM tests: 4 keeps the zoo contracts near 19 KB (width 8: 23 KB).
pub const WIDTH: usize = 4;

pub fn kzg_settings() -> Settings {
    let mut settings = Settings { backend: Backend::Kzg, ..Settings::default() };
    settings.circuit.width = WIDTH;
    settings
}

pub fn cache() -> ParamsCache {
    ParamsCache::new(cache_dir())
}

pub fn run_keyed(dir: &Path, proof: &ProofFile, name: &str) -> zkinfer::verifier::evm::EvmOutcome {
    try_run_keyed(dir, proof, name).expect("keyed EVM run").outcome
}

/// `proof` (written to a scratch directory) through the keyed verifier of `dir`; an error when
/// `verify-evm` refuses before running it.
pub fn try_run_keyed(dir: &Path, proof: &ProofFile, name: &str) -> Result<zkinfer::evm::EvmRun, zkinfer::pipeline::PipelineError> {
    let d = scratch(name);
    let path = d.join("proof.json");
    std::fs::write(&path, proof.to_json()).unwrap();
    let bin = dir.join(BIN_FILE);
    verify_evm_with(&path, Some(&dir.join("vk.bin")), Some(&bin), VerifierKind::Keyed, &ALLOW, &cache())
}

