//! Proving one inference.
use halo2_proofs::{
    halo2curves::bn256::{Fr, G1Affine},
    plonk::{create_proof, ProvingKey},
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

/// Public parameters a proof can be made with: each commitment scheme with its transcript.
pub trait ProvingParams {
    /// The halo2 proof of `circuit` with public inputs `instances`.
    fn create(&self, pk: &ProvingKey<G1Affine>, circuit: ModelCircuit<Fr>, instances: &[Fr]) -> Result<Vec<u8>, ProverError>;
}

fn halo2_err(e: halo2_proofs::plonk::Error) -> ProverError {
    ProverError::Halo2 { stage: "create_proof", reason: format!("{e:?}") }
}

/// IPA with halo2's Blake2b transcript.
impl ProvingParams for ParamsIPA<G1Affine> {
    fn create(&self, pk: &ProvingKey<G1Affine>, circuit: ModelCircuit<Fr>, instances: &[Fr]) -> Result<Vec<u8>, ProverError> {
        let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
        create_proof::<IPACommitmentScheme<G1Affine>, ProverIPA<G1Affine>, _, _, _, _>(
            self,
            pk,
            &[circuit],
            &[&[instances]],
            OsRng,
            &mut transcript,
        )
        .map_err(halo2_err)?;
        Ok(transcript.finalize())
    }
}

/// Prove `circuit` (built with its input) with `params` (IPA, KZG, or either as
/// [`crate::ProverParams`]).
pub fn prove<P: ProvingParams + ?Sized>(params: &P, keys: &Keys, circuit: ModelCircuit<Fr>) -> Result<Proved, ProverError> {
    let instances = circuit.instances().ok_or(ProverError::Halo2 { stage: "prove", reason: "no witness".into() })?;
    let output = circuit
        .witness
        .as_ref()
        .map(|w| w.output().to_vec())
        .unwrap_or_default();
    let proof = params.create(&keys.pk, circuit, &instances)?;
    Ok(Proved { proof, output })
}
