//! A private model behind a public hash, end to end through the CLI: commit to the zoo MLP,
//! prove three inputs with hashed weights, verify each against the committed hash, reveal the
//! model and check it; a model with one weight changed does not match, and a proof checked
//! against another hash is rejected. Also: hashed / private tensors, and the KZG backend.
mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

/// Run the CLI in `dir` (so that `commit` writes its default `commitment.json` there).
fn zkinfer_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .current_dir(dir)
        .env("ZKINFER_CACHE", cache_dir())
        .output()
        .expect("run zkinfer")
}

fn json_of(o: &Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).expect("json output")
}

/// One digit of the test set as an input file.
fn digit_input(dir: &Path, i: usize) -> std::path::PathBuf {
    let set: Value = serde_json::from_str(&std::fs::read_to_string(zoo("digits_test.json")).unwrap()).unwrap();
    let sample = set["input_data"][i].clone();
    let path = dir.join(format!("input_{i}.json"));
    std::fs::write(&path, serde_json::json!({ "input_data": [sample] }).to_string()).unwrap();
    path
}

/// `model` with its largest-magnitude weight negated: the float32 in the largest `raw_data`
/// initializer (protobuf field 9, length-delimited) with the largest absolute value.
fn one_weight_changed(model: &Path, out: &Path) {
    let mut data = std::fs::read(model).unwrap();
    let mut best: Option<(usize, usize)> = None; // (start, len)
    for i in 0..data.len() {
        if data[i] != 0x4a {
            continue;
        }
        let (mut n, mut shift, mut j) = (0usize, 0, i + 1);
        while j < data.len() && j < i + 6 {
            let b = data[j];
            n |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            j += 1;
            if b < 0x80 {
                break;
            }
        }
        if n >= 64 && n % 4 == 0 && j + n <= data.len() && best.is_none_or(|(_, l)| n > l) {
            best = Some((j, n));
        }
    }
    let (start, len) = best.expect("a raw_data initializer");
    let floats = |d: &[u8]| -> Vec<f32> {
        d[start..start + len].chunks(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    };
    let w = floats(&data);
    let (k, _) = w.iter().enumerate().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).unwrap();
    let at = start + 4 * k;
    data[at..at + 4].copy_from_slice(&(-w[k]).to_le_bytes());
    assert_eq!(floats(&data).iter().zip(&w).filter(|(a, b)| a != b).count(), 1);
    std::fs::write(out, data).unwrap();
}

