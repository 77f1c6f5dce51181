//! `zkinfer create-evm-verifier` and `zkinfer verify-evm`.
use std::path::Path;

use zkinfer::prover::ParamsCache;
use zkinfer::evm::VerifierKind;
use zkinfer::verbs;
use zkinfer::verifier::evm::EIP170_LIMIT;

use super::print_json;
use super::progress::Progress;

/// Printed whenever KZG runs on the insecure test SRS.
pub fn warn_insecure_srs() {
    eprintln!(
        "warning: KZG with the INSECURE test SRS (generated from a fixed public seed: anyone can forge proofs \
         against it); for real use pass --srs FILE, a powers-of-tau ceremony file in halo2's ParamsKZG format"
    );
}

pub fn create(dir: &Path, vk: Option<&Path>, srs: Option<&Path>, compiled: Option<&Path>, kind: VerifierKind, json: bool) -> anyhow::Result<()> {
    let bar = Progress::new(json);
    let r = verbs::create_evm_verifier(dir, vk, srs, compiled, kind, &|msg| bar.step(msg));
    bar.finish();
    let r = r?;
    if r.insecure_srs {
        warn_insecure_srs();
    }
    if json {
        return print_json(&r);
    }
    println!("solidity    {} ({} chars)", r.solidity.display(), r.source_chars);
    println!("bytecode    {} ({} bytes to deploy)", r.bytecode.display(), r.deployment_bytes);
    println!(
        "runtime     {} bytes ({:.0}% of EIP-170's {EIP170_LIMIT})",
        r.runtime_bytes,
        100.0 * r.runtime_bytes as f64 / EIP170_LIMIT as f64
    );
    println!(
        "key         k = {}, {} public inputs, {} fixed + {} permutation commitments",
        r.key.k, r.key.public_inputs, r.key.fixed_commitments, r.key.permutation_commitments
    );
    if let (Some(k), Some(path)) = (&r.key_contract, &r.key_bytecode) {
        println!("key contract {} ({} bytes to deploy, runtime {} bytes): deploy it first, then the verifier with its address as constructor argument", path.display(), k.deployment_bytes, k.runtime_bytes);
    }
    println!("kind        {:?}", r.kind);
    println!("compiler    solc {}", r.solc);
    println!("identity    {} (the key digest of the key this contract verifies)", r.identity);
    Ok(())
}

pub fn verify(
    proof: &Path,
    vk: Option<&Path>,
    verifier: Option<&Path>,
    hash: Option<&str>,
    allow_insecure_srs: bool,
    kind: VerifierKind,
    json: bool,
) -> anyhow::Result<()> {
    let r = verbs::verify_evm(proof, vk, verifier, hash, allow_insecure_srs, kind, &ParamsCache::default())?;
    if json {
        print_json(&r)?;
    } else if r.accepted {
        println!("accepted    by the EVM verifier, proof for model identity {}", r.identity);
        if !r.identity_checked && vk.is_none() {
            eprintln!("warning: {}", super::verify::UNCHECKED_NOTE);
        }
        println!("gas used    {}", r.gas_used.map(|g| g.to_string()).unwrap_or_else(|| "unknown".into()));
        println!("calldata    {} ({} bytes)", r.calldata.display(), r.calldata_bytes);
    }
    if !r.accepted {
        let gas = r.gas_used.map(|g| format!(" after {g} gas")).unwrap_or_default();
        anyhow::bail!("rejected: the EVM verifier reverted{gas}");
    }
    Ok(())
}
