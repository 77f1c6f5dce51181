//! Compile once, prove many: one compiled model gives one identity and one verifying key for
//! every input; calibration files in both layouts; models without calibration data; PyTorch's
//! external-data files; `estimate`'s exact part; and one clear line for each bad input.
mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Sample `i` of the test digits as an input file.
fn digit(dir: &Path, i: usize) -> std::path::PathBuf {
    let set: Value = serde_json::from_str(&std::fs::read_to_string(zoo("digits_test.json")).unwrap()).unwrap();
    let path = dir.join(format!("digit{i}.json"));
    std::fs::write(&path, serde_json::json!({ "input_data": [set["input_data"][i]] }).to_string()).unwrap();
    path
}

#[test]
fn ten_inputs_one_identity_one_key_and_no_setup_after_the_first() {
    let d = scratch("compiled_ten");
    let out = d.join("out");
    let model = zoo("mlp.onnx");
    let mut hashes = vec![];
    let mut identities = vec![];
    let mut vk: Option<Vec<u8>> = None;
    let mut first: Option<Value> = None;
    for i in 0..10 {
        let input = digit(&d, i);
        let r = json(&zkinfer(&["prove", "--model", path_str(&model), "--input", path_str(&input), "--out", path_str(&out), "--json"]));
        let t = &r["timings_s"];
        if i == 0 {
            assert!(t["keygen"].as_f64().is_some(), "the first proof runs setup: {r}");
            assert_eq!(r["reused_keys"], false);
        } else {
            assert!(t["keygen"].is_null(), "proof {i} ran keygen: {r}");
            assert_eq!(r["reused_keys"], true, "{r}");
            assert_eq!(r["reused_compiled"], true, "{r}");
        }
        hashes.push(r["model_hash"].as_str().unwrap().to_string());
        identities.push(r["identity"].as_str().expect("identity").to_string());
        let bytes = std::fs::read(out.join("vk.bin")).unwrap();
        assert_eq!(vk.get_or_insert_with(|| bytes.clone()), &bytes, "proof {i} changed the verifying key");
        first.get_or_insert(r);
    }
    assert!(hashes.iter().all(|h| h == &hashes[0]), "{hashes:?}");
    assert!(identities.iter().all(|h| h == &identities[0]), "{identities:?}");
    let o = zkinfer(&["verify", "--proof", path_str(&out.join("proof.json")), "--model-hash", &identities[0]]);
    assert!(o.status.success(), "{}", stderr(&o));

    // The compiled model in DIR names the same identity; `estimate` gives the circuit setup built.
    let c: Value = serde_json::from_str(&std::fs::read_to_string(out.join("compiled.json")).unwrap()).unwrap();
    assert_eq!(c["model_hash"].as_str(), Some(hashes[0].as_str()));
    let e = json(&zkinfer(&["estimate", "--compiled", path_str(&out), "--json"]));
    let (e, r) = (&e["estimate"]["circuit"], first.unwrap());
    for key in ["k", "rows", "advice_columns", "fixed_columns", "width"] {
        assert_eq!(e[key], r[key], "{key}: estimate {e} against setup {r}");
    }
    assert_eq!(e["lookups"], r["lookups"]);

    // Proving from the compiled file into another directory: same identity, one keygen there.
    let other = d.join("other");
    let r = json(&zkinfer(&[
        "prove", "--compiled", path_str(&out.join("compiled.json")), "--input", path_str(&digit(&d, 3)), "--out", path_str(&other), "--json",
    ]));
    assert_eq!(r["model_hash"].as_str(), Some(hashes[0].as_str()));
    assert_eq!(r["identity"].as_str(), Some(identities[0].as_str()));
    assert_eq!(std::fs::read(other.join("vk.bin")).unwrap(), vk.unwrap());
}

#[test]
fn without_calibration_data_the_identity_does_not_depend_on_the_input() {
    // A model with no calibration.json beside it: the default input range, never the input.
    let d = scratch("compiled_default_calibration");
    let model = d.join("mlp.onnx");
    std::fs::copy(zoo("mlp.onnx"), &model).unwrap();
    let c = json(&zkinfer(&["compile", "--model", path_str(&model), "--out", path_str(&d.join("c")), "--json"]));
    assert_eq!(c["default_calibration"], true, "{c}");
    assert_eq!(c["calibration"]["calibration"]["input_range"], serde_json::json!([-1.0, 1.0]));
    let o = zkinfer(&["prove", "--model", path_str(&model), "--input", path_str(&digit(&d, 7)), "--out", path_str(&d.join("p"))]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("no calibration data"), "the default calibration is announced: {}", stderr(&o));
    let proof: Value = serde_json::from_str(&std::fs::read_to_string(d.join("p").join("proof.json")).unwrap()).unwrap();
    assert_eq!(proof["model_hash"], c["model_hash"]);
    // Another range is another model.
    let c2 = json(&zkinfer(&["compile", "--model", path_str(&model), "--input-range", "0,1", "--out", path_str(&d.join("c2")), "--json"]));
    assert_ne!(c2["model_hash"], c["model_hash"]);

    // inspect works without calibration data, and says so.
    let o = zkinfer(&["inspect", "--model", path_str(&model)]);
    assert!(o.status.success(), "{}", stderr(&o));
    for needle in ["default, no calibration data", "[-1, 1]", "MACs", "k = "] {
        assert!(stdout(&o).contains(needle), "{needle} not in {}", stdout(&o));
    }
}

