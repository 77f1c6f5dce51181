//! `zkinfer compile`, `zkinfer setup` and `zkinfer prove`.
use std::path::Path;

use zkinfer::models::data::Dataset;
use zkinfer::verbs::{self, SetupReport};

use super::progress::Progress;
use super::{print_json, ModelArgs};

pub fn compile(m: &ModelArgs, out: &Path, json: bool) -> anyhow::Result<()> {
    let r = verbs::compile(&m.options(), out)?;
    if json {
        return print_json(&r);
    }
    println!("compiled    {}", r.compiled.display());
    println!("model hash  {}", r.model_hash);
    if r.public_hash != r.model_hash {
        println!("commitment  {} (hashed weights: what proofs carry)", r.public_hash);
    }
    println!("calibration {}", r.calibration.calibration);
    let z = &r.circuit;
    println!(
        "circuit     k = {}, width {}, {} rows, {} advice / {} fixed columns, {} lookups",
        z.k, z.width, z.rows, z.advice_columns, z.fixed_columns, z.lookups
    );
    Ok(())
}

/// Say on stderr what the report's defaults mean: the default calibration (the model's scales
/// then come from a declared input range, not from data) and the insecure KZG SRS.
fn notes(r: &SetupReport, json: bool) {
    if r.insecure_srs {
        super::evm::warn_insecure_srs();
    }
    if r.default_calibration && !json {
        eprintln!("note: calibration: {}", r.calibration.calibration);
    }
}

pub fn setup(m: &ModelArgs, out: &Path, json: bool) -> anyhow::Result<()> {
    let bar = Progress::new(json);
    let r = verbs::setup(&m.options(), out, &|msg| bar.step(msg));
    bar.finish();
    let r = r?;
    notes(&r, json);
    report(json, &r)
}

pub fn prove(m: &ModelArgs, input: &Path, out: &Path, json: bool, profile: bool) -> anyhow::Result<()> {
    let data = Dataset::load(input)?;
    let bar = Progress::new(json);
    let r = verbs::prove(&m.options(), &data, &input.display().to_string(), out, profile, &|msg| bar.step(msg));
    bar.finish();
    let r = r?;
    notes(&r, json);
    if !json && r.reused_compiled && r.reused_keys {
        println!("reused      {} and the keys in {} (no compile, no keygen)", zkinfer::compiled::COMPILED_FILE, out.display());
    }
    report(json, &r)?;
    if let (Some(p), false) = (&r.profile, json) {
        print!("{}", zkinfer::bench::profile::render(p));
    }
    Ok(())
}

fn report(json: bool, r: &SetupReport) -> anyhow::Result<()> {
    if json {
        return print_json(r);
    }
    println!("model hash  {}", r.model_hash);
    println!("identity    {}", r.identity);
    println!("circuit     k = {}, width {}, {} rows, {} advice / {} fixed columns", r.k, r.width, r.rows, r.advice_columns, r.fixed_columns);
    // Timings named `prove/<phase>` are the profile's (shown with --profile).
    for (name, secs) in r.timings_s.0.iter().filter(|(n, _)| !n.contains('/')) {
        println!("  {name:<10} {secs:>8.3} s");
    }
    if let Some(p) = &r.proof {
        println!("proof       {} bytes -> {}", p.proof_bytes, r.dir.join("proof.json").display());
        let vals = &p.output_dequantized;
        let show = |v: &[f64]| v.iter().map(|x| format!("{x:.4}")).collect::<Vec<_>>().join(", ");
        match r.batch {
            1 => println!("output      [{}] (scale 2^-{})", show(vals), p.output_scale),
            n => {
                println!("outputs     {n} samples (scale 2^-{})", p.output_scale);
                for (b, o) in vals.chunks((vals.len() / n).max(1)).enumerate() {
                    println!("  [{b}]        [{}]", show(o));
                }
            }
        }
    } else {
        println!("keys        {}", r.dir.display());
    }
    if let Some(b) = r.peak_memory_bytes {
        println!("peak memory {:.1} MiB", b as f64 / (1 << 20) as f64);
    }
    Ok(())
}
