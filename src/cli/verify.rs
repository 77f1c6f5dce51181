//! `zkinfer verify`.
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use zkinfer::pipeline;

pub fn verify(proof: &Path, vk: Option<&Path>, hash: Option<&str>, json: bool) -> anyhow::Result<()> {
    let t = Instant::now();
    let v = pipeline::verify_files(proof, vk, hash, &zkinfer::prover::ParamsCache::default())?;
    let secs = t.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "verified": true, "model_hash": v.model_hash, "output": v.output.values,
                "output_scale": v.output.scale, "output_dequantized": v.output_values, "verify_s": secs,
            }))?
        );
    } else {
        let vals: Vec<String> = v.output_values.iter().map(|x| format!("{x:.4}")).collect();
        println!("verified    proof for model {}", v.model_hash);
        println!("output      [{}]", vals.join(", "));
        println!("time        {secs:.3} s");
    }
    Ok(())
}
