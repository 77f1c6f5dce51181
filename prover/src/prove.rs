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
use crate::profile::{CircuitFacts, ProveProfile, Timed};

pub struct Proved {
    pub proof: Vec<u8>,
    /// The public output the circuit computed.
    pub output: Vec<i64>,
    /// Where `create_proof` spent its time (see [`crate::profile`]).
    pub profile: ProveProfile,
}

/// A proof with the transcript calls that made it (see [`crate::profile`]).
pub struct Created {
    pub proof: Vec<u8>,
    pub events: Vec<(f64, crate::profile::Event)>,
    /// Seconds until `create_proof` returned.
    pub end: f64,
    /// Seconds until the transcript was finalized.
    pub total: f64,
}

/// Public parameters a proof can be made with: each commitment scheme with its transcript.
pub trait ProvingParams {
    /// The halo2 proof of `circuit` with public inputs `instances`, with the times of its
    /// transcript calls (recording them does not change the proof).
    fn create(&self, pk: &ProvingKey<G1Affine>, circuit: ModelCircuit<Fr>, instances: &[Fr]) -> Result<Created, ProverError>;
}

fn halo2_err(e: halo2_proofs::plonk::Error) -> ProverError {
    ProverError::Halo2 { stage: "create_proof", reason: format!("{e:?}") }
}

/// IPA with halo2's Blake2b transcript.
impl ProvingParams for ParamsIPA<G1Affine> {
    fn create(&self, pk: &ProvingKey<G1Affine>, circuit: ModelCircuit<Fr>, instances: &[Fr]) -> Result<Created, ProverError> {
        let mut transcript = Timed::new(Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]));
        create_proof::<IPACommitmentScheme<G1Affine>, ProverIPA<G1Affine>, Challenge255<_>, _, _, _>(
            self,
            pk,
            &[circuit],
            &[&[instances]],
            OsRng,
            &mut transcript,
        )
        .map_err(halo2_err)?;
        let (inner, events, end) = transcript.finish();
        let t = std::time::Instant::now();
        let proof = inner.finalize();
        Ok(Created { proof, end, total: end + t.elapsed().as_secs_f64(), events })
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
    let created = params.create(&keys.pk, circuit, &instances)?;
    let profile = ProveProfile::from_events(&created.events, created.end, created.total, CircuitFacts::of(&keys.pk));
    Ok(Proved { proof: created.proof, output, profile })
}
