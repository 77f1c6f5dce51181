//! `zkinfer estimate`: predicted circuit size, time and memory per backend, before any key.
use zkinfer::estimate;

use super::ModelArgs;

pub fn estimate(m: &ModelArgs, json: bool) -> anyhow::Result<()> {
    let (c, _) = m.compiled()?;
    let backends: Vec<_> = m.backend.into_iter().collect();
    let e = estimate::estimate(&c, &backends)?;
    if json {
        let v = serde_json::json!({ "estimate": e, "calibration": c.calibration, "default_calibration": c.calibration.calibration.is_range() });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let z = &e.circuit;
    println!("model hash  {}", e.model_hash);
    println!("calibration {}", c.calibration.calibration);
    println!(
        "circuit     k = {}, width {}, {} rows, {} advice / {} fixed columns, {} lookups (exact)",
        z.k, z.width, z.rows, z.advice_columns, z.fixed_columns, z.lookups
    );
    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    println!("{:<8} {:>10} {:>10} {:>14} {:>14}", "backend", "setup", "prove", "setup memory", "prove memory");
    for b in &e.backends {
        println!(
            "{:<8} {:>8.2} s {:>8.2} s {:>10.0} MiB {:>10.0} MiB",
            b.backend.to_string(), b.setup_s, b.prove_s, mib(b.setup_peak_memory_bytes), mib(b.prove_peak_memory_bytes)
        );
    }
    println!("predicted by the cost model fitted {} on {} (setup: parameters cached)", e.fitted_at, e.machine);
    Ok(())
}
