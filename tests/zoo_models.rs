//! Every zoo model proves and verifies end to end; the proved output equals the integer
//! reference, and quantized argmax agrees with float on >= 99% of the digits test split.
mod common;

use common::*;
use zkinfer::models::{accuracy, data::Dataset};
use zkinfer::pipeline::{self, Settings};
use zkinfer::prover::ParamsCache;
use zkinfer::report::Timings;
use zkinfer::verifier::{verify, VerifierParams};

const MODELS: [&str; 4] = ["mlp.onnx", "cnn.onnx", "resnet.onnx", "smooth.onnx"];

fn prove_and_verify(model: &str) {
    let settings = Settings::default();
    let cache = ParamsCache::new(cache_dir());
    let p = pipeline::prepare(&zoo(model), &zoo("calibration.json"), &settings.quant).expect("prepare");
    let out = scratch(&format!("zoo_{model}"));
    let mut t = Timings::default();
    let setup = pipeline::setup(&p, &settings, &out, &cache, false, &mut t, &|_| {}).expect("setup");
    // Two different test digits through the same keys.
    let test = Dataset::load(&zoo("digits_test.json")).unwrap();
    for x in &test.samples[..2] {
        let proof = pipeline::prove(&p, &settings, &setup, x, &out, &mut t, &|_| {}).expect("prove");
        let params = VerifierParams::Ipa(cache.ipa(setup.spec.k).unwrap());
        let identity = zkinfer::verifier::model_identity(&setup.vk, None).expect("identity").to_string();
        let v = verify(&params, &setup.vk, &proof, Some(&identity)).expect("verify");
        let reference = p.quant.forward(&p.quant.quantize_input(x).unwrap()).unwrap();
        assert_eq!(v.output.values, reference.output().iter().copied().collect::<Vec<_>>(), "{model}");
        // And the circuit's own evaluation of the lowered model agrees with the reference.
        let w = zkinfer::circuits::eval(&p.circuit, &v.input.values).unwrap();
        assert_eq!(w.output(), v.output.values.as_slice());
    }
}

#[test]
fn cnn_proves_and_verifies() {
    prove_and_verify("cnn.onnx");
}

#[test]
fn resnet_with_residual_and_average_pool_proves_and_verifies() {
    prove_and_verify("resnet.onnx");
}

#[test]
fn smooth_mlp_with_tanh_and_sigmoid_proves_and_verifies() {
    prove_and_verify("smooth.onnx");
}

#[test]
fn argmax_agreement_on_the_test_split_is_at_least_99_percent() {
    let test = Dataset::load(&zoo("digits_test.json")).unwrap();
    for model in MODELS {
        let p = pipeline::prepare(&zoo(model), &zoo("calibration.json"), &Settings::default().quant).unwrap();
        let r = accuracy::evaluate(p.graph.get().unwrap(), &p.quant, &test).unwrap();
        assert_eq!(r.out_of_range, 0, "{model}: {r:?}");
        assert!(r.argmax_agreement >= 0.99, "{model}: {r:?}");
    }
}
