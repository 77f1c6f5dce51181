//! One proof of a batch of zoo-MLP inferences through the library pipeline and the CLI: each
//! sample's output is its own integer reference, the proof verifies with N outputs, a changed
//! output of one sample is rejected, and bad batch files get one clear error.
mod common;

use common::*;
use zkinfer::models::data::Dataset;
use zkinfer::pipeline::{self, Settings};
use zkinfer::prover::ParamsCache;
use zkinfer::report::Timings;
use zkinfer::verifier::{verify, VerifierParams, VerifyError};

#[test]
fn a_batch_of_three_in_one_proof() {
    let n = 3;
    let mut settings = Settings::default();
    settings.circuit.width = 4;
    settings.circuit.batch = n;
    let cache = ParamsCache::new(cache_dir());
    let p = pipeline::prepare(&zoo("mlp.onnx"), &zoo("calibration.json"), &settings.quant).expect("prepare");
    let spec = pipeline::compile(&p, &settings).expect("compile");
    assert_eq!(spec.layers.iter().filter(|l| l.kind == "affine (freivalds)").count(), 2, "{:?}", spec.layers);
    let out = scratch("batch_mlp");
    let mut t = Timings::default();
    let setup = pipeline::setup(&p, &settings, &out, &cache, false, &mut t, &|_| {}).expect("setup");
    assert_eq!(setup.vk.header.input_shape, vec![n, 1, 64]);
    assert_eq!(setup.vk.header.circuit.batch, n);
    let samples: Vec<Vec<f32>> = Dataset::load(&zoo("calibration.json")).unwrap().samples[5..5 + n].to_vec();
    let proof = pipeline::prove_batch(&p, &settings, &setup, &samples, &out, &mut t, &|_| {}).expect("prove");
    let params = VerifierParams::Ipa(cache.ipa(setup.spec.k).expect("params"));
    let identity = pipeline::identity_of_setup(&p, &settings, &setup).expect("identity").to_string();
    let v = verify(&params, &setup.vk, &proof, Some(&identity)).expect("honest batch proof");
    let out_len = v.output.values.len() / n;
    assert_eq!(v.output.shape[0], n);
    for (b, x) in samples.iter().enumerate() {
        let q = p.quant.quantize_input(x).unwrap();
        let reference: Vec<i64> = p.quant.forward(&q).unwrap().output().iter().copied().collect();
        assert_eq!(&v.output.values[b * out_len..(b + 1) * out_len], reference.as_slice(), "sample {b}");
    }
    // One sample's output changed: rejected.
    let mut bad = proof.clone();
    bad.output.values[out_len + 2] += 1;
    assert!(matches!(verify(&params, &setup.vk, &bad, None), Err(VerifyError::Rejected(_))));
    // The wrong number of samples for the compiled batch: one usage error.
    let e = pipeline::prove_batch(&p, &settings, &setup, &samples[..2], &out, &mut t, &|_| {}).unwrap_err();
    assert!(e.to_string().contains("batch of 3"), "{e}");

    // The CLI reports the N verified outputs.
    let o = zkinfer(&["verify", "--proof", path_str(&out.join("proof.json")), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["batch"], n);
    assert_eq!(r["outputs_dequantized"].as_array().map(Vec::len), Some(n));
}

#[test]
fn batch_files_with_the_wrong_number_of_values_get_one_error() {
    let d = scratch("cli_bad_batch");
    let model_path = zoo("mlp.onnx");
    let model = path_str(&model_path);
    let out = d.join("out");
    let row = |len: usize| format!("[{}]", vec!["0.25"; len].join(","));
    let cases = [
        (format!(r#"{{"input_data": [{}, {}, {}]}}"#, row(64), row(63), row(64)), vec!["sample 1", "expected 64 values", "got 63"]),
        (format!(r#"{{"input_data": [{}]}}"#, row(64 * 3 + 1)), vec!["expected 64 values", "got 193"]),
    ];
    for (i, (text, needles)) in cases.iter().enumerate() {
        let f = d.join(format!("bad{i}.json"));
        std::fs::write(&f, text).unwrap();
        let o = zkinfer(&["prove", "--model", model, "--input", path_str(&f), "--out", path_str(&out)]);
        assert_clean_failure(&o, needles);
    }
    // A flat file of 3 x 64 values against --batch 2.
    let f = d.join("flat.json");
    std::fs::write(&f, format!(r#"{{"input_data": [{}]}}"#, row(64 * 3))).unwrap();
    let o = zkinfer(&["prove", "--model", model, "--input", path_str(&f), "--out", path_str(&out), "--batch", "2"]);
    assert_clean_failure(&o, &["3 samples", "--batch 2"]);
}
