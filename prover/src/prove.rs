//! Proving one inference.
use halo2_proofs::{
    halo2curves::bn256::{Fr, G1Affine},
    plonk::create_proof,
    poly::ipa::{commitment::{IPACommitmentScheme, ParamsIPA}, multiopen::ProverIPA},
    transcript::{Blake2bWrite, Challenge255, TranscriptWriterBuffer},
};
use rand::rngs::OsRng;
use zkinfer_circuits::ModelCircuit;

use crate::error::ProverError;
use crate::keys::Keys;

pub struct Proved {
    pub proof: Vec<u8>,
    /// The public output the circuit computed.
    pub output: Vec<i64>,
}

/// Prove `circuit` (built with its input) with IPA.
pub fn prove(params: &ParamsIPA<G1Affine>, keys: &Keys, circuit: ModelCircuit<Fr>) -> Result<Proved, ProverError> {
    let instances = circuit.instances().ok_or(ProverError::Halo2 { stage: "prove", reason: "no witness".into() })?;
    let output = circuit
        .witness
        .as_ref()
        .map(|w| w.output().to_vec())
        .unwrap_or_default();
    let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<IPACommitmentScheme<G1Affine>, ProverIPA<G1Affine>, _, _, _, _>(
        params,
        &keys.pk,
        &[circuit],
        &[&[&instances]],
        OsRng,
        &mut transcript,
    )
    .map_err(|e| ProverError::Halo2 { stage: "create_proof", reason: format!("{e:?}") })?;
    Ok(Proved { proof: transcript.finalize(), output })
}
