//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]
pub mod evm;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn zoo(file: &str) -> PathBuf {
    root().join("models").join("zoo").join(file)
}

pub fn fixture(file: &str) -> PathBuf {
    root().join("tests").join("fixtures").join(file)
}

/// A fresh scratch directory under the target dir (kept small; removed at the start).
pub fn scratch(name: &str) -> PathBuf {
    let d = root().join("target").join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Parameter cache shared by all tests (IPA parameters are deterministic).
pub fn cache_dir() -> PathBuf {
    root().join("target").join("test-params")
}

/// Run the CLI binary.
pub fn zkinfer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .env("ZKINFER_CACHE", cache_dir())
        .output()
        .expect("run zkinfer")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Asserts a failed run that printed exactly one `error:` line naming `needle`, and no panic.
pub fn assert_clean_failure(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure, stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    for n in needles {
        assert!(lines[0].contains(n), "'{n}' not in: {err}");
    }
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `zkinfer prove` of `model` (extra flags `flags`) on `input` from the CLI, then `zkinfer
/// verify` against the identity the prove printed: asserts the proof verifies, that the
/// proved output (the integer values in proof.json) equals `reference`, and that the same
/// proof with one output value changed is rejected. Returns the prove report.
pub fn prove_verify_cli(name: &str, model: &Path, input: &Path, flags: &[&str], reference: &[i64]) -> serde_json::Value {
    let out = scratch(name);
    let dir = out.to_str().expect("utf-8 path");
    let mut args = vec!["prove", "--model", model.to_str().unwrap(), "--input", input.to_str().unwrap(), "--out", dir, "--json"];
    args.extend_from_slice(flags);
    let o = zkinfer(&args);
    assert!(o.status.success(), "{name}: {}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json report");
    let identity = report["identity"].as_str().expect("identity").to_string();
    let proof = out.join("proof.json");
    let o = zkinfer(&["verify", "--proof", proof.to_str().unwrap(), "--model-hash", &identity, "--allow-insecure-srs", "--json"]);
    assert!(o.status.success(), "{name}: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verified"], true, "{name}");
    let text = std::fs::read_to_string(&proof).unwrap();
    let mut p: serde_json::Value = serde_json::from_str(&text).unwrap();
    let values: Vec<i64> = p["output"]["values"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
    assert_eq!(values, reference, "{name}: the proved output is the integer reference");
    p["output"]["values"][0] = serde_json::json!(values[0] + 1);
    let bad = out.join("tampered.json");
    std::fs::write(&bad, p.to_string()).unwrap();
    let o = zkinfer(&["verify", "--proof", bad.to_str().unwrap(), "--model-hash", &identity, "--allow-insecure-srs"]);
    assert!(!o.status.success(), "{name}: a changed output verified");
    report
}
