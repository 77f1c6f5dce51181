//! `zkinfer commit` and `zkinfer reveal-check`: publish a model's Poseidon commitment now, the
//! model later.
use std::path::{Path, PathBuf};

use serde_json::json;
use zkinfer::circuits::{Visibility, WeightVisibility};
use zkinfer::pipeline::{self, Prepared, Settings};

use super::ModelArgs;

/// The model quantized with the given settings, for hashed weights.
fn prepare(m: &ModelArgs) -> anyhow::Result<(Prepared, Settings, PathBuf)> {
    let vis = Visibility { weights: WeightVisibility::Hashed, ..m.visibility() };
    let settings = m.settings().with_visibility(vis);
    let calib = pipeline::calibration_path(&m.model, m.calibration.as_deref(), None)?;
    let p = pipeline::prepare(&m.model, &calib, &settings.quant)?;
    Ok((p, settings, calib))
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
            m.model.display(),
            settings.quant.bits,
            settings.quant.weight_bits,
            calib.display(),
            hash.trim()
        );
    }
    if !json {
        println!("match       {} hashes to {got}", m.model.display());
    }
    Ok(())
}
