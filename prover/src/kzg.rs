//! The KZG backend (BN254, SHPLONK multi-opening) and [`ProverParams`], the parameters of
//! either backend chosen at run time.
//!
//! KZG proofs are written with snark-verifier's `EvmTranscript` (Keccak-256, uncompressed
//! points), the transcript the generated Solidity verifier replays, so one proof serves the
//! native verifier (`zkinfer_verifier::transcript` reads it) and the EVM. The circuit is the same
//! `ModelCircuit<Fr>` as for IPA: both schemes commit over BN254.
use halo2_proofs::{
    halo2curves::bn256::{Bn256, Fr, G1Affine},
    plonk::{create_proof, ProvingKey},
    poly::{
        commitment::Params,
        ipa::commitment::ParamsIPA,
        kzg::{commitment::{KZGCommitmentScheme, ParamsKZG}, multiopen::ProverSHPLONK},
    },
    transcript::TranscriptWriterBuffer,
};
use rand::rngs::OsRng;
use snark_verifier::{loader::native::NativeLoader, system::halo2::transcript::evm::{ChallengeEvm, EvmTranscript}};
use zkinfer_circuits::ModelCircuit;
use zkinfer_verifier::{Backend, VerifierParams};

use crate::error::ProverError;
use crate::keys::{keygen, Keys};
use crate::profile::Timed;
use crate::prove::{Created, ProvingParams};

/// The proof transcript of KZG proofs.
pub type KzgTranscript = EvmTranscript<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>;

/// KZG with SHPLONK and the EVM (Keccak) transcript.
impl ProvingParams for ParamsKZG<Bn256> {
    fn create(&self, pk: &ProvingKey<G1Affine>, circuit: ModelCircuit<Fr>, instances: &[Fr]) -> Result<Created, ProverError> {
        let mut transcript = Timed::new(<KzgTranscript as TranscriptWriterBuffer<_, G1Affine, ChallengeEvm<G1Affine>>>::init(Vec::new()));
        create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, ChallengeEvm<G1Affine>, _, _, _>(
            self,
            pk,
            &[circuit],
            &[&[instances]],
            OsRng,
            &mut transcript,
        )
        .map_err(|e| ProverError::Halo2 { stage: "create_proof", reason: format!("{e:?}") })?;
        let (inner, events, end) = transcript.finish();
        let t = std::time::Instant::now();
        let proof = inner.finalize();
        Ok(Created { proof, end, total: end + t.elapsed().as_secs_f64(), events })
    }
}

/// Public parameters of either backend.
#[derive(Clone, Debug)]
pub enum ProverParams {
    Ipa(ParamsIPA<G1Affine>),
    Kzg(ParamsKZG<Bn256>),
}

impl ProverParams {
    pub fn k(&self) -> u32 {
        match self {
            ProverParams::Ipa(p) => p.k(),
            ProverParams::Kzg(p) => p.k(),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            ProverParams::Ipa(_) => Backend::Ipa,
            ProverParams::Kzg(_) => Backend::Kzg,
        }
    }

    /// Verifying and proving keys for `circuit` with these parameters.
    pub fn keygen(&self, circuit: &ModelCircuit<Fr>) -> Result<Keys, ProverError> {
        match self {
            ProverParams::Ipa(p) => keygen(p, circuit),
            ProverParams::Kzg(p) => keygen(p, circuit),
        }
    }

    /// The same parameters for the verifier.
    pub fn to_verifier(&self) -> VerifierParams {
        match self {
            ProverParams::Ipa(p) => VerifierParams::Ipa(p.clone()),
            ProverParams::Kzg(p) => VerifierParams::Kzg(p.clone()),
        }
    }
}

impl ProvingParams for ProverParams {
    fn create(&self, pk: &ProvingKey<G1Affine>, circuit: ModelCircuit<Fr>, instances: &[Fr]) -> Result<Created, ProverError> {
        match self {
            ProverParams::Ipa(p) => p.create(pk, circuit, instances),
            ProverParams::Kzg(p) => p.create(pk, circuit, instances),
        }
    }
}

#[cfg(test)]
mod tests {
    use halo2_proofs::{
        halo2curves::{bn256::Fr, ff::Field, group::Curve},
        transcript::{Transcript, TranscriptRead, TranscriptReadBuffer, TranscriptWrite},
    };
    use rand::rngs::OsRng;
    use zkinfer_verifier::transcript::{EvmChallenge, EvmTranscriptRead};

    use super::*;

    /// The thin verifier's reader replays snark-verifier's EVM transcript exactly: same
    /// points and scalars back, same challenges, for every mix of absorbing and squeezing
    /// (including two squeezes in a row, where the 0x01 byte is appended).
    #[test]
    fn verifier_transcript_matches_snark_verifier() {
        use snark_verifier::system::halo2::transcript::evm::ChallengeEvm;
        let mut w = <KzgTranscript as TranscriptWriterBuffer<_, G1Affine, ChallengeEvm<G1Affine>>>::init(Vec::new());
        let mut expected = vec![];
        let points: Vec<G1Affine> = (0..3).map(|_| (G1Affine::generator() * Fr::random(OsRng)).to_affine()).collect();
        let scalars: Vec<Fr> = (0..3).map(|_| Fr::random(OsRng)).collect();
        w.common_scalar(Fr::from(7)).unwrap();
        for (p, s) in points.iter().zip(&scalars) {
            w.write_point(*p).unwrap();
            expected.push(Transcript::<G1Affine, ChallengeEvm<G1Affine>>::squeeze_challenge(&mut w).get_scalar_evm());
            expected.push(Transcript::<G1Affine, ChallengeEvm<G1Affine>>::squeeze_challenge(&mut w).get_scalar_evm());
            w.write_scalar(*s).unwrap();
        }
        expected.push(Transcript::<G1Affine, ChallengeEvm<G1Affine>>::squeeze_challenge(&mut w).get_scalar_evm());
        let bytes = w.finalize();

        let mut r = EvmTranscriptRead::init(bytes.as_slice());
        let mut got = vec![];
        Transcript::<G1Affine, EvmChallenge>::common_scalar(&mut r, Fr::from(7)).unwrap();
        for (p, s) in points.iter().zip(&scalars) {
            assert_eq!(TranscriptRead::<G1Affine, EvmChallenge>::read_point(&mut r).unwrap(), *p);
            got.push(halo2_proofs::transcript::EncodedChallenge::<G1Affine>::get_scalar(&Transcript::<G1Affine, EvmChallenge>::squeeze_challenge(&mut r)));
            got.push(halo2_proofs::transcript::EncodedChallenge::<G1Affine>::get_scalar(&Transcript::<G1Affine, EvmChallenge>::squeeze_challenge(&mut r)));
            assert_eq!(TranscriptRead::<G1Affine, EvmChallenge>::read_scalar(&mut r).unwrap(), *s);
        }
        got.push(halo2_proofs::transcript::EncodedChallenge::<G1Affine>::get_scalar(&Transcript::<G1Affine, EvmChallenge>::squeeze_challenge(&mut r)));
        assert_eq!(got, expected);
    }

    trait ScalarOf {
        fn get_scalar_evm(&self) -> Fr;
    }
    impl ScalarOf for snark_verifier::system::halo2::transcript::evm::ChallengeEvm<G1Affine> {
        fn get_scalar_evm(&self) -> Fr {
            halo2_proofs::transcript::EncodedChallenge::<G1Affine>::get_scalar(self)
        }
    }
}
