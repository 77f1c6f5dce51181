//! `zkinfer verify`.
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use zkinfer::pipeline;

pub fn verify(proof: &Path, vk: Option<&Path>, hash: Option<&str>, json: bool) -> anyhow::Result<()> {
    let t = Instant::now();
    let v = pipeline::verify_files(proof, vk, hash, &zkinfer::prover::ParamsCache::default())?;
    let secs = t.elapsed().as_secs_f64();
    // A batch proof's output holds its N samples one after the other (the key says N).
    let vk_path = vk.map(Path::to_path_buf).unwrap_or_else(|| proof.parent().unwrap_or(Path::new(".")).join("vk.bin"));
    let n = std::fs::read(&vk_path)
        .ok()
        .and_then(|b| zkinfer::verifier::VkFile::from_bytes(&b).ok())
        .map_or(1, |k| k.header.circuit.batch.max(1));
    let per_sample: Vec<Vec<f64>> = match v.output_values.len() / n {
        0 => vec![],
        len => v.output_values.chunks(len).map(<[f64]>::to_vec).collect(),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "verified": true, "model_hash": v.model_hash, "output": v.output.values,
                "output_scale": v.output.scale, "output_dequantized": v.output_values, "verify_s": secs,
                "visibility": v.visibility, "input_hash": v.input_hash, "output_hash": v.output_hash,
                "batch": n, "outputs_dequantized": per_sample,
            }))?
        );
    } else {
        let vals: Vec<String> = v.output_values.iter().map(|x| format!("{x:.4}")).collect();
        println!("verified    proof for model {}", v.model_hash);
        match (&v.output_hash, v.visibility.output) {
            (Some(h), _) => println!("output hash {h}"),
            (None, zkinfer::circuits::TensorVisibility::Private) => println!("output      (private)"),
            _ if n == 1 => println!("output      [{}]", vals.join(", ")),
            _ => {
                println!("outputs     {n} samples");
                for (b, o) in per_sample.iter().enumerate() {
                    let vals: Vec<String> = o.iter().map(|x| format!("{x:.4}")).collect();
                    println!("  [{b}]        [{}]", vals.join(", "));
                }
            }
        }
        if let Some(h) = &v.input_hash {
            println!("input hash  {h}");
        }
        println!("time        {secs:.3} s");
    }
    Ok(())
}