#[test]
fn commit_prove_verify_then_reveal() {
    let d = scratch("hashed_story");
    let model_path = zoo("mlp.onnx");
    let model = path_str(&model_path);

    // 1. Commit: the hash is printed and stored; the model is not revealed.
    let o = zkinfer_in(&d, &["commit", "--model", model]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(d.join("commitment.json")).unwrap()).unwrap();
    let h = stored["model_hash"].as_str().unwrap().to_string();
    assert_eq!(h.len(), 64);
    // The identity: the weights commitment and the digest of the architecture's key.
    let id = stored["identity"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 129);
    assert!(id.starts_with(&format!("{h}:")), "{id}");
    assert!(stdout(&o).contains(&id));
    let c = json_of(&zkinfer_in(&d, &["commit", "--model", model, "--out", "c2.json", "--json"]));
    assert_eq!(c["model_hash"], h.as_str(), "the commitment is deterministic");
    assert_eq!(c["identity"], id.as_str(), "so is the key");

    // 2. Prove three different inputs with hashed weights (keys made once, then reused).
    let out = d.join("out");
    let mut outputs = Vec::new();
    for i in 0..3 {
        let input = digit_input(&d, i);
        let r = json_of(&zkinfer(&[
            "prove", "--model", model, "--input", path_str(&input), "--out", path_str(&out), "--weights", "hashed", "--json",
        ]));
        assert_eq!(r["model_hash"], h.as_str(), "the proof carries the committed hash");
        assert_eq!(r["timings_s"]["keygen"].is_null(), i > 0, "keys are reused after the first proof: {r}");
        let proof = d.join(format!("proof_{i}.json"));
        std::fs::copy(out.join("proof.json"), &proof).unwrap();
        outputs.push(r["output"].clone());
        // The verifying key names the architecture only; the proof file records the visibility.
        let p: Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
        assert_eq!(p["visibility"]["weights"], "hashed");
        assert_eq!(p["visibility"]["input"], "public");
    }
    assert!(outputs[0] != outputs[1] || outputs[1] != outputs[2], "three inputs, three outputs");

    // 3. Each proof verifies against the committed hash.
    let vk = out.join("vk.bin");
    for i in 0..3 {
        let proof = d.join(format!("proof_{i}.json"));
        let v = json_of(&zkinfer(&["verify", "--proof", path_str(&proof), "--vk", path_str(&vk), "--model-hash", &id, "--json"]));
        assert_eq!(v["verified"], true);
        assert_eq!(v["identity"], id.as_str());
        assert_eq!(v["output"], outputs[i]);
    }

    // 4. Checked against another hash, a proof is rejected; rewriting the hash inside the proof
    // file does not help (the commitment is a public input of the proof).
    let proof0 = d.join("proof_0.json");
    let other = zkinfer::circuits::poseidon::to_hex(&halo2_proofs::halo2curves::bn256::Fr::from(7));
    let key_digest = id.split(':').nth(1).unwrap();
    let other_id = format!("{other}:{key_digest}");
    let o = zkinfer(&["verify", "--proof", path_str(&proof0), "--vk", path_str(&vk), "--model-hash", &other_id]);
    assert_clean_failure(&o, &["model identity mismatch"]);
    // A bare commitment is not an identity: the key would go unchecked.
    let o = zkinfer(&["verify", "--proof", path_str(&proof0), "--vk", path_str(&vk), "--model-hash", &h]);
    assert_clean_failure(&o, &["only the weights commitment"]);
    let mut p: Value = serde_json::from_str(&std::fs::read_to_string(&proof0).unwrap()).unwrap();
    p["model_hash"] = Value::String(other.clone());
    let forged = d.join("forged.json");
    std::fs::write(&forged, p.to_string()).unwrap();
    let o = zkinfer(&["verify", "--proof", path_str(&forged), "--vk", path_str(&vk), "--model-hash", &other_id]);
    assert_clean_failure(&o, &["proof rejected"]);

    // 5. Reveal: the model recomputes to the committed hash (exit 0 only on a match).
    let o = zkinfer(&["reveal-check", "--model", model, "--hash", &id]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("verifying key (regenerated from the architecture) both match"), "{}", stdout(&o));
    let o = zkinfer(&["reveal-check", "--model", model, "--hash", &h]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("only the weights commitment was compared"), "{}", stdout(&o));
    // The right commitment with another key digest (a forged key) does not match.
    let o = zkinfer(&["reveal-check", "--model", model, "--hash", &format!("{h}:{}", "00".repeat(32))]);
    assert_clean_failure(&o, &["no match"]);

    // 6. A model with one weight changed does not match; nor do other quantization settings.
    let changed = d.join("mlp_one_weight_changed.onnx");
    one_weight_changed(&model_path, &changed);
    let calib = zoo("calibration.json");
    let o = zkinfer(&["reveal-check", "--model", path_str(&changed), "--calibration", path_str(&calib), "--hash", &h]);
    assert_clean_failure(&o, &["no match"]);
    let o = zkinfer(&["reveal-check", "--model", model, "--weight-bits", "8", "--hash", &h]);
    assert_clean_failure(&o, &["no match"]);
}

