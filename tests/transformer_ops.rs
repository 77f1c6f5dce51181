//! The ops transformers need that zkinfer proves so far, in the circuit: the table activations
//! beyond sigmoid and tanh (GELU in its exact and tanh forms, SiLU, erf, hard-swish, abs, from
//! the ONNX forms exporters write) and the wiring ops (Slice with and without a step, Split,
//! Gather by constant indices, Concat with a constant token or of two tensors). For every
//! fixture the lowered circuit accepts the honest witness of the integer reference and rejects
//! mutated advice cells (MockProver); one model with a fused GELU proves and verifies for real.
mod common;

use common::*;
use zkinfer::circuits::testing::check_model;
use zkinfer::models::data::Dataset;
use zkinfer::pipeline::{self, Calibration, Settings};
use zkinfer::prover::ParamsCache;
use zkinfer::report::Timings;
use zkinfer::verifier::{verify, VerifierParams};

const FIXTURES: [&str; 15] = [
    "gelu", "gelu_erf_chain", "gelu_tanh", "gelu_tanh_chain", "gemm_gelu", "silu", "erf", "hard_swish", "abs",
    "slice", "split_add", "gather", "gather_scalar", "concat_const", "concat_two",
];

fn prepared(name: &str) -> pipeline::Prepared {
    let path = fixture(&format!("ops/{name}.onnx"));
    pipeline::prepare(&path, Calibration::range(-3.0, 3.0), &Settings::default().quant).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_op_circuit_proves_the_integer_reference_and_rejects_mutations() {
    for name in FIXTURES {
        let p = prepared(name);
        let n = p.graph.get().unwrap().input_len();
        for x in Dataset::from_range(n, -3.0, 3.0).unwrap().samples.into_iter().take(3) {
            let q = p.quant.quantize_input(&x).unwrap();
            let reference = p.quant.forward(&q).unwrap();
            let w = zkinfer::circuits::eval(&p.circuit, &q).unwrap();
            assert_eq!(w.output(), reference.output().iter().copied().collect::<Vec<_>>().as_slice(), "{name}");
            let r = check_model(&p.circuit, &q, 4, 48, 5).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(r.mutations >= r.advice_cells.min(10), "{name}: {r:?}");
        }
    }
}

#[test]
fn a_gemm_with_a_fused_gelu_proves_and_verifies() {
    let p = prepared("gemm_gelu");
    let settings = Settings::default();
    let cache = ParamsCache::new(cache_dir());
    let out = scratch("table_activations_gemm_gelu");
    let mut t = Timings::default();
    let setup = pipeline::setup(&p, &settings, &out, &cache, false, &mut t, &|_| {}).expect("setup");
    let x = [0.5f32, -1.25, 2.0, 0.0, -0.75, 1.5];
    let proof = pipeline::prove(&p, &settings, &setup, &x, &out, &mut t, &|_| {}).expect("prove");
    let params = VerifierParams::Ipa(cache.ipa(setup.spec.k).unwrap());
    let identity = zkinfer::verifier::model_identity(&setup.vk, None).unwrap().to_string();
    let v = verify(&params, &setup.vk, &proof, Some(&identity)).expect("verify");
    let reference = p.quant.forward(&p.quant.quantize_input(&x).unwrap()).unwrap();
    assert_eq!(v.output.values, reference.output().iter().copied().collect::<Vec<_>>());
    // A different output is refused.
    let mut forged = proof.clone();
    forged.output.values[0] += 1;
    assert!(verify(&params, &setup.vk, &forged, Some(&identity)).is_err());
}
