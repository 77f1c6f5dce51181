//! Hashed models on chain (issue 15): hashed weights, input and output through the keyed EVM
//! verifier on revm, on the shape `--target evm` chooses (the compact column set) and at the
//! test width.
mod common;

use common::evm::*;
use common::*;
use zkinfer::evm::{create_evm_verifier, verify_evm, VerifierKind};
use zkinfer::verifier::evm::EIP170_LIMIT;
use zkinfer::models::data::Dataset;
use zkinfer::pipeline;
use zkinfer::prover::ParamsCache;
use zkinfer::report::Timings;
use zkinfer::verifier::ProofFile;

/// A KZG case with the given visibility (hashed weights, input or output), at the test width
/// or, with `evm_target`, on the shape `--target evm` chooses.
fn kzg_case_with(model: &str, name: &str, v: zkinfer::circuits::visibility::Visibility, evm_target: bool) -> Case {
    use zkinfer::target::Target;
    let mut settings = kzg_settings().with_visibility(v);
    let cache = ParamsCache::new(cache_dir());
    let prepared = pipeline::prepare(&zoo(model), &zoo("calibration.json"), &settings.quant).expect("prepare");
    if evm_target {
        settings.target = Target::Evm;
        settings.circuit = pipeline::auto_params_for(&prepared, &settings.circuit, Target::Evm).expect("evm shape");
    }
    let dir = scratch(name);
    let mut t = Timings::default();
    let setup = pipeline::setup(&prepared, &settings, &dir, &cache, false, &mut t, &|_| {}).expect("setup");
    let input = Dataset::load(&zoo("input.json")).expect("input").samples.remove(0);
    let proof = pipeline::prove(&prepared, &settings, &setup, &input, &dir, &mut t, &|_| {}).expect("prove");
    eprintln!("{name}: k = {}, timings {:?}", setup.spec.k, t.0);
    // snark-verifier's contract of these keys is over EIP-170; auto makes the keyed one.
    let meta = create_evm_verifier(&dir, None, &cache, &mut t).expect("create the EVM verifier");
    let shape = setup.spec.verifier_shape();
    Case { dir, proof, vk: setup.vk, params: setup.params.to_verifier(), meta, shape }
}

fn hashed_weights() -> zkinfer::circuits::visibility::Visibility {
    use zkinfer::circuits::visibility::{Visibility, WeightVisibility};
    Visibility { weights: WeightVisibility::Hashed, ..Visibility::default() }
}

/// Hashed models on chain: the keyed verifier (snark-verifier's is over EIP-170), deployable, accepting the honest proof; a flipped proof byte and a changed
/// public value (the weights commitment) are rejected. Returns revm's gas.
fn check_hashed(c: &Case, name: &str) -> u64 {
    assert_eq!(c.meta.kind, VerifierKind::Keyed, "{:?}", c.meta);
    let key = c.meta.key_contract.expect("key contract");
    assert!(c.meta.runtime_bytes <= EIP170_LIMIT && key.runtime_bytes <= EIP170_LIMIT, "{:?}", c.meta);
    let run = verify_evm(&c.dir.join("proof.json"), None, None, &ALLOW, &cache()).expect("EVM run");
    assert!(run.outcome.accepted, "{name}: honest proof rejected: {}", run.outcome.reason);
    eprintln!(
        "{name}: keyed gas {:?} (estimated {}), verifier runtime {} B, key runtime {} B, calldata {} B, shape {:?}, {:?}",
        run.outcome.gas_used, zkinfer::target::evm_gas(&c.shape), c.meta.runtime_bytes, key.runtime_bytes, run.calldata_bytes, c.meta.shape, c.shape
    );
    let bytes = c.proof.proof_bytes().unwrap();
    let mut b = bytes.clone();
    b[bytes.len() / 3] ^= 0x01;
    let bad = ProofFile { proof: hex::encode(&b), ..c.proof.clone() };
    assert!(!run_keyed(&c.dir, &bad, &format!("{name}_flip")).accepted);
    let mut bad = c.proof.clone();
    bad.input.values[0] += 1;
    assert!(!run_keyed(&c.dir, &bad, &format!("{name}_input")).accepted);
    let gas = run.outcome.gas_used.expect("gas of the honest run");
    let est = zkinfer::target::evm_gas(&c.shape) as f64;
    assert!((est - gas as f64).abs() <= 0.03 * gas as f64, "{name}: estimate {est} against {gas}: {:?}", c.shape);
    gas
}

