//! `zkinfer inspect` and `zkinfer accuracy`.
use std::path::Path;

use serde_json::json;
use zkinfer::models::{accuracy, summary};
use zkinfer::pipeline;

use super::ModelArgs;

pub fn inspect(m: &ModelArgs, json: bool) -> anyhow::Result<()> {
    let settings = m.settings();
    let calib = pipeline::calibration_path(&m.model, m.calibration.as_deref(), None)?;
    let p = pipeline::prepare(&m.model, &calib, &settings.quant)?;
    let settings = m.settings_for(&p)?;
    let s = summary::summarize(&p.quant);
    let spec = pipeline::compile(&p, &settings)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&json!({ "model": s, "circuit": spec, "calibration": calib }))?);
        return Ok(());
    }
    println!("model      {}", m.model.display());
    println!("hash       {}", s.model_hash);
    println!("input      {:?} at scale 2^-{}   calibration: {}", s.input_shape, s.input_scale, calib.display());
    println!("{:<22} {:<14} {:<16} {:>8} {:>9} {:>9} {:>6} {:>8} {:>7}", "layer", "op", "shape", "params", "MACs", "nonlin", "scale", "rows", "share");
    for (l, c) in s.layers.iter().zip(&spec.layers) {
        let share = 100.0 * c.rows as f64 / spec.rows.max(1) as f64;
        println!(
            "{:<22} {:<14} {:<16} {:>8} {:>9} {:>9} {:>6} {:>8} {:>6.1}%",
            truncate(&l.name, 22), l.op, format!("{:?}", l.shape), l.params, l.macs, l.nonlinear, l.scale, c.rows, share
        );
        if c.kind == "affine (freivalds)" {
            println!("{:<22} checked for the whole batch by one Freivalds product (weights touched once)", "");
        }
    }
    println!("total: {} params, {} MACs, {} nonlinear elements, {}-bit activations", s.params, s.macs, s.nonlinear, s.bits);
    println!(
        "circuit: k = {}, width {}, {} rows ({} usable), {} advice + {} fixed columns, {} lookup arguments, table rows {}",
        spec.k,
        settings.circuit.width, spec.rows, spec.usable_rows(), spec.advice_columns, spec.fixed_columns, spec.lookup_arguments, spec.table_rows
    );
    if settings.circuit.batch > 1 {
        println!("batch: {} inferences per proof (rows above are for all of them)", settings.circuit.batch);
    }
    let h = &spec.hashing;
    if h.rows() > 0 {
        let v = settings.circuit.visibility;
        println!(
            "hashing: {} rows ({} pack, {} Poseidon) for {} parameters in {} limbs, {} elements, {} permutations (input {}, output {}, weights {})",
            h.rows(), h.pack_rows, h.poseidon_rows, h.params, h.limbs, h.elements, h.permutations, v.input, v.output, v.weights
        );
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

pub fn accuracy(m: &ModelArgs, data: &Path, json: bool) -> anyhow::Result<()> {
    let settings = m.settings();
    let calib = pipeline::calibration_path(&m.model, m.calibration.as_deref(), Some(data))?;
    let p = pipeline::prepare(&m.model, &calib, &settings.quant)?;
    let set = zkinfer::models::data::Dataset::load(data)?;
    let r = accuracy::evaluate(&p.graph, &p.quant, &set)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&json!({ "accuracy": r, "calibration": calib, "bits": settings.quant.bits }))?);
        return Ok(());
    }
    let pct = |v: Option<f64>| v.map(|x| format!("{:.2}%", 100.0 * x)).unwrap_or_else(|| "n/a (no labels)".into());
    println!("model        {}   ({}-bit activations, calibration: {})", m.model.display(), settings.quant.bits, calib.display());
    println!("samples      {}", r.samples);
    println!("float acc    {}", pct(r.float_accuracy));
    println!("quant acc    {}", pct(r.quant_accuracy));
    println!("argmax agree {:.2}%", 100.0 * r.argmax_agreement);
    println!("max |err|    {:.5}", r.max_abs_error);
    println!("mean |err|   {:.5}", r.mean_abs_error);
    println!("out of range {}", r.out_of_range);
    Ok(())
}
