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
                "visibility": v.visibility, "input_hash": v.input_hash, "output_hash": v.output_hash,
            }))?
        );
    } else {
        let vals: Vec<String> = v.output_values.iter().map(|x| format!("{x:.4}")).collect();
        println!("verified    proof for model {}", v.model_hash);
        match (&v.output_hash, v.visibility.output) {
            (Some(h), _) => println!("output hash {h}"),
            (None, zkinfer::circuits::TensorVisibility::Private) => println!("output      (private)"),
            _ => println!("output      [{}]", vals.join(", ")),
        }
        if let Some(h) = &v.input_hash {
            println!("input hash  {h}");
        }
        println!("time        {secs:.3} s");
    }
    Ok(())
}
