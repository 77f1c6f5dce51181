//! Products of two activations in the circuit (the Freivalds chip with a witness right factor):
//! the two-head attention products `Q·Kᵀ` and `scores·V` as tract declutters a torch-style
//! export, element-wise `Mul` of two activations and `Square`, and the two products of an RMS
//! norm (LayerNormalization after tract's declutter). The circuit's integer witness
//! equals the quantized model's reference, mutated advice cells are rejected, a consistent
//! wrong product (accumulator, quotient and output all shifted so every requant constraint
//! holds) is rejected by the Freivalds check alone, and the attention fixture proves and
//! verifies with the real prover.
mod common;

use std::sync::Arc;

use common::*;
use zkinfer::circuits::ir::{Activation, CircuitModel, Layer, LayerKind, ProductBlock, ProductLayer, Requant};
use zkinfer::circuits::testing::check_circuit;
use zkinfer::circuits::{CircuitParams, CircuitSpec, ModelCircuit};
use zkinfer::models::data::Dataset;
use zkinfer::pipeline::{self, Calibration, Settings};
use zkinfer::prover::ParamsCache;
use zkinfer::report::Timings;
use zkinfer::verifier::{verify, VerifierParams};

use halo2_proofs::dev::{MockProver, VerifyFailure};
use halo2_proofs::halo2curves::bn256::Fr;

/// The last two: LayerNormalization and the decomposed RMS chain, whose RmsNorm is quantized
/// as a sum of squares (a product) with the rsqrt table fused, then x times its row's factor.
const FIXTURES: [&str; 6] = ["attention_heads", "mul_two", "mul_square", "gelu_pow2_chain", "layer_norm", "rms_norm_chain"];

fn prepared(name: &str) -> pipeline::Prepared {
    let path = fixture(&format!("ops/{name}.onnx"));
    pipeline::prepare(&path, Calibration::range(-3.0, 3.0), &Settings::default().quant).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn products(width: usize) -> CircuitParams {
    CircuitParams { width, products: true, ..Default::default() }
}

#[test]
fn product_circuits_prove_the_integer_reference_and_reject_mutations() {
    for name in FIXTURES {
        let p = prepared(name);
        assert!(p.circuit.has_products(), "{name}");
        let n = p.graph.get().unwrap().input_len();
        for x in Dataset::from_range(n, -3.0, 3.0).unwrap().samples.into_iter().skip(1).take(2) {
            let q = p.quant.quantize_input(&x).unwrap();
            let reference = p.quant.forward(&q).unwrap();
            let w = zkinfer::circuits::eval(&p.circuit, &q).unwrap();
            assert_eq!(w.output(), reference.output().iter().copied().collect::<Vec<_>>().as_slice(), "{name}");
            let r = check_circuit(&p.circuit, &q, &products(4), 40, 7).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(r.mutations >= r.advice_cells.min(10), "{name}: {r:?}");
        }
    }
}

#[test]
fn a_product_model_needs_the_products_setting() {
    let p = prepared("mul_two");
    let e = CircuitSpec::compile_params(&p.circuit, &CircuitParams { width: 4, ..Default::default() }).unwrap_err();
    assert!(e.to_string().contains("products"), "{e}");
    // compile, prove and bench switch the chips on for the models that need them only.
    let base = CircuitParams::default();
    assert!(pipeline::with_model_chips(&p, &base).products);
    assert!(!pipeline::with_model_chips(&p, &base).softmax);
    assert!(pipeline::with_model_chips(&prepared("attention_softmax"), &base).softmax);
    assert_eq!(pipeline::with_model_chips(&prepared("gemm_gelu"), &base), base);
}

/// `C = A·B` with `A` (2 x 3) the input's first six values, `B` (3 x 2) its last six, shift 2.
fn matmul_model() -> CircuitModel {
    let a: Vec<u32> = (0..6).collect();
    let b = (0..2).map(|j| (0..3).map(|k| (k, 6 + 2 * k + j)).collect()).collect();
    let blk = ProductBlock { m: 2, n: 3, a, b, c: (0..4).collect() };
    let layer = ProductLayer { inputs: [0, 0], blocks: vec![blk], requant: Requant { shift: 2, act: Activation::Identity } };
    CircuitModel { input_len: 12, bits: 8, layers: vec![Layer { name: "qk".into(), kind: LayerKind::Product(layer) }] }
}

#[test]
fn a_consistent_wrong_product_is_rejected_by_the_freivalds_check() {
    let model = Arc::new(matmul_model());
    let x: Vec<i64> = vec![3, -7, 11, 5, 0, -2, 9, -4, 6, 1, -8, 12];
    let params = products(4);
    let spec = CircuitSpec::compile_params(&model, &params).unwrap();
    let honest = ModelCircuit::<Fr>::new(model.clone(), params, [3; 32], Some(x.clone())).unwrap();
    let w = honest.witness.clone().unwrap();
    // A = [[3, -7, 11], [5, 0, -2]], B = [[9, -4], [6, 1], [-8, 12]]: A·B = [[-103, 113], [61, -44]].
    assert_eq!(w.accumulators[0].as_deref(), Some(&[-103i64, 113, 61, -44][..]));
    let inst = honest.instances().unwrap();
    MockProver::run(spec.k, &honest, vec![inst.clone()]).unwrap().verify().unwrap();
    // Advice cells: the model hash and the 12 inputs, then per output (z, q, r, q + 2^(bits-1)
    // on the identity's second row, y).
    for out in 0..4 {
        let cell = 13 + 5 * out;
        let mut bad = honest.clone();
        bad.forge = vec![(cell, 4), (cell + 1, 1), (cell + 3, 1), (cell + 4, 1)];
        let mut bad_inst = inst.clone();
        bad_inst[13 + out] += Fr::one();
        let failures = MockProver::run(spec.k, &bad, vec![bad_inst]).unwrap().verify().unwrap_err();
        // Only the Freivalds check's final equality (a copy constraint) can catch it.
        assert!(failures.iter().all(|f| matches!(f, VerifyFailure::Permutation { .. })), "output {out}: {failures:?}");
    }
}

#[test]
fn two_head_attention_products_prove_and_verify() {
    let p = prepared("attention_heads");
    let mut settings = Settings::default();
    settings.circuit.products = true;
    let cache = ParamsCache::new(cache_dir());
    let out = scratch("products_attention_heads");
    let mut t = Timings::default();
    let setup = pipeline::setup(&p, &settings, &out, &cache, false, &mut t, &|_| {}).expect("setup");
    let x: Vec<f32> = (0..24).map(|i| ((i * 7 % 13) as f32 - 6.0) / 4.0).collect();
    let proof = pipeline::prove(&p, &settings, &setup, &x, &out, &mut t, &|_| {}).expect("prove");
    let params = VerifierParams::Ipa(cache.ipa(setup.spec.k).unwrap());
    let identity = zkinfer::verifier::model_identity(&setup.vk, None).unwrap().to_string();
    let v = verify(&params, &setup.vk, &proof, Some(&identity)).expect("verify");
    let reference = p.quant.forward(&p.quant.quantize_input(&x).unwrap()).unwrap();
    assert_eq!(v.output.values, reference.output().iter().copied().collect::<Vec<_>>());
    let mut forged = proof.clone();
    forged.output.values[3] += 1;
    assert!(verify(&params, &setup.vk, &forged, Some(&identity)).is_err());
}
