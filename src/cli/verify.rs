//! `zkinfer verify` and `zkinfer params`.
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use zkinfer::pipeline;
use zkinfer::prover::{Backend, ParamsCache};
use zkinfer::verifier::VerifyOptions;

/// What a verification without a trusted identity or key establishes, said plainly.
pub const UNCHECKED_NOTE: &str = "only internal consistency was checked: the proof verifies with the key beside it, \
     but nothing ties that key to a model you trust; pass --model-hash ID (from `zkinfer commit`) or --vk KEY you trust";

pub fn verify(proof: &Path, vk: Option<&Path>, hash: Option<&str>, allow_insecure_srs: bool, json: bool) -> anyhow::Result<()> {
    let t = Instant::now();
    let opts = VerifyOptions { expected_identity: hash, allow_insecure_srs };
    let v = pipeline::verify_files(proof, vk, &opts, &ParamsCache::default())?;
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
    let trusted = match (v.identity_checked, vk.is_some()) {
        (true, _) => "identity",
        (false, true) => "pinned key",
        (false, false) => "none",
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "verified": true, "identity": v.identity.to_string(), "identity_checked": v.identity_checked,
                "trusted": trusted, "model_hash": v.model_hash, "output": v.output.values,
                "output_scale": v.output.scale, "output_dequantized": v.output_values, "verify_s": secs,
                "visibility": v.visibility, "input_hash": v.input_hash, "output_hash": v.output_hash,
                "batch": n, "outputs_dequantized": per_sample,
            }))?
        );
    } else {
        let vals: Vec<String> = v.output_values.iter().map(|x| format!("{x:.4}")).collect();
        println!("verified    proof for model identity {}", v.identity);
        match trusted {
            "identity" => println!("identity    matches the one you expected"),
            "pinned key" => println!("key         the one you pinned with --vk"),
            _ => eprintln!("warning: {UNCHECKED_NOTE}"),
        }
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

/// `zkinfer params --k K`: generate (or find cached) parameters, explicitly.
pub fn params(k: u32, backend: Backend, cache: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let cache = match cache {
        Some(d) => ParamsCache::new(d),
        None => ParamsCache::default(),
    };
    let t = Instant::now();
    let path = match backend {
        Backend::Ipa => {
            cache.ipa(k)?;
            cache.ipa_path(k)
        }
        Backend::Kzg => {
            super::evm::warn_insecure_srs();
            cache.kzg_insecure(k)?;
            cache.kzg_insecure_path(k)
        }
    };
    let secs = t.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string_pretty(&json!({ "backend": backend, "k": k, "path": path, "seconds": secs }))?);
    } else {
        println!("parameters  {backend}, k = {k}: {} ({secs:.2} s)", path.display());
    }
    Ok(())
}
