//! The CLI as a user runs it: the main job on the zoo models, exit codes, and one clear error
//! line (no panic) for each kind of bad input.
mod common;

use common::*;

#[test]
fn prove_then_verify_mlp_from_the_cli() {
    let out = scratch("cli_mlp");
    let dir = path_str(&out);
    let o = zkinfer(&["prove", "--model", path_str(&zoo("mlp.onnx")), "--input", path_str(&zoo("input.json")), "--out", dir, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json report");
    for key in ["k", "rows", "proof_bytes", "peak_memory_bytes", "model_hash", "identity"] {
        assert!(!report[key].is_null(), "missing {key}: {report}");
    }
    assert!(report["timings_s"]["prove"].as_f64().is_some());
    let identity = report["identity"].as_str().unwrap().to_string();
    for f in ["proof.json", "vk.bin", "pk.bin", "settings.json"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }

    let proof = out.join("proof.json");
    let o = zkinfer(&["verify", "--proof", path_str(&proof)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&identity), "verify prints the identity it checked: {}", stdout(&o));
    assert!(stderr(&o).contains("only internal consistency was checked"), "{}", stderr(&o));
    let o = zkinfer(&["verify", "--proof", path_str(&proof), "--model-hash", &identity, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["identity"], identity.as_str());
    assert_eq!(v["identity_checked"], true);
    assert_eq!(v["output"], report["output"]);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));

    let o = zkinfer(&["verify", "--proof", path_str(&proof), "--model-hash", &"0".repeat(64)]);
    assert_clean_failure(&o, &["model identity mismatch"]);
    // `commit --weights fixed` publishes the same identity before any proof exists.
    let o = zkinfer(&["commit", "--model", path_str(&zoo("mlp.onnx")), "--weights", "fixed", "--out", path_str(&out.join("c.json")), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(c["identity"], identity.as_str(), "commit and prove derive one identity");

    // A second prove reuses the keys (no keygen step).
    let o = zkinfer(&["prove", "--model", path_str(&zoo("mlp.onnx")), "--input", path_str(&zoo("input.json")), "--out", dir, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r2: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(r2["timings_s"]["keygen"].is_null(), "keys should be reused: {r2}");
    assert!(!r2["timings_s"]["load_keys"].is_null());

    // A tampered proof file on disk is rejected with a non-zero exit.
    let text = std::fs::read_to_string(&proof).unwrap();
    let mut p: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = p["output"]["values"][0].as_i64().unwrap();
    p["output"]["values"][0] = serde_json::json!(first + 1);
    let bad = out.join("tampered.json");
    std::fs::write(&bad, p.to_string()).unwrap();
    let o = zkinfer(&["verify", "--proof", path_str(&bad), "--vk", path_str(&out.join("vk.bin"))]);
    assert_clean_failure(&o, &["proof rejected"]);
    // Truncated proof file.
    std::fs::write(&bad, &text[..text.len() / 3]).unwrap();
    let o = zkinfer(&["verify", "--proof", path_str(&bad), "--vk", path_str(&out.join("vk.bin"))]);
    assert_clean_failure(&o, &["malformed proof file"]);
}

#[test]
fn inspect_and_accuracy_tables() {
    let o = zkinfer(&["inspect", "--model", path_str(&zoo("cnn.onnx"))]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    for needle in ["conv+relu", "MACs", "k = "] {
        assert!(s.contains(needle), "{needle} not in {s}");
    }
    let o = zkinfer(&["inspect", "--model", path_str(&zoo("mlp.onnx")), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["model"]["macs"], 64 * 32 + 32 * 10);
    assert!(v["circuit"]["k"].as_u64().unwrap() <= 12);

    let o = zkinfer(&["accuracy", "--model", path_str(&zoo("mlp.onnx")), "--data", path_str(&zoo("digits_test.json")), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["accuracy"]["argmax_agreement"].as_f64().unwrap() >= 0.99, "{v}");
}

#[test]
fn missing_model_file() {
    let o = zkinfer(&["inspect", "--model", "/nonexistent/model.onnx", "--calibration", path_str(&zoo("input.json"))]);
    assert_clean_failure(&o, &["/nonexistent/model.onnx"]);
}

#[test]
fn truncated_and_non_onnx_files() {
    let d = scratch("cli_bad_onnx");
    let bytes = std::fs::read(zoo("mlp.onnx")).unwrap();
    let truncated = d.join("truncated.onnx");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let o = zkinfer(&["inspect", "--model", path_str(&truncated), "--calibration", path_str(&zoo("input.json"))]);
    assert_clean_failure(&o, &["truncated.onnx", "not a valid ONNX model"]);
    let text = d.join("text.onnx");
    std::fs::write(&text, "this is not a model").unwrap();
    let o = zkinfer(&["inspect", "--model", path_str(&text), "--calibration", path_str(&zoo("input.json"))]);
    assert_clean_failure(&o, &["text.onnx", "not a valid ONNX model"]);
}

#[test]
fn unsupported_ops_are_all_listed() {
    let o = zkinfer(&["inspect", "--model", path_str(&fixture("unsupported.onnx")), "--calibration", path_str(&zoo("input.json"))]);
    assert_clean_failure(&o, &["2 unsupported node(s)", "weird_sin", "Sin", "final_log_softmax", "Ln"]);
}

#[test]
fn wrong_length_and_non_finite_inputs() {
    let d = scratch("cli_bad_input");
    let model_path = zoo("mlp.onnx");
    let model = path_str(&model_path);
    let short = d.join("short.json");
    std::fs::write(&short, r#"{"input_data": [[0.1, 0.2, 0.3]]}"#).unwrap();
    let out = d.join("out");
    let o = zkinfer(&["prove", "--model", model, "--input", path_str(&short), "--out", path_str(&out)]);
    assert_clean_failure(&o, &["expected 64 values", "got 3"]);

    let values: Vec<String> = (0..64).map(|i| if i == 5 { "NaN".into() } else { "0.5".into() }).collect();
    let nan = d.join("nan.json");
    std::fs::write(&nan, format!(r#"{{"input_data": [[{}]]}}"#, values.join(","))).unwrap();
    let o = zkinfer(&["prove", "--model", model, "--input", path_str(&nan), "--out", path_str(&out)]);
    assert_clean_failure(&o, &["index 5", "NaN", "not a finite number"]);

    let values: Vec<String> = (0..64).map(|i| if i == 9 { "Infinity".into() } else { "0.5".into() }).collect();
    let inf = d.join("inf.json");
    std::fs::write(&inf, format!(r#"{{"input_data": [[{}]]}}"#, values.join(","))).unwrap();
    let o = zkinfer(&["prove", "--model", model, "--input", path_str(&inf), "--out", path_str(&out)]);
    assert_clean_failure(&o, &["index 9", "not a finite number"]);

    let o = zkinfer(&["prove", "--model", model, "--input", "/nonexistent/input.json", "--out", path_str(&out)]);
    assert_clean_failure(&o, &["/nonexistent/input.json"]);
}

#[test]
fn input_outside_the_calibrated_range_names_the_layer() {
    let d = scratch("cli_range");
    let values: Vec<String> = (0..64).map(|_| "1000.0".into()).collect();
    let big = d.join("big.json");
    std::fs::write(&big, format!(r#"{{"input_data": [[{}]]}}"#, values.join(","))).unwrap();
    let o = zkinfer(&["prove", "--model", path_str(&zoo("mlp.onnx")), "--input", path_str(&big), "--out", path_str(&d.join("o"))]);
    assert_clean_failure(&o, &["layer 'input'", "outside"]);
}
