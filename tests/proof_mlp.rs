//! End to end on the zoo MLP through the library pipeline: the proved output equals the
//! integer reference, the proof verifies, and every tampering is rejected with a typed error.
mod common;

use std::sync::OnceLock;

use common::*;
use zkinfer::models::data::Dataset;
use zkinfer::pipeline::{self, Prepared, Settings};
use zkinfer::prover::ParamsCache;
use zkinfer::report::Timings;
use zkinfer::verifier::{verify, ProofFile, VerifierParams, VerifyError, VkFile};

struct Proved {
    prepared: Prepared,
    proof: ProofFile,
    vk: VkFile,
    params: VerifierParams,
    identity: String,
}

fn prove_model(model: &str, dir: &str) -> Proved {
    let settings = Settings::default();
    let cache = ParamsCache::new(cache_dir());
    let prepared = pipeline::prepare(&zoo(model), &zoo("calibration.json"), &settings.quant).expect("prepare");
    let out = scratch(dir);
    let mut t = Timings::default();
    let setup = pipeline::setup(&prepared, &settings, &out, &cache, false, &mut t, &|_| {}).expect("setup");
    let input = Dataset::load(&zoo("input.json")).expect("input").samples.remove(0);
    let proof = pipeline::prove(&prepared, &settings, &setup, &input, &out, &mut t, &|_| {}).expect("prove");
    let params = VerifierParams::Ipa(cache.ipa(setup.spec.k).expect("params"));
    let identity = zkinfer::verifier::model_identity(&setup.vk, None).expect("identity").to_string();
    Proved { prepared, proof, vk: setup.vk, params, identity }
}

fn mlp() -> &'static Proved {
    static P: OnceLock<Proved> = OnceLock::new();
    P.get_or_init(|| prove_model("mlp.onnx", "proof_mlp"))
}

fn check(p: &ProofFile) -> Result<zkinfer::verifier::VerifiedOutput, VerifyError> {
    let m = mlp();
    verify(&m.params, &m.vk, p, Some(&m.identity))
}

#[test]
fn honest_proof_verifies_and_output_is_the_integer_reference() {
    let m = mlp();
    let v = check(&m.proof).expect("honest proof must verify");
    let q = m.prepared.quant.quantize_input(&Dataset::load(&zoo("input.json")).unwrap().samples[0]).unwrap();
    let reference = m.prepared.quant.forward(&q).unwrap();
    assert_eq!(v.output.values, reference.output().iter().copied().collect::<Vec<_>>());
    assert_eq!(v.input.values, q);
    // The proof also reads back from its file.
    let text = std::fs::read_to_string(root().join("target/test-scratch/proof_mlp/proof.json")).unwrap();
    assert_eq!(ProofFile::from_json(&text).unwrap(), m.proof);
}

#[test]
fn flipped_proof_byte_is_rejected() {
    let m = mlp();
    let bytes = m.proof.proof_bytes().unwrap();
    for pos in [0, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        let p = ProofFile { proof: hex::encode(&b), ..m.proof.clone() };
        let e = check(&p).unwrap_err();
        assert!(matches!(e, VerifyError::Rejected(_)), "byte {pos}: {e}");
    }
}

#[test]
fn changed_output_is_rejected() {
    let mut p = mlp().proof.clone();
    p.output.values[0] += 1;
    assert!(matches!(check(&p).unwrap_err(), VerifyError::Rejected(_)));
}

#[test]
fn changed_input_is_rejected() {
    let mut p = mlp().proof.clone();
    let i = p.input.values.iter().position(|&v| v > 0).unwrap();
    p.input.values[i] -= 1;
    assert!(matches!(check(&p).unwrap_err(), VerifyError::Rejected(_)));
}

#[test]
fn out_of_range_public_value_is_a_typed_error() {
    let mut p = mlp().proof.clone();
    p.output.values[3] = 1 << 40;
    assert!(matches!(check(&p).unwrap_err(), VerifyError::Range { what: "output", index: 3, .. }));
}

#[test]
fn wrong_expected_identity_is_rejected() {
    let m = mlp();
    let other = "00".repeat(32);
    let e = verify(&m.params, &m.vk, &m.proof, Some(&other)).unwrap_err();
    assert!(matches!(e, VerifyError::IdentityMismatch { .. }), "{e}");
    let e = verify(&m.params, &m.vk, &m.proof, Some("not hex")).unwrap_err();
    assert!(matches!(e, VerifyError::BadIdentity { .. }), "{e}");
}

#[test]
fn proof_claiming_another_model_hash_is_rejected() {
    // Attacker rewrites the hash in the proof and in the vk header: the key's constant differs.
    let m = mlp();
    let fake = "ab".repeat(32);
    let p = ProofFile { model_hash: fake.clone(), ..m.proof.clone() };
    let mut vk = m.vk.clone();
    vk.header.model_hash = fake.clone();
    let e = verify(&m.params, &vk, &p, None).unwrap_err();
    assert!(matches!(e, VerifyError::Rejected(_)), "{e}");
    // The identity covers the header, so the edit also changes it.
    let e = verify(&m.params, &vk, &p, Some(&m.identity)).unwrap_err();
    assert!(matches!(e, VerifyError::IdentityMismatch { .. }), "{e}");
}

#[test]
fn vk_of_another_model_is_rejected() {
    let m = mlp();
    let cnn = prove_model("cnn.onnx", "proof_mlp_other_vk");
    // As written: the header names another model.
    let e = verify(&cnn.params, &cnn.vk, &m.proof, None).unwrap_err();
    assert!(matches!(e, VerifyError::VkModelMismatch { .. }), "{e}");
    // Header forged to the MLP's hash and shapes: the halo2 check still fails.
    let mut forged = cnn.vk.clone();
    forged.header = m.vk.header.clone();
    forged.header.k = cnn.vk.header.k;
    let p = ProofFile { k: cnn.vk.header.k, ..m.proof.clone() };
    let e = verify(&cnn.params, &forged, &p, None).unwrap_err();
    assert!(matches!(e, VerifyError::Rejected(_) | VerifyError::Malformed { .. }), "{e}");
}

#[test]
fn truncated_proof_is_rejected() {
    let m = mlp();
    let json = m.proof.to_json();
    let e = ProofFile::from_json(&json[..json.len() / 2]).unwrap_err();
    assert!(matches!(e, VerifyError::Malformed { what: "proof file", .. }), "{e}");
    let bytes = m.proof.proof_bytes().unwrap();
    for len in [0, 10, bytes.len() / 2, bytes.len() - 1] {
        let p = ProofFile { proof: hex::encode(&bytes[..len]), ..m.proof.clone() };
        assert!(matches!(check(&p).unwrap_err(), VerifyError::Rejected(_)), "len {len}");
    }
    let p = ProofFile { proof: "zz".into(), ..m.proof.clone() };
    assert!(matches!(check(&p).unwrap_err(), VerifyError::Malformed { what: "proof bytes", .. }));
}

#[test]
fn truncated_or_garbage_vk_is_rejected() {
    let m = mlp();
    let bytes = m.vk.to_bytes();
    for len in [0, 7, 12, 40, bytes.len() - 1] {
        match VkFile::from_bytes(&bytes[..len]) {
            Err(e) => assert!(matches!(e, VerifyError::Malformed { .. }), "{e}"),
            Ok(vk) => {
                let e = verify(&m.params, &vk, &m.proof, None).unwrap_err();
                assert!(matches!(e, VerifyError::Malformed { .. } | VerifyError::Rejected(_)), "{e}");
            }
        }
    }
}
