//! A pre-norm transformer block exported by torch (`models/zoo/export_transformer_block.py`:
//! LayerNorm, fused QKV, two heads, causal `masked_fill(-inf)`, softmax, GELU MLP, residuals)
//! in both exporters, TorchScript and dynamo with external data: every op imports (tract's
//! RmsNorm, EinSum of two activations, Iff mask, Softmax, GeluExact), the quantized output is
//! close to the float model, the circuit's witness equals the integer reference, and the block
//! proves and verifies (the TorchScript export with the real prover, the dynamo export with
//! MockProver).
mod common;

use common::*;
use halo2_proofs::{dev::MockProver, halo2curves::bn256::Fr};
use zkinfer::circuits::{CircuitSpec, ModelCircuit};
use zkinfer::models::data::Dataset;
use zkinfer::pipeline::{self, Calibration, Settings};
use zkinfer::prover::ParamsCache;
use zkinfer::report::Timings;
use zkinfer::verifier::{verify, VerifierParams};

fn prepared(name: &str) -> pipeline::Prepared {
    let path = fixture(&format!("torch/{name}.onnx"));
    pipeline::prepare(&path, Calibration::range(-2.0, 2.0), &Settings::default().quant).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn input() -> Vec<f32> {
    (0..40).map(|i| ((i as f32) * 1.3).sin() * 1.5).collect()
}

#[test]
fn both_exports_import_and_match_the_float_model() {
    for name in ["block_ts", "block_dyn"] {
        let p = prepared(name);
        let labels: Vec<&str> = p.graph.get().unwrap().nodes.iter().map(|n| n.op.label()).collect();
        for op in ["rms_norm", "matmul_act", "softmax", "gelu"] {
            assert!(labels.contains(&op), "{name}: {op} missing from {labels:?}");
        }
        for x in Dataset::from_range(40, -2.0, 2.0).unwrap().samples.into_iter().skip(1).take(2).chain([input()]) {
            let float = zkinfer::models::float::predict(p.graph.get().unwrap(), &x).unwrap();
            let q = p.quant.quantize_input(&x).unwrap();
            let reference = p.quant.forward(&q).unwrap();
            let out: Vec<i64> = reference.output().iter().copied().collect();
            assert_eq!(zkinfer::circuits::eval(&p.circuit, &q).unwrap().output(), out.as_slice(), "{name}");
            let deq = p.quant.dequantize_output(&out);
            let err = float.iter().zip(&deq).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(err < 0.15, "{name}: quantized output {err} away from the float model");
        }
    }
}

#[test]
fn the_dynamo_export_satisfies_its_circuit() {
    let p = prepared("block_dyn");
    let params = pipeline::with_model_chips(&p, &Settings::default().circuit);
    let spec = CircuitSpec::compile_params(&p.circuit, &params).unwrap();
    let q = p.quant.quantize_input(&input()).unwrap();
    let c = ModelCircuit::<Fr>::new(p.circuit.clone(), params, p.hash, Some(q)).unwrap();
    let mut inst = c.instances().unwrap();
    MockProver::run(spec.k, &c, vec![inst.clone()]).unwrap().verify().unwrap();
    let last = inst.len() - 1;
    inst[last] += Fr::one();
    assert!(MockProver::run(spec.k, &c, vec![inst]).unwrap().verify().is_err());
}

#[test]
fn the_torchscript_export_proves_and_verifies() {
    let p = prepared("block_ts");
    let mut settings = Settings::default();
    settings.circuit = pipeline::with_model_chips(&p, &settings.circuit);
    let cache = ParamsCache::new(cache_dir());
    let out = scratch("transformer_block_ts");
    let mut t = Timings::default();
    let setup = pipeline::setup(&p, &settings, &out, &cache, false, &mut t, &|_| {}).expect("setup");
    let x = input();
    let proof = pipeline::prove(&p, &settings, &setup, &x, &out, &mut t, &|_| {}).expect("prove");
    let params = VerifierParams::Ipa(cache.ipa(setup.spec.k).unwrap());
    let identity = zkinfer::verifier::model_identity(&setup.vk, None).unwrap().to_string();
    let v = verify(&params, &setup.vk, &proof, Some(&identity)).expect("verify");
    let reference = p.quant.forward(&p.quant.quantize_input(&x).unwrap()).unwrap();
    assert_eq!(v.output.values, reference.output().iter().copied().collect::<Vec<_>>());
    let mut forged = proof.clone();
    forged.output.values[7] += 1;
    assert!(verify(&params, &setup.vk, &forged, Some(&identity)).is_err());
}