#[test]
fn flat_ezkl_and_per_sample_calibration_files_give_the_same_compiled_model() {
    let d = scratch("compiled_flat");
    let cal: Value = serde_json::from_str(&std::fs::read_to_string(zoo("calibration.json")).unwrap()).unwrap();
    let samples = cal["input_data"].as_array().unwrap();
    let per = d.join("per_sample.json");
    std::fs::write(&per, serde_json::json!({ "input_data": samples[..32] }).to_string()).unwrap();
    let flat: Vec<Value> = samples[..32].iter().flat_map(|s| s.as_array().unwrap().clone()).collect();
    assert_eq!(flat.len(), 32 * 64);
    let flat_file = d.join("flat.json");
    std::fs::write(&flat_file, serde_json::json!({ "input_data": [flat] }).to_string()).unwrap();
    let model = zoo("cnn.onnx");
    let compile = |cal: &Path, out: &str| {
        zkinfer(&["compile", "--model", path_str(&model), "--calibration", path_str(cal), "--out", path_str(&d.join(out)), "--json"])
    };
    let (a, b) = (json(&compile(&per, "a")), json(&compile(&flat_file, "b")));
    assert_eq!(a["model_hash"], b["model_hash"]);
    let quant = |dir: &str| -> Value {
        let c: Value = serde_json::from_str(&std::fs::read_to_string(d.join(dir).join("compiled.json")).unwrap()).unwrap();
        c["quant"].clone()
    };
    assert_eq!(quant("a"), quant("b"));
    // A length that is no multiple of the input size: one clear line.
    let bad = d.join("bad.json");
    std::fs::write(&bad, serde_json::json!({ "input_data": [flat[..100]] }).to_string()).unwrap();
    assert_clean_failure(&compile(&bad, "c"), &["expected 64 values", "got 100", "multiple of 64"]);
}

#[test]
fn a_torch_dynamo_export_with_external_data_proves_and_verifies() {
    let d = scratch("compiled_torch");
    let model = zoo("torch_mlp.onnx");
    assert!(zoo("torch_mlp.onnx.data").is_file());
    let c = json(&zkinfer(&["compile", "--model", path_str(&model), "--out", path_str(&d.join("c")), "--json"]));
    let files = c["source"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "model and external data recorded: {c}");
    assert!(files[1]["path"].as_str().unwrap().ends_with("torch_mlp.onnx.data"));
    let r = json(&zkinfer(&["prove", "--compiled", path_str(&d.join("c")), "--input", path_str(&zoo("input.json")), "--out", path_str(&d.join("p")), "--json"]));
    assert_eq!(r["model_hash"], c["model_hash"]);
    let o = zkinfer(&["verify", "--proof", path_str(&d.join("p").join("proof.json")), "--model-hash", r["identity"].as_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn bad_compiled_files_and_inputs_get_one_clear_line() {
    let d = scratch("compiled_bad");
    let model = d.join("mlp.onnx");
    std::fs::copy(zoo("mlp.onnx"), &model).unwrap();
    std::fs::copy(zoo("calibration.json"), d.join("calibration.json")).unwrap();
    let c = d.join("c");
    json(&zkinfer(&["compile", "--model", path_str(&model), "--out", path_str(&c), "--json"]));
    let compiled = c.join("compiled.json");
    let text = std::fs::read_to_string(&compiled).unwrap();

    // Wrong input length.
    let short = d.join("short.json");
    std::fs::write(&short, r#"{"input_data": [[0.1, 0.2, 0.3]]}"#).unwrap();
    let o = zkinfer(&["prove", "--compiled", path_str(&compiled), "--input", path_str(&short), "--out", path_str(&d.join("o"))]);
    assert_clean_failure(&o, &["expected 64 values", "got 3"]);

    // Another format version.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["format"] = serde_json::json!(999);
    let other = d.join("v999.json");
    std::fs::write(&other, v.to_string()).unwrap();
    let o_dir = d.join("o");
    for cmd in ["setup", "estimate"] {
        let mut args = vec![cmd, "--compiled", path_str(&other)];
        if cmd == "setup" {
            args.extend(["--out", path_str(&o_dir)]);
        }
        assert_clean_failure(&zkinfer(&args), &["v999.json", "format 999", "reads format 1", "zkinfer compile"]);
    }
    // Not a compiled model at all.
    let o = zkinfer(&["estimate", "--compiled", path_str(&zoo("input.json"))]);
    assert_clean_failure(&o, &["input.json", "not a compiled model"]);
    // The quantized model edited by hand.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["quant"]["input_scale"] = serde_json::json!(v["quant"]["input_scale"].as_i64().unwrap() + 1);
    let edited = d.join("edited.json");
    std::fs::write(&edited, v.to_string()).unwrap();
    assert_clean_failure(&zkinfer(&["estimate", "--compiled", path_str(&edited)]), &["edited.json", "hashes to"]);

    // The model file changed after compiling.
    let mut bytes = std::fs::read(&model).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&model, &bytes).unwrap();
    let o = zkinfer(&["prove", "--compiled", path_str(&compiled), "--input", path_str(&zoo("input.json")), "--out", path_str(&d.join("o"))]);
    assert_clean_failure(&o, &["compiled.json", "was compiled from", "mlp.onnx", "now has SHA-256", "recompile"]);
}
