//! `zkinfer export-web`.
use std::path::Path;

use zkinfer::web::{export_web, BundleFile};

pub fn export(proof: &Path, vk: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let e = export_web(proof, vk, &zkinfer::prover::ParamsCache::default())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    let show = |name: &str, f: &BundleFile| println!("{name:<11} {} ({} bytes, sha256 {})", f.path.display(), f.bytes, f.sha256);
    show("proof", &e.proof);
    show("vk", &e.vk);
    show("params", &e.params);
    println!("backend     {}, k = {}", e.backend, e.k);
    println!("identity    {}", e.identity);
    if e.insecure_srs {
        println!("note        the key uses the INSECURE test SRS: the page rejects it unless 'allow the insecure KZG test SRS' is ticked");
    }
    println!("next        ./web/build.sh && node web/serve.mjs, then open http://localhost:8017 and drop these three files");
    Ok(())
}