/// Issue 15's target for hashed weights: the zoo MLP and CNN under `--target evm` (the compact
/// column set with its pack and Poseidon chips, paired dot rows) verify on chain for at most
/// 500,000 gas (revm's gas is deterministic); each model's proof is rejected by the other's
/// contracts.
#[test]
fn mlp_and_cnn_hashed_weights_verify_on_chain() {
    let m = kzg_case_with("mlp.onnx", "evm_mlp_hashed", hashed_weights(), true);
    let c = kzg_case_with("cnn.onnx", "evm_cnn_hashed", hashed_weights(), true);
    for (case, name) in [(&m, "mlp_hashed"), (&c, "cnn_hashed")] {
        assert!(case.shape.msm_terms < 40, "{name}: {:?}", case.shape);
        let gas = check_hashed(case, name);
        assert!(gas <= 500_000, "{name}: {gas}");
    }
    // Another model's proof: refused before running (its k differs from the key's) or rejected.
    for (dir, proof, name) in [(&c.dir, &m.proof, "mlp_hashed_on_cnn"), (&m.dir, &c.proof, "cnn_hashed_on_mlp")] {
        assert!(!try_run_keyed(dir, proof, name).is_ok_and(|r| r.outcome.accepted), "{name}: accepted");
    }
}

/// Hashed weights at the test width (the column layout of `--target prove`): still deployable
/// and checked on chain.
#[test]
fn mlp_hashed_weights_at_width_4_verify_on_chain() {
    let c = kzg_case_with("mlp.onnx", "evm_mlp_hashed_w4", hashed_weights(), false);
    check_hashed(&c, "mlp_hashed_w4");
}

#[test]
fn mlp_everything_hashed_verifies_on_chain() {
    // Weights, input and output hashed, on the shape `--target evm` chooses.
    use zkinfer::circuits::visibility::{TensorVisibility, Visibility, WeightVisibility};
    let v = Visibility { input: TensorVisibility::Hashed, output: TensorVisibility::Hashed, weights: WeightVisibility::Hashed };
    let c = kzg_case_with("mlp.onnx", "evm_mlp_all_hashed", v, true);
    assert_eq!(c.meta.kind, VerifierKind::Keyed, "{:?}", c.meta);
    assert_eq!(c.meta.shape.public_inputs, 3, "commitments of weights, input and output");
    let run = verify_evm(&c.dir.join("proof.json"), None, None, &ALLOW, &cache()).expect("EVM run");
    assert!(run.outcome.accepted, "honest proof rejected: {}", run.outcome.reason);
    eprintln!(
        "mlp_all_hashed: keyed gas {:?} (estimated {}), key runtime {:?}, calldata {} B, {:?}",
        run.outcome.gas_used, zkinfer::target::evm_gas(&c.shape), c.meta.key_contract, run.calldata_bytes, c.shape
    );
    let bytes = c.proof.proof_bytes().unwrap();
    let mut b = bytes.clone();
    b[bytes.len() / 2] ^= 0x01;
    let bad = ProofFile { proof: hex::encode(&b), ..c.proof.clone() };
    assert!(!run_keyed(&c.dir, &bad, "mlp_all_hashed_flip").accepted);
    // `--target evm` puts the three commitments on the compact column set too.
    let gas = run.outcome.gas_used.expect("gas of the honest run");
    assert!(c.shape.msm_terms < 40 && gas <= 500_000, "{gas}: {:?}", c.shape);
}

