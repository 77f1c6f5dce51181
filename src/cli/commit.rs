//! `zkinfer commit` and `zkinfer reveal-check`: publish a model's identity now, the model later.
use std::path::Path;

use serde_json::json;
use zkinfer::circuits::WeightVisibility;
use zkinfer::pipeline::{self, Calibration, Prepared, Settings};
use zkinfer::report::Timings;
use zkinfer::verifier::ModelIdentity;

use super::ModelArgs;

/// The model quantized with the given settings; `commit` and `reveal-check` default to hashed
/// weights (the delayed-publication case) unless `--weights fixed` is given. With `--compiled`,
/// the compiled model's settings (its weights visibility included) are used as they are.
fn prepare(m: &ModelArgs) -> anyhow::Result<(Prepared, Settings, Calibration)> {
    let mut args = m.clone();
    if m.compiled.is_none() {
        args.weights = Some(m.weights.unwrap_or(WeightVisibility::Hashed));
    }
    let (c, p) = args.compiled()?;
    m.check_backend_options(c.settings.backend)?;
    let calib = p.calibration.clone();
    Ok((p, c.settings, calib))
}

/// The model's name for messages.
fn model_name(m: &ModelArgs) -> String {
    match (&m.model, &m.compiled) {
        (Some(p), _) | (None, Some(p)) => p.display().to_string(),
        (None, None) => format!("MLP {:?}", m.mlp),
    }
}

pub fn commit(m: &ModelArgs, out: &Path, json: bool) -> anyhow::Result<()> {
    let (p, settings, _) = prepare(m)?;
    let c = pipeline::commit(&p, &settings, &m.cache(), &mut Timings::default())?;
    let text = serde_json::to_string_pretty(&c)?;
    std::fs::write(out, &text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "identity": c.identity, "model_hash": c.model_hash, "architecture": c.architecture,
                "weights": settings.circuit.visibility.weights, "backend": settings.backend, "k": c.k,
                "width": settings.circuit.width, "stored": out,
            }))?
        );
    } else {
        println!("identity    {}", c.identity);
        match settings.circuit.visibility.weights {
            WeightVisibility::Hashed => println!("commitment  {} (the weights stay private)", c.model_hash),
            WeightVisibility::Fixed => println!("model hash  {} (SHA-256 of the quantized model)", c.model_hash),
        }
        println!("stored      {}", out.display());
        println!(
            "verify with `zkinfer verify --proof P --model-hash {}`: it accepts only proofs checked by this key ({} weights, {} backend, width {}, k = {}; prove with the same settings)",
            c.identity, settings.circuit.visibility.weights, settings.backend, settings.circuit.width, c.k
        );
    }
    Ok(())
}

/// Recompute the revealed model's identity: its weights commitment and the digest of the key
/// its public architecture produces (keygen from scratch), and compare with `expected`.
pub fn reveal_check(m: &ModelArgs, expected: &str, json: bool) -> anyhow::Result<()> {
    let (p, settings, calib) = prepare(m)?;
    let c = pipeline::commit(&p, &settings, &m.cache(), &mut Timings::default())?;
    let got = ModelIdentity::parse(&c.identity)?;
    let want = ModelIdentity::parse(expected)?;
    // A bare commitment (no key digest) checks the weights only: say so.
    let commitment_only = want.weights.is_none() && got.weights.as_deref() == Some(want.key_hex().as_str());
    let matches = want == got || commitment_only;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "match": matches, "identity": c.identity, "expected": expected.trim(), "key_checked": !commitment_only,
            }))?
        );
    }
    if !matches {
        anyhow::bail!(
            "no match: {} ({} weights, bits {}, weight bits {}, width {}, {} backend, calibration {}) has identity {}, not {}",
            model_name(m),
            settings.circuit.visibility.weights,
            settings.quant.bits,
            settings.quant.weight_bits,
            settings.circuit.width,
            settings.backend,
            calib,
            c.identity,
            expected.trim()
        );
    }
    if !json {
        println!("match       {} has identity {}", model_name(m), c.identity);
        if commitment_only {
            println!("note        only the weights commitment was compared; pass the full identity COMMITMENT:KEYDIGEST to check the key too");
        } else {
            println!("            weights commitment and verifying key (regenerated from the architecture) both match");
        }
    }
    Ok(())
}
