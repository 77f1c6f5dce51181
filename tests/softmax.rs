//! Softmax in the circuit (row max as a max-pool, exp by table, sum, and a division with a
//! range-checked remainder, `circuits::softmax`): the witness equals the quantized model's
//! integer reference on the fixtures (last axis, a middle axis, two-head attention, causal
//! masks written as `Where(mask, -inf, x)` and with `finfo.min`), masked outputs are constant
//! 0 cells, mutated
//! advice cells are rejected, a quotient off by one with a remainder that keeps the division
//! equation true is rejected by the remainder's range lookups alone, and attention with a
//! softmax proves and verifies with the real prover.
mod common;

use std::sync::Arc;

use common::*;
use zkinfer::circuits::ir::{CircuitModel, Layer, LayerKind, SoftmaxLayer};
use zkinfer::circuits::testing::check_circuit;
use zkinfer::circuits::{CircuitParams, CircuitSpec, ModelCircuit};
use zkinfer::models::data::Dataset;
use zkinfer::pipeline::{self, Calibration, Settings};
use zkinfer::prover::ParamsCache;
use zkinfer::report::Timings;
use zkinfer::verifier::{verify, VerifierParams};

use halo2_proofs::dev::{MockProver, VerifyFailure};
use halo2_proofs::halo2curves::bn256::Fr;

