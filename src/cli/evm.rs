//! `zkinfer create-evm-verifier` and `zkinfer verify-evm`.
use std::path::Path;

use serde_json::json;
use zkinfer::evm::{self as steps, BIN_FILE, SOL_FILE};
use zkinfer::prover::{ParamsCache, SrsFile};
use zkinfer::report::Timings;
use zkinfer::verifier::evm::EIP170_LIMIT;
use zkinfer::verifier::SrsInfo;

/// Printed whenever KZG runs on the insecure test SRS.
pub fn warn_insecure_srs() {
    eprintln!(
        "warning: KZG with the INSECURE test SRS (generated from a fixed public seed: anyone can forge proofs \
         against it); for real use pass --srs FILE, a powers-of-tau ceremony file in halo2's ParamsKZG format"
    );
}

pub fn create(dir: &Path, vk: Option<&Path>, srs: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let mut cache = ParamsCache::default();
    if let Some(path) = srs {
        cache = cache.with_srs(SrsFile { path: path.to_path_buf(), sha256: None });
    }
    let mut t = Timings::default();
    let meta = steps::create_evm_verifier(dir, vk, &cache, &mut t)?;
    if meta.srs == SrsInfo::INSECURE {
        warn_insecure_srs();
    }
    let (sol, bin) = (dir.join(SOL_FILE), dir.join(BIN_FILE));
    if json {
        let timings: serde_json::Map<String, serde_json::Value> = t.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let v = json!({
            "solidity": sol, "bytecode": bin, "model_hash": meta.model_hash, "identity": meta.identity, "srs": meta.srs, "solc": meta.solc,
            "source_chars": meta.source_chars, "deployment_bytes": meta.deployment_bytes,
            "runtime_bytes": meta.runtime_bytes, "eip170_limit": EIP170_LIMIT, "key": meta.shape, "timings_s": timings,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("solidity    {} ({} chars)", sol.display(), meta.source_chars);
    println!("bytecode    {} ({} bytes to deploy)", bin.display(), meta.deployment_bytes);
    println!(
        "runtime     {} bytes ({:.0}% of EIP-170's {EIP170_LIMIT})",
        meta.runtime_bytes,
        100.0 * meta.runtime_bytes as f64 / EIP170_LIMIT as f64
    );
    println!(
        "key         k = {}, {} public inputs, {} fixed + {} permutation commitments",
        meta.shape.k, meta.shape.public_inputs, meta.shape.fixed_commitments, meta.shape.permutation_commitments
    );
    println!("compiler    solc {}", meta.solc);
    println!("identity    {} (the key digest of the key this contract verifies)", meta.identity);
    Ok(())
}

pub fn verify(
    proof: &Path,
    vk: Option<&Path>,
    verifier: Option<&Path>,
    hash: Option<&str>,
    allow_insecure_srs: bool,
    json: bool,
) -> anyhow::Result<()> {
    let opts = zkinfer::verifier::VerifyOptions { expected_identity: hash, allow_insecure_srs };
    let run = steps::verify_evm(proof, vk, verifier, &opts, &ParamsCache::default())?;
    let o = &run.outcome;
    if json {
        let v = json!({
            "accepted": o.accepted, "gas_used": o.gas_used, "model_hash": run.model_hash,
            "identity": run.identity, "identity_checked": run.identity_checked,
            "calldata": run.calldata_path, "calldata_bytes": run.calldata_bytes, "proof_bytes": run.proof_bytes,
            "deployment_bytes": run.deployment_bytes, "reason": if o.accepted { None } else { Some(&o.reason) },
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else if o.accepted {
        println!("accepted    by the EVM verifier, proof for model identity {}", run.identity);
        if !run.identity_checked && vk.is_none() {
            eprintln!("warning: {}", super::verify::UNCHECKED_NOTE);
        }
        println!("gas used    {}", o.gas_used.map(|g| g.to_string()).unwrap_or_else(|| "unknown".into()));
        println!("calldata    {} ({} bytes)", run.calldata_path.display(), run.calldata_bytes);
    }
    if !o.accepted {
        let gas = o.gas_used.map(|g| format!(" after {g} gas")).unwrap_or_default();
        anyhow::bail!("rejected: the EVM verifier reverted{gas}");
    }
    Ok(())
}