/// Hashed input, private output: the proof file carries the input's hash and no values, the
/// verifier binds that hash, and a changed hash or a smuggled value is rejected.
#[test]
fn hashed_input_private_output() {
    let d = scratch("hashed_tensors");
    let out = d.join("out");
    let r = json_of(&zkinfer(&[
        "prove", "--model", path_str(&zoo("mlp.onnx")), "--input", path_str(&zoo("input.json")), "--out", path_str(&out),
        "--input-visibility", "hashed", "--output-visibility", "private", "--json",
    ]));
    let proof = out.join("proof.json");
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    assert_eq!(p["input"]["values"].as_array().unwrap().len(), 0);
    assert_eq!(p["output"]["values"].as_array().unwrap().len(), 0);
    assert!(p["input_hash"].is_string() && p["output_hash"].is_null());
    assert_eq!(p["input_hash"], r["input_hash"]);
    let v = json_of(&zkinfer(&["verify", "--proof", path_str(&proof), "--json"]));
    assert_eq!(v["input_hash"], p["input_hash"]);

    let bad = d.join("bad.json");
    let mut q = p.clone();
    q["input_hash"] = Value::String(zkinfer::circuits::poseidon::to_hex(&halo2_proofs::halo2curves::bn256::Fr::from(3)));
    std::fs::write(&bad, q.to_string()).unwrap();
    let vk = out.join("vk.bin");
    assert_clean_failure(&zkinfer(&["verify", "--proof", path_str(&bad), "--vk", path_str(&vk)]), &["proof rejected"]);
    let mut q = p.clone();
    q["output"]["values"] = serde_json::json!(vec![0; 10]);
    std::fs::write(&bad, q.to_string()).unwrap();
    assert_clean_failure(&zkinfer(&["verify", "--proof", path_str(&bad), "--vk", path_str(&vk)]), &["no values"]);
    let mut q = p.clone();
    q["visibility"]["output"] = Value::String("public".into());
    std::fs::write(&bad, q.to_string()).unwrap();
    assert_clean_failure(&zkinfer(&["verify", "--proof", path_str(&bad), "--vk", path_str(&vk)]), &["visibility mismatch"]);
}

/// The same hashed-weights circuit on the KZG backend (EVM transcript), checked against the
/// commitment.
#[test]
fn hashed_weights_on_kzg() {
    let d = scratch("hashed_kzg");
    let model_path = zoo("mlp.onnx");
    let model = path_str(&model_path);
    let c = json_of(&zkinfer_in(&d, &["commit", "--model", model, "--backend", "kzg", "--json"]));
    let h = c["model_hash"].as_str().unwrap().to_string();
    let id = c["identity"].as_str().unwrap().to_string();
    let out = d.join("out");
    let r = json_of(&zkinfer(&[
        "prove", "--model", model, "--input", path_str(&zoo("input.json")), "--out", path_str(&out), "--weights", "hashed",
        "--backend", "kzg", "--json",
    ]));
    assert_eq!(r["model_hash"], h.as_str());
    let proof = out.join("proof.json");
    // The insecure test SRS is refused unless allowed.
    let o = zkinfer(&["verify", "--proof", path_str(&proof), "--model-hash", &id]);
    assert_clean_failure(&o, &["INSECURE"]);
    let v = json_of(&zkinfer(&["verify", "--proof", path_str(&proof), "--model-hash", &id, "--allow-insecure-srs", "--json"]));
    assert_eq!(v["verified"], true);
    let mut p: Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    p["model_hash"] = Value::String(zkinfer::circuits::poseidon::to_hex(&halo2_proofs::halo2curves::bn256::Fr::from(5)));
    let forged = d.join("forged.json");
    std::fs::write(&forged, p.to_string()).unwrap();
    let o = zkinfer(&["verify", "--proof", path_str(&forged), "--vk", path_str(&out.join("vk.bin")), "--allow-insecure-srs"]);
    assert_clean_failure(&o, &["proof rejected"]);
}

/// Lowering shares a convolution's weights across patches: the zoo models' canonical
/// parameters are exactly their ONNX parameters (36 + 4 and 288 + 8 for the CNN's convolutions),
/// and the maps do not depend on the values.
#[test]
fn zoo_parameter_maps_share_convolution_weights() {
    use zkinfer::circuits::ir::LayerKind;
    for (model, expected) in [("cnn.onnx", vec![(36, 4), (288, 8), (1280, 10)]), ("mlp.onnx", vec![(2048, 32), (320, 10)])] {
        let p = zkinfer::pipeline::prepare(&zoo(model), &zoo("calibration.json"), &Default::default()).unwrap();
        let sizes: Vec<(usize, usize)> = p
            .circuit
            .layers
            .iter()
            .filter_map(|l| match &l.kind {
                LayerKind::Affine(a) => a.params.as_ref().map(|m| (m.weights.len(), m.biases.len())),
                _ => None,
            })
            .collect();
        assert_eq!(sizes, expected, "{model}");
    }
}
