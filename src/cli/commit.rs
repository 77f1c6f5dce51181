//! `zkinfer commit` and `zkinfer reveal-check`: publish a model's Poseidon commitment now, the
//! model later.
use std::path::Path;

use serde_json::json;
use zkinfer::circuits::{Visibility, WeightVisibility};
use zkinfer::pipeline::{self, Calibration, Prepared, Settings};

use super::ModelArgs;

/// The model quantized with the given settings (or the compiled model), for hashed weights.
fn prepare(m: &ModelArgs) -> anyhow::Result<(Prepared, Settings, Calibration)> {
    let (c, p) = m.compiled()?;
    let vis = Visibility { weights: WeightVisibility::Hashed, ..c.settings.circuit.visibility };
    let settings = c.settings.with_visibility(vis);
    let calib = p.calibration.clone();
    Ok((p, settings, calib))
}

fn model_name(m: &ModelArgs) -> String {
    m.model.as_ref().or(m.compiled.as_ref()).map(|p| p.display().to_string()).unwrap_or_else(|| format!("MLP {:?}", m.mlp))
}

pub fn commit(m: &ModelArgs, out: &Path, json: bool) -> anyhow::Result<()> {
    let (p, settings, _) = prepare(m)?;
    let c = pipeline::commit(&p, &settings)?;
    let text = serde_json::to_string_pretty(&c)?;
    std::fs::write(out, &text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&json!({ "model_hash": c.model_hash, "architecture": c.architecture, "stored": out }))?);
    } else {
        println!("model hash  {}", c.model_hash);
        println!("stored      {}", out.display());
        println!("proofs made with --weights hashed (same --bits, --weight-bits, calibration) carry this hash");
    }
    Ok(())
}

pub fn reveal_check(m: &ModelArgs, hash: &str, json: bool) -> anyhow::Result<()> {
    let (p, settings, calib) = prepare(m)?;
    let got = pipeline::model_commitment(&p, &settings)?;
    let matches = pipeline::same_hash(&got, hash);
    if json {
        println!("{}", serde_json::to_string_pretty(&json!({ "match": matches, "model_hash": got, "expected": hash.trim() }))?);
    }
    if !matches {
        anyhow::bail!(
            "no match: {} (bits {}, weight bits {}, calibration {}) hashes to {got}, not {}",
            model_name(m),
            settings.quant.bits,
            settings.quant.weight_bits,
            calib,
            hash.trim()
        );
    }
    if !json {
        println!("match       {} hashes to {got}", model_name(m));
    }
    Ok(())
}
