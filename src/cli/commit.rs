//! `zkinfer commit` and `zkinfer reveal-check`: publish a model's identity now, the model later.
use std::path::Path;

use zkinfer::circuits::WeightVisibility;
use zkinfer::verbs;

use super::{print_json, ModelArgs};

pub fn commit(m: &ModelArgs, out: &Path, json: bool) -> anyhow::Result<()> {
    let c = verbs::commit(&m.options(), out)?;
    if c.insecure_srs {
        super::evm::warn_insecure_srs();
    }
    if json {
        return print_json(&c);
    }
    println!("identity    {}", c.identity);
    match c.weights {
        WeightVisibility::Hashed => println!("commitment  {} (the weights stay private)", c.model_hash),
        WeightVisibility::Fixed => println!("model hash  {} (SHA-256 of the quantized model)", c.model_hash),
    }
    println!("stored      {}", out.display());
    println!(
        "verify with `zkinfer verify --proof P --model-hash {}`: it accepts only proofs checked by this key ({} weights, {} backend, width {}, k = {}; prove with the same settings)",
        c.identity, c.weights, c.backend, c.width, c.k
    );
    Ok(())
}

/// Recompute the revealed model's identity and compare it with `expected`: exit code 0 only on
/// a match.
pub fn reveal_check(m: &ModelArgs, expected: &str, json: bool) -> anyhow::Result<()> {
    let r = verbs::reveal_check(&m.options(), expected)?;
    if json {
        print_json(&r)?;
    }
    if !r.matches {
        anyhow::bail!("no match: {} has identity {}, not {}", r.described, r.identity, r.expected);
    }
    if !json {
        println!("match       {} has identity {}", m.options().name(), r.identity);
        if r.key_checked {
            println!("            weights commitment and verifying key (regenerated from the architecture) both match");
        } else {
            println!("note        only the weights commitment was compared; pass the full identity COMMITMENT:KEYDIGEST to check the key too");
        }
    }
    Ok(())
}
