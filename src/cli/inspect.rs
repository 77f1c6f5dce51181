//! `zkinfer inspect` and `zkinfer accuracy`.
use std::path::Path;

use zkinfer::compiled::Source;
use zkinfer::verbs;

use super::{print_json, ModelArgs};

pub fn inspect(m: &ModelArgs, json: bool) -> anyhow::Result<()> {
    let r = verbs::inspect(&m.options())?;
    if json {
        return print_json(&r);
    }
    let (s, spec, settings, calib) = (&r.model, &r.circuit, &r.settings, &r.calibration);
    println!("model      {}", source_name(&r.source));
    println!("hash       {}", s.model_hash);
    println!("input      {:?} at scale 2^-{}", s.input_shape, s.input_scale);
    println!("calibration {calib}");
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
        "circuit: k = {}, width {}, {} rows ({} usable), {} advice + {} fixed columns + {} selectors, {} copy-argument columns, {} lookup arguments, table rows {}{}",
        spec.k,
        settings.circuit.width,
        spec.rows,
        spec.usable_rows(),
        spec.advice_columns,
        spec.fixed_columns,
        spec.selectors,
        spec.equality_columns,
        spec.lookup_arguments,
        spec.table_rows,
        match (settings.circuit.compact, settings.circuit.merged_lookups) {
            (true, _) => ", compact column set",
            (false, true) => ", merged lookups",
            _ => "",
        }
    );
    let e = &r.evm;
    println!(
        "evm verifier (KZG, keyed; --target {}): {} MSM terms, proof {} B ({} points, {} evaluations), estimated verify gas {}",
        r.target, e.shape.msm_terms, e.shape.proof_bytes, e.shape.proof_points, e.shape.evaluations, e.gas
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

/// The model's file, or the synthetic MLP's widths.
pub fn source_name(s: &Source) -> String {
    match s {
        Source::Onnx { path, .. } => path.display().to_string(),
        Source::SyntheticMlp { widths, seed } => {
            format!("synthetic MLP {} (seed {seed})", widths.iter().map(ToString::to_string).collect::<Vec<_>>().join("-"))
        }
    }
}

/// The last `n` characters of `s` (a layer name's distinguishing tail), `…` in front when cut.
fn truncate_front(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len <= n { s.to_string() } else { ['…'].into_iter().chain(s.chars().skip(len - (n - 1))).collect() }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

pub fn accuracy(m: &ModelArgs, data: &Path, layers: bool, json: bool) -> anyhow::Result<()> {
    let set = zkinfer::models::data::Dataset::load(data)?;
    let report = verbs::accuracy(&m.options(), &set)?;
    if json {
        return print_json(&report);
    }
    let (r, calib, bits) = (&report.accuracy, &report.calibration, report.bits);
    let pct = |v: Option<f64>| v.map(|x| format!("{:.2}%", 100.0 * x)).unwrap_or_else(|| "n/a (no labels)".into());
    println!("model        {}   ({bits}-bit activations, calibration: {calib})", source_name(&report.source));
    match r.positions {
        1 => println!("samples      {}", r.samples),
        n => println!("samples      {} ({n} predictions each: argmax over the last axis)", r.samples),
    }
    println!("float acc    {}", pct(r.float_accuracy));
    println!("quant acc    {}", pct(r.quant_accuracy));
    println!("argmax agree {:.2}%", 100.0 * r.argmax_agreement);
    println!("max |err|    {:.5}", r.max_abs_error);
    println!("mean |err|   {:.5}", r.mean_abs_error);
    println!("out of range {}", r.out_of_range);
    for (layer, n) in &r.out_of_range_layers {
        println!("  {n} at {layer}");
    }
    if layers {
        println!("{:<48} {:>6} {:>10} {:>7} {:>10} {:>10}", "layer", "scale", "max |x|", "range", "max |err|", "mean |err|");
        for l in &report.layers {
            let fmax = if l.float_tensor.is_some() { format!("{:.4}", l.float_max) } else { "-".into() };
            println!(
                "{:<48} {:>6} {:>10} {:>6.1}% {:>10.5} {:>10.5}",
                truncate_front(&l.layer, 48),
                l.scale,
                fmax,
                100.0 * l.range_used,
                l.max_abs_error,
                l.mean_abs_error
            );
        }
    }
    Ok(())
}
