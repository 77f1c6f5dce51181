//! The browser verifier's Rust side, run natively: `zkinfer export-web` writes a bundle that
//! `zkinfer_verifier_wasm::verify_bundle` (what the page's WebAssembly module runs) accepts for
//! IPA and KZG; a changed output, a wrong identity and the insecure SRS (unless allowed) are
//! rejected; and mutated keys, proofs and parameters never panic. The module is built with
//! `panic = abort`, where a panic would trap instead of returning the reason, so a panic hook
//! counts every panic, caught or not (the verifier's own `catch_unwind` would hide them here).
//! The same checks in Chromium: `web/test/browser.mjs`, run by `.ci/run`.
mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use serde_json::Value;
use zkinfer_verifier_wasm::{verify_bundle, Bundle, IpaCache, Options};

static PANICS: AtomicUsize = AtomicUsize::new(0);

struct Files {
    proof: Vec<u8>,
    vk: Vec<u8>,
    params: Vec<u8>,
}

fn bundle_dir(backend: &str) -> (PathBuf, Value) {
    let out = scratch(&format!("web_{backend}"));
    let o = zkinfer(&[
        "prove", "--model", path_str(&zoo("mlp.onnx")), "--input", path_str(&zoo("input.json")), "--out", path_str(&out),
        "--backend", backend, "--width", "4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = zkinfer(&["export-web", "--proof", path_str(&out.join("proof.json")), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).expect("export-web --json");
    (out, report)
}

fn read(dir: &std::path::Path) -> Files {
    let r = |f: &str| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    Files { proof: r("proof.json"), vk: r("vk.bin"), params: r("params.bin") }
}

fn run(f: &Files, expected: Option<&str>, allow_insecure_srs: bool, cache: &mut IpaCache) -> Value {
    let b = Bundle { proof_json: &f.proof, vk: &f.vk, params: &f.params, expected_identity: expected };
    verify_bundle(&b, Options { allow_insecure_srs }, cache)
}

fn flipped(bytes: &[u8], at: usize, mask: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at] ^= mask;
    b
}

/// Spread `n` positions over `[from, len)`.
fn spread(from: usize, len: usize, n: usize) -> Vec<usize> {
    (0..n).map(|i| from + i * (len - from) / n).collect()
}

fn proof_json_with(f: &Files, change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&f.proof).unwrap();
    change(&mut v);
    v.to_string().into_bytes()
}

fn mutants(f: &Files, backend: &str) -> Vec<(String, Files, bool)> {
    let mut m = Vec::new();
    let with = |proof: Option<Vec<u8>>, vk: Option<Vec<u8>>, params: Option<Vec<u8>>| Files {
        proof: proof.unwrap_or_else(|| f.proof.clone()),
        vk: vk.unwrap_or_else(|| f.vk.clone()),
        params: params.unwrap_or_else(|| f.params.clone()),
    };
    // Some key bytes may change without changing the verdict (descriptive header text such as
    // the SRS label, selector bits that halo2 only uses to lay out the constraint system), so
    // flips need only not panic; cut keys must be rejected.
    for at in spread(0, f.vk.len(), 48) {
        for mask in [0x01, 0x80] {
            m.push((format!("vk byte {at} ^ {mask:#x}"), with(None, Some(flipped(&f.vk, at, mask)), None), false));
        }
    }
    for len in spread(0, f.vk.len(), 16) {
        m.push((format!("vk cut to {len} bytes"), with(None, Some(f.vk[..len].to_vec()), None), true));
    }
    m.push(("vk with a trailing byte".into(), with(None, Some([f.vk.as_slice(), &[0]].concat()), None), true));
    for at in spread(0, f.params.len(), 12) {
        m.push((format!("params byte {at} ^ 0x40"), with(None, None, Some(flipped(&f.params, at, 0x40))), false));
    }
    // From 1 byte: an empty params.bin means "generate them" for IPA (accepted).
    for len in spread(1, f.params.len(), 6) {
        m.push((format!("params cut to {len} bytes"), with(None, None, Some(f.params[..len].to_vec())), true));
    }
    let proof_hex: String = serde_json::from_slice::<Value>(&f.proof).unwrap()["proof"].as_str().unwrap().to_string();
    let bytes = hex::decode(&proof_hex).unwrap();
    for at in spread(0, bytes.len(), 12) {
        let p = hex::encode(flipped(&bytes, at, 0x02));
        m.push((format!("proof byte {at} ^ 0x02"), with(Some(proof_json_with(f, |v| v["proof"] = p.into())), None, None), true));
    }
    for len in spread(0, bytes.len(), 6) {
        let p = hex::encode(&bytes[..len]);
        m.push((format!("proof cut to {len} bytes"), with(Some(proof_json_with(f, |v| v["proof"] = p.into())), None, None), true));
    }
    let p = hex::encode([bytes.as_slice(), &[7; 32]].concat());
    m.push(("proof with trailing bytes".into(), with(Some(proof_json_with(f, |v| v["proof"] = p.into())), None, None), true));
    let json_changes: Vec<(&str, Box<dyn Fn(&mut Value)>)> = vec![
        ("k = 30", Box::new(|v| v["k"] = 30.into())),
        ("k = 0", Box::new(|v| v["k"] = 0.into())),
        ("other backend", Box::new(move |v| v["backend"] = (if backend == "ipa" { "kzg" } else { "ipa" }).into())),
        ("one output value fewer", Box::new(|v| { v["output"]["values"].as_array_mut().unwrap().pop(); })),
        ("output shape [1, 1000000]", Box::new(|v| v["output"]["shape"] = serde_json::json!([1, 1000000]))),
        ("huge output value", Box::new(|v| v["output"]["values"][0] = i64::MAX.into())),
        ("model hash not hex", Box::new(|v| v["model_hash"] = "xyz".into())),
        ("format 2", Box::new(|v| v["format"] = 2.into())),
    ];
    for (what, change) in json_changes {
        m.push((format!("proof.json: {what}"), with(Some(proof_json_with(f, |v| change(v))), None, None), true));
    }
    m
}

