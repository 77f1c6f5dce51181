//! Embeddings: token ids (integers in the input, scale 0) pick rows of a constant table, one
//! lookup per output element into a table per column (`circuits::ir::LayerKind::Embedding`).
//! The circuit's witness equals the integer reference, mutated cells are rejected, a claimed
//! row of another token is rejected, and the model (embedding, position add, MatMul) proves
//! and verifies.
mod common;

use common::*;
use halo2_proofs::{dev::MockProver, halo2curves::bn256::Fr};
use zkinfer::circuits::testing::check_circuit;
use zkinfer::circuits::{CircuitSpec, ModelCircuit};
use zkinfer::pipeline::{self, Calibration, Settings};
use zkinfer::prover::ParamsCache;
use zkinfer::report::Timings;
use zkinfer::verifier::{verify, VerifierParams};

fn prepared() -> pipeline::Prepared {
    let path = fixture("ops/embedding.onnx");
    pipeline::prepare(&path, Calibration::range(0.0, 10.0), &Settings::default().quant).unwrap()
}

#[test]
fn embedding_circuit_proves_the_integer_reference_and_rejects_other_rows() {
    let p = prepared();
    assert_eq!(p.quant.input_scale, 0);
    let settings = Settings::default();
    for ids in [[1.0f32, 5.0, 3.0, 10.0], [0.0, 0.0, 7.0, 2.0]] {
        let q = p.quant.quantize_input(&ids).unwrap();
        assert_eq!(q, ids.iter().map(|&v| v as i64).collect::<Vec<_>>());
        let reference = p.quant.forward(&q).unwrap();
        let w = zkinfer::circuits::eval(&p.circuit, &q).unwrap();
        assert_eq!(w.output(), reference.output().iter().copied().collect::<Vec<_>>().as_slice());
        check_circuit(&p.circuit, &q, &settings.circuit, 40, 3).unwrap();
    }
    // The witness of ids (1, 5, 3, 10) with the public input claiming token 4 first: rejected.
    let spec = CircuitSpec::compile_params(&p.circuit, &settings.circuit).unwrap();
    let c = ModelCircuit::<Fr>::new(p.circuit.clone(), settings.circuit, p.hash, Some(vec![1, 5, 3, 10])).unwrap();
    let mut inst = c.instances().unwrap();
    MockProver::run(spec.k, &c, vec![inst.clone()]).unwrap().verify().unwrap();
    inst[1] = Fr::from(4);
    assert!(MockProver::run(spec.k, &c, vec![inst]).unwrap().verify().is_err());
}

#[test]
fn an_embedding_model_proves_and_verifies() {
    let p = prepared();
    let settings = Settings::default();
    let cache = ParamsCache::new(cache_dir());
    let out = scratch("embedding");
    let mut t = Timings::default();
    let setup = pipeline::setup(&p, &settings, &out, &cache, false, &mut t, &|_| {}).expect("setup");
    let ids = [3.0f32, 1.0, 4.0, 1.0];
    let proof = pipeline::prove(&p, &settings, &setup, &ids, &out, &mut t, &|_| {}).expect("prove");
    let params = VerifierParams::Ipa(cache.ipa(setup.spec.k).unwrap());
    let identity = zkinfer::verifier::model_identity(&setup.vk, None).unwrap().to_string();
    let v = verify(&params, &setup.vk, &proof, Some(&identity)).expect("verify");
    assert_eq!(v.input.values, [3, 1, 4, 1]);
    let reference = p.quant.forward(&[3, 1, 4, 1]).unwrap();
    assert_eq!(v.output.values, reference.output().iter().copied().collect::<Vec<_>>());
    let mut forged = proof.clone();
    forged.input.values[0] = 5;
    assert!(verify(&params, &setup.vk, &forged, Some(&identity)).is_err());
}

/// The embedding's tables hold the ids of the vocabulary only (11 ids here, not the 2^bits
/// of an activation table), so an id outside it has no table entry: the integer reference and
/// the circuit's evaluation refuse it, and no lookup of `(column, id, value)` can succeed for
/// it (the activation table holds `1 + 6 * 11` embedding rows and nothing else of theirs).
#[test]
fn an_id_outside_the_vocabulary_has_no_table_entry() {
    use zkinfer::circuits::chips::tables::TablePlan;
    use zkinfer::circuits::ir::{Activation, LayerKind};
    let p = prepared();
    let LayerKind::Embedding { tables, .. } = &p.circuit.layers[0].kind else { panic!("first layer: {:?}", p.circuit.layers[0].kind) };
    assert_eq!(tables.len(), 6);
    assert!(tables.iter().all(|t| matches!(t, Activation::Table { min: 0, values, .. } if values.len() == 11)));
    let plan = TablePlan::from_model(&p.circuit, false);
    let others: usize = plan.acts.iter().filter(|a| !tables.contains(a)).count() << p.circuit.bits;
    assert_eq!(plan.act_rows(), 1 + 6 * 11 + others);
    assert!(matches!(p.quant.forward(&[1, 11, 3, 4]), Err(zkinfer::models::ModelError::OutOfRange { min: 0, max: 10, value: 11, .. })));
    assert!(matches!(p.quant.forward(&[1, -1, 3, 4]), Err(zkinfer::models::ModelError::OutOfRange { .. })));
    assert!(zkinfer::circuits::eval(&p.circuit, &[1, 11, 3, 4]).is_err());
    assert!(ModelCircuit::<Fr>::new(p.circuit.clone(), Settings::default().circuit, p.hash, Some(vec![1, 11, 3, 4])).is_err());
}
