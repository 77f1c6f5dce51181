//! `zkinfer estimate`: predicted circuit size, time and memory per backend, before any key.
use zkinfer::verbs;

use super::{print_json, ModelArgs};

pub fn estimate(m: &ModelArgs, json: bool) -> anyhow::Result<()> {
    let r = verbs::estimate(&m.options())?;
    if json {
        return print_json(&r);
    }
    let e = &r.estimate;
    let z = &e.circuit;
    println!("model hash  {}", e.model_hash);
    println!("calibration {}", r.calibration.calibration);
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
