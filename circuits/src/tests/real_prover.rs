//! One real KZG proof (not MockProver): keygen from the witness-free circuit, prove, verify,
//! re-read the verifying key with only `CircuitParams`, and reject a wrong output.
use std::sync::Arc;

use halo2_proofs::{
    halo2curves::bn256::{Bn256, Fr, G1Affine},
    plonk::{create_proof, keygen_pk, keygen_vk, verify_proof, Circuit, VerifyingKey},
    poly::commitment::ParamsProver,
    poly::kzg::{
        commitment::{KZGCommitmentScheme, ParamsKZG},
        multiopen::{ProverSHPLONK, VerifierSHPLONK},
        strategy::SingleStrategy,
    },
    transcript::{
        Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
    },
    SerdeFormat,
};
use rand::rngs::OsRng;

use super::builders::*;
use crate::circuit::{CircuitParams, ModelCircuit};
use crate::ir::Activation;
use crate::spec::{CircuitSpec, CompileOptions};

#[test]
fn kzg_prove_and_verify() {
    let (m, x) = dense(Activation::Relu, 21);
    let params_c = CircuitParams { width: 4, ..Default::default() };
    let spec = CircuitSpec::compile(&m, &CompileOptions { width: 4 }).unwrap();
    let model = Arc::new(m);
    let circuit = ModelCircuit::<Fr>::new(model.clone(), params_c, [5; 32], Some(x)).unwrap();
    let inst = circuit.instances().unwrap();
    let params = ParamsKZG::<Bn256>::setup(spec.k, OsRng);
    let keygen = ModelCircuit::<Fr>::for_keygen(model, params_c, [5; 32]).unwrap();
    let vk = keygen_vk(&params, &keygen).unwrap();
    let pk = keygen_pk(&params, vk.clone(), &keygen).unwrap();

    let mut tr = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        &params,
        &pk,
        std::slice::from_ref(&circuit),
        &[&[&inst]],
        OsRng,
        &mut tr,
    )
    .unwrap();
    let proof = tr.finalize();

    // The verifier reads the vk knowing only the small params.
    let mut bytes = vec![];
    vk.write(&mut bytes, SerdeFormat::RawBytes).unwrap();
    let vk2 = VerifyingKey::<G1Affine>::read::<_, ModelCircuit<Fr>>(
        &mut bytes.as_slice(),
        SerdeFormat::RawBytes,
        circuit.params(),
    )
    .unwrap();
    let check = |inst: &[Fr]| {
        let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&proof[..]);
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
            params.verifier_params(),
            &vk2,
            SingleStrategy::new(&params),
            &[&[inst]],
            &mut t,
        )
        .is_ok()
    };
    assert!(check(&inst), "honest proof rejected");
    let mut bad = inst.clone();
    *bad.last_mut().unwrap() += Fr::one();
    assert!(!check(&bad), "wrong output accepted");
    let mut bad = inst.clone();
    bad[0] += Fr::one();
    assert!(!check(&bad), "wrong model hash accepted");
    // The verifying key itself binds the model hash (a constant of the circuit).
    let other = ModelCircuit::<Fr>::for_keygen(keygen.model.clone(), params_c, [6; 32]).unwrap();
    let mut other_bytes = vec![];
    keygen_vk(&params, &other)
        .unwrap()
        .write(&mut other_bytes, SerdeFormat::RawBytes)
        .unwrap();
    assert_ne!(bytes, other_bytes);
    println!("k={} proof bytes={}", spec.k, proof.len());
}

/// A batch of three through the real prover (two phases: the Freivalds challenge is squeezed
/// from the transcript between them): accepted, and rejected with one sample's output changed.
#[test]
fn kzg_batch_prove_and_verify() {
    let (m, x) = dense(Activation::Relu, 22);
    let mut xs = x.clone();
    xs.extend(x.iter().rev());
    xs.extend(x.iter().map(|v| v / 2));
    let p = CircuitParams { width: 4, batch: 3, ..Default::default() };
    let spec = CircuitSpec::compile_params(&m, &p).unwrap();
    assert!(spec.layers.iter().any(|l| l.kind == "affine (freivalds)"));
    let model = Arc::new(m);
    let circuit = ModelCircuit::<Fr>::new(model.clone(), p, [5; 32], Some(xs)).unwrap();
    let inst = circuit.instances().unwrap();
    let params = ParamsKZG::<Bn256>::setup(spec.k, OsRng);
    let keygen = ModelCircuit::<Fr>::for_keygen(model, p, [5; 32]).unwrap();
    let vk = keygen_vk(&params, &keygen).unwrap();
    let pk = keygen_pk(&params, vk.clone(), &keygen).unwrap();
    let mut tr = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        &params,
        &pk,
        std::slice::from_ref(&circuit),
        &[&[&inst]],
        OsRng,
        &mut tr,
    )
    .unwrap();
    let proof = tr.finalize();
    let check = |inst: &[Fr]| {
        let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&proof[..]);
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
            params.verifier_params(),
            &vk,
            SingleStrategy::new(&params),
            &[&[inst]],
            &mut t,
        )
        .is_ok()
    };
    assert!(check(&inst), "honest batch proof rejected");
    let mut bad = inst.clone();
    let i = inst.len() - 5; // an output of the second sample (4 outputs per sample)
    bad[i] += Fr::one();
    assert!(!check(&bad), "changed output accepted");
}
