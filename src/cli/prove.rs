//! `zkinfer setup` and `zkinfer prove`.
use std::path::Path;

use serde_json::json;
use zkinfer::models::data::Dataset;
use zkinfer::pipeline;
use zkinfer::report::{peak_memory_bytes, Timings};

use super::progress::Progress;
use super::ModelArgs;

pub fn setup(m: &ModelArgs, out: &Path, json: bool) -> anyhow::Result<()> {
    let settings = m.settings();
    let calib = pipeline::calibration_path(&m.model, m.calibration.as_deref(), None)?;
    let mut t = Timings::default();
    let p = t.time("load", || pipeline::prepare(&m.model, &calib, &settings.quant))?;
    let settings = m.settings_for(&p)?;
    let bar = Progress::new(json);
    let s = pipeline::setup(&p, &settings, out, &m.cache(), false, &mut t, &|msg| bar.step(msg));
    bar.finish();
    let s = s?;
    let identity = pipeline::identity_of_setup(&p, &settings, &s)?;
    report(json, &t, &s.spec, &hex::encode(p.hash), &identity.to_string(), None, out)
}

pub fn prove(m: &ModelArgs, input: &Path, out: &Path, json: bool) -> anyhow::Result<()> {
    let settings = m.settings();
    let calib = pipeline::calibration_path(&m.model, m.calibration.as_deref(), Some(input))?;
    let mut t = Timings::default();
    let data = Dataset::load(input)?;
    let p = t.time("load", || pipeline::prepare(&m.model, &calib, &settings.quant))?;
    let samples = pipeline::batch_samples(&data, &p.quant.input_shape)
        .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
    if let Some(n) = m.batch.filter(|&n| n != samples.len()) {
        anyhow::bail!(
            "{}: {} samples, but --batch {n} (one list per sample, or one list of {n} x {} values)",
            input.display(),
            samples.len(),
            p.quant.input_shape.iter().product::<usize>()
        );
    }
    let settings = m.settings_for_batch(&p, samples.len())?;
    let bar = Progress::new(json);
    let result = (|| {
        let s = pipeline::setup(&p, &settings, out, &m.cache(), true, &mut t, &|msg| bar.step(msg))?;
        let proof = pipeline::prove_batch(&p, &settings, &s, &samples, out, &mut t, &|msg| bar.step(msg))?;
        Ok::<_, anyhow::Error>((s, proof))
    })();
    bar.finish();
    let (s, proof) = result?;
    let identity = pipeline::identity_of_setup(&p, &settings, &s)?;
    report(json, &t, &s.spec, &proof.model_hash, &identity.to_string(), Some(&proof), out)
}

fn report(
    json: bool,
    t: &Timings,
    spec: &zkinfer::circuits::CircuitSpec,
    hash: &str,
    identity: &str,
    proof: Option<&zkinfer::verifier::ProofFile>,
    out: &Path,
) -> anyhow::Result<()> {
    let proof_size = proof.map(|p| p.proof.len() / 2);
    let peak = peak_memory_bytes();
    if json {
        let timings: serde_json::Map<String, serde_json::Value> = t.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let mut v = json!({
            "model_hash": hash, "identity": identity, "k": spec.k, "width": spec.params.width, "rows": spec.rows, "advice_columns": spec.advice_columns,
            "fixed_columns": spec.fixed_columns, "lookups": spec.lookup_arguments,
            "timings_s": timings, "peak_memory_bytes": peak, "dir": out,
        });
        if let Some(p) = proof {
            v["proof_bytes"] = json!(proof_size);
            v["output"] = json!(p.output.values);
            v["output_scale"] = json!(p.output.scale);
            v["output_dequantized"] = json!(p.output.dequantize());
            v["visibility"] = json!(p.visibility);
            v["input_hash"] = json!(p.input_hash);
            v["output_hash"] = json!(p.output_hash);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("model hash  {hash}");
    println!("identity    {identity}");
    println!("circuit     k = {}, width {}, {} rows, {} advice / {} fixed columns", spec.k, spec.params.width, spec.rows, spec.advice_columns, spec.fixed_columns);
    for (name, secs) in &t.0 {
        println!("  {name:<10} {secs:>8.3} s");
    }
    if let Some(p) = proof {
        println!("proof       {} bytes -> {}", proof_size.unwrap_or(0), out.join("proof.json").display());
        let vals = p.output.dequantize();
        let show = |v: &[f64]| v.iter().map(|x| format!("{x:.4}")).collect::<Vec<_>>().join(", ");
        match spec.params.batch {
            1 => println!("output      [{}] (scale 2^-{})", show(&vals), p.output.scale),
            n => {
                println!("outputs     {n} samples (scale 2^-{})", p.output.scale);
                for (b, o) in vals.chunks((vals.len() / n).max(1)).enumerate() {
                    println!("  [{b}]        [{}]", show(o));
                }
            }
        }
    } else {
        println!("keys        {}", out.display());
    }
    if let Some(b) = peak {
        println!("peak memory {:.1} MiB", b as f64 / (1 << 20) as f64);
    }
    Ok(())
}
