//! `zkinfer export-web`: write beside a proof what the browser verifier (`web/`) needs to
//! check it offline: `params.bin`, the verifier parameters in the compact form of
//! `zkinfer_verifier_wasm::params` (IPA: halo2's ParamsIPA file for the key's k; KZG: k,
//! `[1]G1`, `[1]G2`, `[tau]G2` of the SRS the key's header names). `proof.json` and `vk.bin`
//! are already there.
use std::path::{Path, PathBuf};

use halo2_proofs::poly::commitment::Params;
use sha2::{Digest, Sha256};
use zkinfer_prover::ParamsCache;
use zkinfer_verifier::{ProofFile, VerifierParams, VkFile};
use zkinfer_verifier_wasm::params::encode_kzg;

use crate::pipeline::{verifier_params, PipelineError, Result};

/// Name of the parameter file the page loads.
pub const PARAMS_FILE: &str = "params.bin";

/// One file of the exported bundle.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BundleFile {
    pub path: PathBuf,
    pub bytes: usize,
    pub sha256: String,
}

/// What `export-web` wrote (and the files it relies on).
#[derive(Clone, Debug, serde::Serialize)]
pub struct WebExport {
    pub backend: String,
    pub k: u32,
    /// The model hash the proof file claims.
    pub model_hash: String,
    /// The model identity recomputed from the key (with hashed weights, with the proof's
    /// commitment): what the page shows when it accepts, and what `zkinfer commit` publishes.
    pub identity: String,
    pub proof: BundleFile,
    pub vk: BundleFile,
    pub params: BundleFile,
    /// KZG keys made with the insecure test SRS (the page refuses them unless allowed).
    pub insecure_srs: bool,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| PipelineError::File { action: "read", path: path.to_path_buf(), reason: e.to_string() })
}

fn described(path: &Path, bytes: &[u8]) -> BundleFile {
    BundleFile { path: path.to_path_buf(), bytes: bytes.len(), sha256: hex::encode(Sha256::digest(bytes)) }
}

/// Write `params.bin` beside `proof_path` for its key (`vk_path`, default `vk.bin` beside it).
pub fn export_web(proof_path: &Path, vk_path: Option<&Path>, cache: &ParamsCache) -> Result<WebExport> {
    let dir = proof_path.parent().unwrap_or(Path::new("."));
    let proof_bytes = read(proof_path)?;
    let text = String::from_utf8_lossy(&proof_bytes);
    let proof = ProofFile::from_json(&text)?;
    let vk_path = vk_path.map(Path::to_path_buf).unwrap_or_else(|| dir.join("vk.bin"));
    let vk_bytes = read(&vk_path)?;
    let vk = VkFile::from_bytes(&vk_bytes)?;
    if proof.backend != vk.header.backend {
        return Err(zkinfer_verifier::VerifyError::BackendMismatch { proof: proof.backend, vk: vk.header.backend }.into());
    }
    let commitment = (vk.header.circuit.visibility.weights == zkinfer_circuits::WeightVisibility::Hashed).then_some(proof.model_hash.as_str());
    let identity = zkinfer_verifier::model_identity(&vk, commitment)?;
    let params_path = dir.join(PARAMS_FILE);
    let params = match verifier_params(&vk, cache)? {
        VerifierParams::Ipa(p) => {
            let mut buf = Vec::new();
            p.write(&mut buf).map_err(|e| PipelineError::File { action: "serialize", path: params_path.clone(), reason: e.to_string() })?;
            buf
        }
        VerifierParams::Kzg(p) => encode_kzg(&p),
    };
    std::fs::write(&params_path, &params)
        .map_err(|e| PipelineError::File { action: "write", path: params_path.clone(), reason: e.to_string() })?;
    Ok(WebExport {
        backend: vk.header.backend.to_string(),
        k: vk.header.k,
        model_hash: proof.model_hash.clone(),
        identity: identity.to_string(),
        proof: described(proof_path, &proof_bytes),
        vk: described(&vk_path, &vk_bytes),
        params: described(&params_path, &params),
        insecure_srs: vk.header.srs.as_ref().is_some_and(|s| zkinfer_verifier::insecure::is_insecure_s_g2(&s.s_g2)),
    })
}