fn prepared(name: &str) -> pipeline::Prepared {
    let path = fixture(&format!("ops/{name}.onnx"));
    pipeline::prepare(&path, Calibration::range(-3.0, 3.0), &Settings::default().quant).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn params(width: usize) -> CircuitParams {
    CircuitParams { width, products: true, softmax: true, ..Default::default() }
}

#[test]
fn softmax_circuits_prove_the_integer_reference_and_reject_mutations() {
    for name in ["softmax", "softmax_axis1", "attention_softmax", "causal_softmax", "causal_finfo", "causal_add"] {
        let p = prepared(name);
        assert!(p.circuit.has_softmax(), "{name}");
        let n = p.graph.get().unwrap().input_len();
        for x in Dataset::from_range(n, -3.0, 3.0).unwrap().samples.into_iter().skip(1).take(2) {
            let q = p.quant.quantize_input(&x).unwrap();
            let reference = p.quant.forward(&q).unwrap();
            let w = zkinfer::circuits::eval(&p.circuit, &q).unwrap();
            assert_eq!(w.output(), reference.output().iter().copied().collect::<Vec<_>>().as_slice(), "{name}");
            let r = check_circuit(&p.circuit, &q, &params(4), 40, 11).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(r.mutations >= r.advice_cells.min(10), "{name}: {r:?}");
        }
    }
    // A causal mask's outputs are constant 0 cells: claiming another value is rejected.
    let p = prepared("causal_softmax");
    let q = p.quant.quantize_input(&[0.5; 16]).unwrap();
    let c = ModelCircuit::<Fr>::new(p.circuit.clone(), params(4), [1; 32], Some(q)).unwrap();
    let k = CircuitSpec::compile_params(&p.circuit, &params(4)).unwrap().k;
    let mut inst = c.instances().unwrap();
    assert_eq!(inst[1 + 16 + 1], Fr::zero(), "output (0, 1) is masked");
    MockProver::run(k, &c, vec![inst.clone()]).unwrap().verify().unwrap();
    inst[1 + 16 + 1] = Fr::one();
    assert!(MockProver::run(k, &c, vec![inst]).unwrap().verify().is_err());
    let e = CircuitSpec::compile_params(&prepared("softmax").circuit, &CircuitParams { width: 4, ..Default::default() }).unwrap_err();
    assert!(e.to_string().contains("softmax"), "{e}");
}

/// One softmax row of three 8-bit values at scale 4 (the table of `models::softmax`).
fn softmax_model() -> CircuitModel {
    let cfg = zkinfer::models::QuantConfig { bits: 8, ..Default::default() };
    let rows = vec![vec![0, 1, 2]];
    let exp = zkinfer::models::softmax::exp_table(4, &cfg);
    let sum_bits = zkinfer::models::softmax::sum_bits(&rows, &cfg);
    let layer = SoftmaxLayer { input: 0, rows, masked: vec![], exp, out_bits: 6, sum_bits };
    CircuitModel { input_len: 3, bits: 8, layers: vec![Layer { name: "softmax".into(), kind: LayerKind::Softmax(layer) }] }
}

#[test]
fn a_quotient_off_by_one_is_rejected_by_the_remainder_range() {
    let model = Arc::new(softmax_model());
    let x = vec![16i64, 0, -20];
    let p = params(4);
    let spec = CircuitSpec::compile_params(&model, &p).unwrap();
    let honest = ModelCircuit::<Fr>::new(model.clone(), p, [5; 32], Some(x)).unwrap();
    let y = honest.witness.as_ref().unwrap().output().to_vec();
    // x = (1, 0, -1.25): e = round(64 exp(x - 1)) = (64, 24, 7), S = 95, y = round(64 e / S).
    assert_eq!(y, [43, 16, 5]);
    let inst = honest.instances().unwrap();
    MockProver::run(spec.k, &honest, vec![inst.clone()]).unwrap().verify().unwrap();
    // Advice cells: hash + 3 inputs; max-pool 3 x 4; per element a dot row (3) and a requant
    // row (4); the sum's dot row (3 copies + acc); then per element (e, S, y, r, t).
    let sum: i64 = {
        let exp = zkinfer::models::softmax::exp_table(4, &zkinfer::models::QuantConfig { bits: 8, ..Default::default() });
        [16i64, 0, -20].iter().map(|&v| exp[(v - 16 + 127 + 128) as usize]).sum()
    };
    for k in 0..3 {
        let base = 4 + 12 + 21 + 4 + 5 * k;
        // The quotient alone: the division gate fails.
        let mut bad = honest.clone();
        bad.forge = vec![(base + 2, 1)];
        let mut bad_inst = inst.clone();
        bad_inst[4 + k] += Fr::one();
        let f = MockProver::run(spec.k, &bad, vec![bad_inst.clone()]).unwrap().verify().unwrap_err();
        assert!(f.iter().any(|f| matches!(f, VerifyFailure::ConstraintNotSatisfied { .. }) && format!("{f:?}").contains("softmax division")), "{k}: {f:?}");
        // Quotient up, remainder down by 2S, t up by 2S: both equations hold, r < 0.
        for sign in [1i64, -1] {
            let mut bad = honest.clone();
            bad.forge = vec![(base + 2, sign), (base + 3, -sign * 2 * sum), (base + 4, sign * 2 * sum)];
            let mut bad_inst = inst.clone();
            bad_inst[4 + k] += if sign > 0 { Fr::one() } else { -Fr::one() };
            let f = MockProver::run(spec.k, &bad, vec![bad_inst]).unwrap().verify().unwrap_err();
            assert!(!f.is_empty() && f.iter().all(|f| matches!(f, VerifyFailure::Lookup { .. })), "{k} {sign}: {f:?}");
        }
    }
}

#[test]
fn attention_with_softmax_proves_and_verifies() {
    let p = prepared("attention_softmax");
    let mut settings = Settings::default();
    settings.circuit.products = true;
    settings.circuit.softmax = true;
    let cache = ParamsCache::new(cache_dir());
    let out = scratch("softmax_attention");
    let mut t = Timings::default();
    let setup = pipeline::setup(&p, &settings, &out, &cache, false, &mut t, &|_| {}).expect("setup");
    let x: Vec<f32> = (0..24).map(|i| ((i * 5 % 11) as f32 - 5.0) / 3.0).collect();
    let proof = pipeline::prove(&p, &settings, &setup, &x, &out, &mut t, &|_| {}).expect("prove");
    let params = VerifierParams::Ipa(cache.ipa(setup.spec.k).unwrap());
    let identity = zkinfer::verifier::model_identity(&setup.vk, None).unwrap().to_string();
    let v = verify(&params, &setup.vk, &proof, Some(&identity)).expect("verify");
    let reference = p.quant.forward(&p.quant.quantize_input(&x).unwrap()).unwrap();
    assert_eq!(v.output.values, reference.output().iter().copied().collect::<Vec<_>>());
    let mut forged = proof.clone();
    forged.output.values[0] -= 1;
    assert!(verify(&params, &setup.vk, &forged, Some(&identity)).is_err());
}
