//! `zkinfer setup` and `zkinfer prove`.
use std::path::Path;

use serde_json::json;
use zkinfer::compiled::CompiledModel;
use zkinfer::models::data::Dataset;
use zkinfer::pipeline;
use zkinfer::report::{peak_memory_bytes, Timings};

use super::progress::Progress;
use super::ModelArgs;

pub fn compile(m: &ModelArgs, out: &Path, json: bool) -> anyhow::Result<()> {
    let mut t = Timings::default();
    let (c, _) = t.time("compile", || m.compiled())?;
    let path = c.write(out)?;
    if json {
        let timings: serde_json::Map<String, serde_json::Value> = t.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let v = json!({
            "compiled": path, "model_hash": c.model_hash, "public_hash": c.public_hash, "calibration": c.calibration,
            "default_calibration": c.calibration.calibration.is_range(), "settings": c.settings, "circuit": c.circuit,
            "source": c.source, "timings_s": timings,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("compiled    {}", path.display());
    println!("model hash  {}", c.model_hash);
    if c.public_hash != c.model_hash {
        println!("commitment  {} (hashed weights: what proofs carry)", c.public_hash);
    }
    println!("calibration {}", c.calibration.calibration);
    let z = &c.circuit;
    println!(
        "circuit     k = {}, width {}, {} rows, {} advice / {} fixed columns, {} lookups",
        z.k, z.width, z.rows, z.advice_columns, z.fixed_columns, z.lookups
    );
    Ok(())
}

/// Say on stderr when the default calibration is in use (the model's scales then come from a
/// declared input range, not from data).
fn note_calibration(p: &pipeline::Prepared, json: bool) {
    if p.calibration.is_range() && !json {
        eprintln!("note: calibration: {}", p.calibration);
    }
}

pub fn setup(m: &ModelArgs, out: &Path, json: bool) -> anyhow::Result<()> {
    let mut t = Timings::default();
    let (c, p, _) = t.time("load", || m.compile_into(out))?;
    m.check_backend_options(c.settings.backend)?;
    note_calibration(&p, json);
    let bar = Progress::new(json);
    let s = pipeline::setup(&p, &c.settings, out, &m.cache(), false, &mut t, &|msg| bar.step(msg));
    bar.finish();
    let s = s?;
    let identity = pipeline::identity_of_setup(&p, &c.settings, &s)?;
    report(json, &t, &s, &c, &identity.to_string(), None, false, out)
}

/// Keys for the compiled model `compiled` in `dir` (KZG: with the SRS `srs`), generated unless
/// `dir` already holds them: what `create-evm-verifier --compiled` runs first.
pub fn ensure_keys(compiled: &Path, dir: &Path, srs: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let c = CompiledModel::read(compiled)?;
    let p = c.prepared()?;
    if CompiledModel::read(dir).map(|d| d != c).unwrap_or(true) {
        c.write(dir)?;
    }
    let mut cache = zkinfer::prover::ParamsCache::default();
    if let Some(path) = srs {
        cache = cache.with_srs(zkinfer::prover::SrsFile { path: path.to_path_buf(), sha256: None });
    }
    let bar = Progress::new(json);
    let s = pipeline::setup(&p, &c.settings, dir, &cache, true, &mut Timings::default(), &|msg| bar.step(msg));
    bar.finish();
    s?;
    Ok(())
}

pub fn prove(m: &ModelArgs, input: &Path, out: &Path, json: bool, profile: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut t = Timings::default();
    let data = Dataset::load(input)?;
    let (mut c, mut p, mut compiled_reused) = t.time("load", || m.compile_into(out))?;
    let samples = pipeline::batch_samples(&data, &p.quant.input_shape).map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
    if let Some(n) = m.batch.filter(|&n| n != samples.len()) {
        anyhow::bail!(
            "{}: {} samples, but --batch {n} (one list per sample, or one list of {n} x {} values)",
            input.display(),
            samples.len(),
            p.quant.input_shape.iter().product::<usize>()
        );
    }
    if c.settings.circuit.batch != samples.len() {
        if m.compiled.is_some() {
            anyhow::bail!(
                "{}: {} samples, but the compiled model proves batches of {} (compile it with --batch {})",
                input.display(),
                samples.len(),
                c.settings.circuit.batch,
                samples.len()
            );
        }
        // The batch size is part of the compiled settings: compile for this file's N.
        let with_batch = ModelArgs { batch: Some(samples.len()), ..m.clone() };
        (c, p, compiled_reused) = t.time("load", || with_batch.compile_into(out))?;
    }
    m.check_backend_options(c.settings.backend)?;
    note_calibration(&p, json);
    let bar = Progress::new(json);
    let result = (|| {
        let s = pipeline::setup(&p, &c.settings, out, &m.cache(), true, &mut t, &|msg| bar.step(msg))?;
        let proof = pipeline::prove_batch(&p, &c.settings, &s, &samples, out, &mut t, &|msg| bar.step(msg))?;
        Ok::<_, anyhow::Error>((s, proof))
    })();
    bar.finish();
    let (s, proof) = result?;
    if !json && compiled_reused && s.reused {
        println!("reused      {} and the keys in {} (no compile, no keygen)", zkinfer::compiled::COMPILED_FILE, out.display());
    }
    let identity = t.time("identity", || pipeline::identity_of_setup(&p, &c.settings, &s))?;
    let prof = profile.then(|| {
        let pk = &s.keys.pk;
        let facts = zkinfer::prover::CircuitFacts::of(pk);
        let eq = zkinfer::prover::CircuitFacts::equality_kinds(pk);
        zkinfer::bench::profile::from_timings(&t, started.elapsed().as_secs_f64(), facts, eq, &s.spec)
    });
    if let (Some(pr), true) = (&prof, json) {
        let mut v = report_json(&t, &s, &c, &identity.to_string(), Some(&proof), compiled_reused, out)?;
        v["profile"] = json!(pr);
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    report(json, &t, &s, &c, &identity.to_string(), Some(&proof), compiled_reused, out)?;
    if let Some(pr) = &prof {
        print!("{}", zkinfer::bench::profile::render(pr));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn report(
    json: bool,
    t: &Timings,
    s: &pipeline::SetupOutput,
    c: &CompiledModel,
    identity: &str,
    proof: Option<&zkinfer::verifier::ProofFile>,
    compiled_reused: bool,
    out: &Path,
) -> anyhow::Result<()> {
    let spec = &s.spec;
    let hash = proof.map(|p| p.model_hash.as_str()).unwrap_or(c.public_hash.as_str());
    let proof_size = proof.map(|p| p.proof.len() / 2);
    let peak = peak_memory_bytes();
    if json {
        let v = report_json(t, s, c, identity, proof, compiled_reused, out)?;
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("model hash  {hash}");
    println!("identity    {identity}");
    println!("circuit     k = {}, width {}, {} rows, {} advice / {} fixed columns", spec.k, spec.params.width, spec.rows, spec.advice_columns, spec.fixed_columns);
    for (name, secs) in t.0.iter().filter(|(n, _)| !n.contains('/')) {
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

/// The `--json` report of `setup` / `prove`.
fn report_json(
    t: &Timings,
    s: &pipeline::SetupOutput,
    c: &CompiledModel,
    identity: &str,
    proof: Option<&zkinfer::verifier::ProofFile>,
    compiled_reused: bool,
    out: &Path,
) -> anyhow::Result<serde_json::Value> {
    let spec = &s.spec;
    let hash = proof.map(|p| p.model_hash.as_str()).unwrap_or(c.public_hash.as_str());
    let timings: serde_json::Map<String, serde_json::Value> = t.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let mut v = json!({
        "model_hash": hash, "identity": identity, "k": spec.k, "width": spec.params.width, "rows": spec.rows, "advice_columns": spec.advice_columns,
        "fixed_columns": spec.fixed_columns, "lookups": spec.lookup_arguments,
        "timings_s": timings, "peak_memory_bytes": peak_memory_bytes(), "dir": out,
        "reused_keys": s.reused, "reused_compiled": compiled_reused, "compiled": out.join(zkinfer::compiled::COMPILED_FILE),
        "calibration": c.calibration, "default_calibration": c.calibration.calibration.is_range(),
    });
    if let Some(p) = proof {
        v["proof_bytes"] = json!(p.proof.len() / 2);
        v["output"] = json!(p.output.values);
        v["output_scale"] = json!(p.output.scale);
        v["output_dequantized"] = json!(p.output.dequantize());
        v["visibility"] = json!(p.visibility);
        v["input_hash"] = json!(p.input_hash);
        v["output_hash"] = json!(p.output_hash);
    }
    Ok(v)
}
