//! `zkinfer verify` and `zkinfer params`.
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use zkinfer::prover::{Backend, ParamsCache};
use zkinfer::verbs::{self, Trust};

/// What a verification without a trusted identity or key establishes, said plainly.
pub const UNCHECKED_NOTE: &str = "only internal consistency was checked: the proof verifies with the key beside it, \
     but nothing ties that key to a model you trust; pass --model-hash ID (from `zkinfer commit`) or --vk KEY you trust";

pub fn verify(proof: &Path, vk: Option<&Path>, hash: Option<&str>, allow_insecure_srs: bool, json: bool) -> anyhow::Result<()> {
    let v = verbs::verify(proof, vk, hash, allow_insecure_srs, &ParamsCache::default())?;
    if json {
        return super::print_json(&v);
    }
    let n = v.batch;
    let vals: Vec<String> = v.output_dequantized.iter().map(|x| format!("{x:.4}")).collect();
    println!("verified    proof for model identity {}", v.identity);
    match v.trusted {
        Trust::Identity => println!("identity    matches the one you expected"),
        Trust::PinnedKey => println!("key         the one you pinned with --vk"),
        Trust::Nothing => eprintln!("warning: {UNCHECKED_NOTE}"),
    }
    match (&v.output_hash, v.visibility.output) {
        (Some(h), _) => println!("output hash {h}"),
        (None, zkinfer::circuits::TensorVisibility::Private) => println!("output      (private)"),
        _ if n == 1 => println!("output      [{}]", vals.join(", ")),
        _ => {
            println!("outputs     {n} samples");
            for (b, o) in v.outputs_dequantized.iter().enumerate() {
                let vals: Vec<String> = o.iter().map(|x| format!("{x:.4}")).collect();
                println!("  [{b}]        [{}]", vals.join(", "));
            }
        }
    }
    if let Some(h) = &v.input_hash {
        println!("input hash  {h}");
    }
    println!("time        {:.3} s", v.verify_s);
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
