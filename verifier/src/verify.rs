//! Checking one proof.
use std::panic::{catch_unwind, AssertUnwindSafe};

use halo2_proofs::{
    halo2curves::bn256::{Fr, G1Affine},
    plonk::{verify_proof, VerifyingKey},
    poly::{
        commitment::Params,
        VerificationStrategy,
        ipa::{commitment::{IPACommitmentScheme, ParamsIPA}, multiopen::VerifierIPA, strategy::SingleStrategy},
    },
    transcript::{Blake2bRead, Challenge255, TranscriptReadBuffer},
    SerdeFormat,
};
use zkinfer_circuits::{hash_to_field, to_field, ModelCircuit};

use crate::artifact::{ProofFile, PublicTensor, VkFile};
use crate::backend::Backend;
use crate::error::VerifyError;

/// Largest circuit this verifier accepts (guards allocations driven by untrusted files).
pub const MAX_K: u32 = 26;

/// Public parameters of the commitment scheme, for the verifying key's `k`.
pub enum VerifierParams {
    Ipa(ParamsIPA<G1Affine>),
}

impl VerifierParams {
    pub fn k(&self) -> u32 {
        match self {
            VerifierParams::Ipa(p) => p.k(),
        }
    }
    pub fn backend(&self) -> Backend {
        match self {
            VerifierParams::Ipa(_) => Backend::Ipa,
        }
    }
}

/// What a successful verification establishes.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedOutput {
    pub model_hash: String,
    pub input: PublicTensor,
    pub output: PublicTensor,
    /// The output dequantized (`value / 2^scale`).
    pub output_values: Vec<f64>,
}

fn check_tensor(what: &'static str, t: &PublicTensor, shape: &[usize], scale: i32, bits: u32) -> Result<(), VerifyError> {
    let expected: usize = shape.iter().product();
    if t.values.len() != expected || t.shape != shape {
        return Err(VerifyError::Length { what, got: t.values.len(), expected });
    }
    if t.scale != scale {
        return Err(VerifyError::Malformed { what, reason: format!("scale {} (the key says {scale})", t.scale) });
    }
    let (min, max) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
    for (index, &value) in t.values.iter().enumerate() {
        if value < min || value > max {
            return Err(VerifyError::Range { what, index, value, min, max });
        }
    }
    Ok(())
}

fn hash_bytes(hex_hash: &str) -> Result<[u8; 32], VerifyError> {
    let v = hex::decode(hex_hash).map_err(|e| VerifyError::Malformed { what: "model hash", reason: e.to_string() })?;
    v.try_into().map_err(|v: Vec<u8>| VerifyError::Malformed {
        what: "model hash",
        reason: format!("{} bytes, expected 32", v.len()),
    })
}

/// Verify `proof` with `vk` and `params`. With `expected_model_hash`, the proof must also be
/// for that model. Returns the verified output.
pub fn verify(
    params: &VerifierParams,
    vk: &VkFile,
    proof: &ProofFile,
    expected_model_hash: Option<&str>,
) -> Result<VerifiedOutput, VerifyError> {
    let h = &vk.header;
    if proof.backend != h.backend {
        return Err(VerifyError::BackendMismatch { proof: proof.backend, vk: h.backend });
    }
    if params.backend() != h.backend {
        return Err(VerifyError::BackendMismatch { proof: params.backend(), vk: h.backend });
    }
    if let Some(expected) = expected_model_hash {
        if !proof.model_hash.eq_ignore_ascii_case(expected.trim()) {
            return Err(VerifyError::ModelHashMismatch { got: proof.model_hash.clone(), expected: expected.trim().into() });
        }
    }
    if !proof.model_hash.eq_ignore_ascii_case(&h.model_hash) {
        return Err(VerifyError::VkModelMismatch { vk: h.model_hash.clone(), proof: proof.model_hash.clone() });
    }
    if proof.k != h.k {
        return Err(VerifyError::KMismatch { proof: proof.k, vk: h.k });
    }
    if h.k > MAX_K || !(2..=24).contains(&h.bits) {
        return Err(VerifyError::Malformed { what: "verifying key", reason: format!("k = {}, bits = {}", h.k, h.bits) });
    }
    if params.k() != h.k {
        return Err(VerifyError::ParamsMismatch { params: params.k(), vk: h.k });
    }
    // The halo2 key starts with a version byte and k (u32 LE); check k before parsing.
    let key_k = vk.key.get(1..5).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
    if key_k != Some(h.k) {
        return Err(VerifyError::Malformed { what: "verifying key", reason: format!("key k {key_k:?} != header k {}", h.k) });
    }
    check_tensor("input", &proof.input, &h.input_shape, h.input_scale, h.bits)?;
    check_tensor("output", &proof.output, &h.output_shape, h.output_scale, h.bits)?;
    let hash = hash_bytes(&proof.model_hash)?;
    let proof_bytes = proof.proof_bytes()?;

    let mut instance: Vec<Fr> = Vec::with_capacity(1 + proof.input.values.len() + proof.output.values.len());
    instance.push(hash_to_field(&hash));
    instance.extend(proof.input.values.iter().map(|&v| to_field::<Fr>(v)));
    instance.extend(proof.output.values.iter().map(|&v| to_field::<Fr>(v)));

    let circuit_params = h.circuit;
    circuit_params
        .check()
        .map_err(|e| VerifyError::Malformed { what: "verifying key", reason: e.to_string() })?;
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(), VerifyError> {
        let key = VerifyingKey::<G1Affine>::read::<_, ModelCircuit<Fr>>(
            &mut vk.key.as_slice(),
            SerdeFormat::Processed,
            circuit_params,
        )
        .map_err(|e| VerifyError::Malformed { what: "verifying key", reason: e.to_string() })?;
        match params {
            VerifierParams::Ipa(p) => {
                let mut transcript = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(proof_bytes.as_slice());
                verify_proof::<IPACommitmentScheme<G1Affine>, VerifierIPA<G1Affine>, _, _, SingleStrategy<G1Affine>>(
                    p,
                    &key,
                    SingleStrategy::new(p),
                    &[&[&instance]],
                    &mut transcript,
                )
                .map_err(|e| VerifyError::Rejected(format!("{e:?}")))
            }
        }
    }));
    match outcome {
        Ok(r) => r?,
        Err(_) => return Err(VerifyError::Rejected("the proof system rejected malformed data".into())),
    }
    Ok(VerifiedOutput {
        model_hash: proof.model_hash.clone(),
        input: proof.input.clone(),
        output: proof.output.clone(),
        output_values: proof.output.dequantize(),
    })
}