#[test]
fn export_web_bundles_verify_in_the_page_verifier_and_hostile_files_never_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
    for backend in ["ipa", "kzg"] {
        let (dir, report) = bundle_dir(backend);
        assert_eq!(report["backend"], backend);
        let f = read(&dir);
        assert_eq!(report["params"]["bytes"].as_u64(), Some(f.params.len() as u64));
        let proof: Value = serde_json::from_slice(&f.proof).unwrap();
        let hash = proof["model_hash"].as_str().unwrap();
        let vk = zkinfer::verifier::VkFile::from_bytes(&f.vk).unwrap();
        let identity = zkinfer::verifier::model_identity(&vk, None).unwrap().to_string();
        assert_eq!(report["identity"], identity.as_str());
        let kzg = backend == "kzg";
        let mut cache = IpaCache::default();

        let v = run(&f, Some(&identity), kzg, &mut cache);
        assert_eq!(v["verified"], true, "{backend}: {v}");
        assert_eq!(v["identity"], identity.as_str());
        assert_eq!(v["identity_checked"], true);
        assert_eq!(v["model_hash"], hash);
        assert_eq!(v["params"]["source"], "file");
        let out: Vec<i64> = proof["output"]["values"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
        let best = (0..out.len()).fold(0, |b, i| if out[i] > out[b] { i } else { b });
        assert_eq!(v["predicted_class"], best);

        let wrong = run(&f, Some(&"0".repeat(64)), kzg, &mut cache);
        assert_eq!(wrong["verified"], false);
        assert!(wrong["error"].as_str().unwrap().contains("model identity mismatch"), "{wrong}");

        let changed = Files { proof: proof_json_with(&f, |v| v["output"]["values"][0] = (out[0] + 1).into()), vk: f.vk.clone(), params: f.params.clone() };
        let r = run(&changed, None, kzg, &mut cache);
        assert_eq!(r["verified"], false);
        assert!(r["error"].as_str().unwrap().starts_with("proof rejected"), "{r}");
        assert_eq!(r["claimed_model_hash"], hash);

        if kzg {
            let r = run(&f, None, false, &mut cache);
            assert!(r["error"].as_str().unwrap().contains("INSECURE"), "{r}");
            // Relabelled, the insecure SRS is still recognised by its [tau]G2.
            let relabelled = String::from_utf8_lossy(&f.vk).replace("insecure-fixed-seed", "insecure-fixed-seeD");
            let relabelled = Files { vk: relabelled.into_bytes(), proof: f.proof.clone(), params: f.params.clone() };
            let r = run(&relabelled, None, false, &mut cache);
            assert!(r["error"].as_str().unwrap().contains("INSECURE"), "{r}");
            let no_params = Files { params: Vec::new(), proof: f.proof.clone(), vk: f.vk.clone() };
            let r = run(&no_params, None, true, &mut cache);
            assert!(r["error"].as_str().unwrap().contains("params.bin"), "{r}");
        }

        let before = PANICS.load(Ordering::SeqCst);
        for (what, m, must_reject) in mutants(&f, backend) {
            let v = run(&m, None, true, &mut cache);
            assert!(v["verified"].is_boolean(), "{backend}, {what}: {v}");
            if must_reject {
                assert_eq!(v["verified"], false, "{backend}, {what} was accepted");
                assert!(!v["error"].as_str().unwrap_or("").is_empty(), "{backend}, {what}: no reason");
            }
        }
        assert_eq!(PANICS.load(Ordering::SeqCst), before, "{backend}: a mutated file made the verifier panic (see above)");
        // The cache still gives the honest answer after all that.
        assert_eq!(run(&f, Some(&identity), kzg, &mut cache)["verified"], true);
    }
    let _ = std::panic::take_hook();
}
