//! Checking one proof.
use std::panic::{catch_unwind, AssertUnwindSafe};

use halo2_proofs::{
    halo2curves::bn256::{Bn256, Fr, G1Affine},
    plonk::{verify_proof, VerifyingKey},
    poly::{
        commitment::Params,
        VerificationStrategy,
        ipa::{commitment::{IPACommitmentScheme, ParamsIPA}, multiopen::VerifierIPA, strategy::SingleStrategy},
        kzg::{
            commitment::{KZGCommitmentScheme, ParamsKZG},
            multiopen::VerifierSHPLONK,
            strategy::SingleStrategy as KzgSingleStrategy,
        },
    },
    transcript::{Blake2bRead, Challenge255, TranscriptReadBuffer},
    SerdeFormat,
};
use zkinfer_circuits::{hash_to_field, poseidon, to_field, ModelCircuit, TensorVisibility, WeightVisibility};

use crate::artifact::{ProofFile, PublicTensor, VkFile};
use crate::backend::Backend;
use crate::error::VerifyError;
use crate::identity::{check_expected, identity_of, key_digest_of, ModelIdentity};
use crate::insecure::is_insecure_s_g2;
use crate::transcript::EvmTranscriptRead;

pub use crate::artifact::MAX_K;

/// Public parameters of the commitment scheme, for the verifying key's `k`.
pub enum VerifierParams {
    Ipa(ParamsIPA<G1Affine>),
    /// KZG parameters (only `[1]G1`, `[1]G2` and `[tau]G2` are used to verify).
    Kzg(ParamsKZG<Bn256>),
}

impl VerifierParams {
    pub fn k(&self) -> u32 {
        match self {
            VerifierParams::Ipa(p) => p.k(),
            VerifierParams::Kzg(p) => p.k(),
        }
    }
    pub fn backend(&self) -> Backend {
        match self {
            VerifierParams::Ipa(_) => Backend::Ipa,
            VerifierParams::Kzg(_) => Backend::Kzg,
        }
    }
}

/// Hex of a KZG SRS's `[tau]G2` in halo2's raw-bytes encoding (what [`crate::SrsInfo`] records).
pub fn kzg_s_g2_hex(params: &ParamsKZG<Bn256>) -> String {
    use halo2_proofs::halo2curves::serde::SerdeObject;
    hex::encode(params.s_g2().to_raw_bytes())
}

/// What a successful verification establishes.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedOutput {
    /// The identity of the key the proof verified with, recomputed from that key (see
    /// [`crate::identity`]): `KEYDIGEST` (fixed weights) or `COMMITMENT:KEYDIGEST` (hashed).
    pub identity: ModelIdentity,
    /// Whether the caller supplied an expected identity and it matched. Without one, the
    /// verification shows only that the proof is consistent with the key it came with.
    pub identity_checked: bool,
    /// The hash the proof carries: with fixed weights the SHA-256 of the quantized model
    /// (bound through the key, whose constant and header it must equal), with hashed weights
    /// the Poseidon weights commitment (a public input).
    pub model_hash: String,
    /// Values only when public (see `visibility`).
    pub input: PublicTensor,
    pub output: PublicTensor,
    /// The output dequantized (`value / 2^scale`; empty unless the output is public).
    pub output_values: Vec<f64>,
    pub visibility: zkinfer_circuits::Visibility,
    /// The verified Poseidon hashes of `hashed` tensors.
    pub input_hash: Option<String>,
    pub output_hash: Option<String>,
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

/// The instance part of one tensor: its values (`public`), its hash (`hashed`) or nothing
/// (`private`); a hashed or private tensor must carry no values.
fn tensor_part(
    what: &'static str,
    vis: TensorVisibility,
    t: &PublicTensor,
    hash: Option<&String>,
    shape: &[usize],
    scale: i32,
    bits: u32,
) -> Result<Vec<Fr>, VerifyError> {
    if vis == TensorVisibility::Public {
        check_tensor(what, t, shape, scale, bits)?;
        return Ok(t.values.iter().map(|&v| to_field::<Fr>(v)).collect());
    }
    if t.shape != shape || t.scale != scale || !t.values.is_empty() {
        return Err(VerifyError::Malformed {
            what,
            reason: format!("a {vis} tensor has shape {shape:?}, scale {scale} and no values"),
        });
    }
    match vis {
        TensorVisibility::Hashed => {
            let h = hash.ok_or(VerifyError::Malformed { what, reason: "a hashed tensor without its hash".into() })?;
            let f = poseidon::from_hex::<Fr>(h)
                .ok_or_else(|| VerifyError::Malformed { what, reason: format!("hash {h} is not 64 hex digits below the field modulus") })?;
            Ok(vec![f])
        }
        _ => Ok(Vec::new()),
    }
}

fn hash_bytes(hex_hash: &str) -> Result<[u8; 32], VerifyError> {
    let v = hex::decode(hex_hash).map_err(|e| VerifyError::Malformed { what: "model hash", reason: e.to_string() })?;
    v.try_into().map_err(|v: Vec<u8>| VerifyError::Malformed {
        what: "model hash",
        reason: format!("{} bytes, expected 32", v.len()),
    })
}

/// The checks that need no proof system (the key header's bounds, backend, visibility, model
/// hash, `k`, shapes and ranges of the public values, hash fields only where a tensor is
/// hashed), then the public inputs `[model hash, input part, output part]` as field elements,
/// in the order the circuit (and the EVM verifier's calldata) expects them (see
/// `zkinfer_circuits::instances_for`). The model identity is not checked here: see [`verify`].
pub fn public_instances(vk: &VkFile, proof: &ProofFile) -> Result<Vec<Fr>, VerifyError> {
    let h = &vk.header;
    h.check()?;
    if proof.backend != h.backend {
        return Err(VerifyError::BackendMismatch { proof: proof.backend, vk: h.backend });
    }
    let vis = h.circuit.visibility;
    if proof.visibility != vis {
        let show = |v: &zkinfer_circuits::Visibility| format!("input {}, output {}, weights {}", v.input, v.output, v.weights);
        return Err(VerifyError::VisibilityMismatch { proof: show(&proof.visibility), vk: show(&vis) });
    }
    // With hashed weights the key's header names the architecture, not the weights: the model
    // commitment is a public input, checked by the proof itself.
    if vis.weights == WeightVisibility::Fixed && !proof.model_hash.eq_ignore_ascii_case(&h.model_hash) {
        return Err(VerifyError::VkModelMismatch { vk: h.model_hash.clone(), proof: proof.model_hash.clone() });
    }
    if proof.k != h.k {
        return Err(VerifyError::KMismatch { proof: proof.k, vk: h.k });
    }
    // A hash field is a claim only where the tensor is hashed (then the proof binds it).
    for (what, vis, hash) in [("input", vis.input, &proof.input_hash), ("output", vis.output, &proof.output_hash)] {
        if vis != TensorVisibility::Hashed && hash.is_some() {
            return Err(VerifyError::Malformed { what, reason: format!("a {vis} tensor carries a hash: nothing would check it") });
        }
    }
    // The halo2 key starts with a version byte and k (u32 LE); check k before parsing.
    let key_k = vk.key.get(1..5).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
    if key_k != Some(h.k) {
        return Err(VerifyError::Malformed { what: "verifying key", reason: format!("key k {key_k:?} != header k {}", h.k) });
    }
    let input = tensor_part("input", vis.input, &proof.input, proof.input_hash.as_ref(), &h.input_shape, h.input_scale, h.bits)?;
    let output = tensor_part("output", vis.output, &proof.output, proof.output_hash.as_ref(), &h.output_shape, h.output_scale, h.bits)?;
    let model_hash = match vis.weights {
        WeightVisibility::Fixed => hash_to_field(&hash_bytes(&proof.model_hash)?),
        WeightVisibility::Hashed => poseidon::from_hex::<Fr>(&proof.model_hash).ok_or_else(|| VerifyError::Malformed {
            what: "model hash",
            reason: format!("{} is not a model commitment (64 hex digits below the field modulus)", proof.model_hash),
        })?,
    };
    let mut instance: Vec<Fr> = Vec::with_capacity(1 + input.len() + output.len());
    instance.push(model_hash);
    instance.extend(input);
    instance.extend(output);
    Ok(instance)
}

/// The halo2 verifying key inside `vk` (the constraint system comes from the circuit
/// definition and the header's circuit parameters).
pub fn read_key(vk: &VkFile) -> Result<VerifyingKey<G1Affine>, VerifyError> {
    let circuit_params = vk.header.circuit;
    vk.header.check()?;
    // The halo2 key starts with a version byte and k (u32 LE); check k before parsing.
    let key_k = vk.key.get(1..5).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
    if key_k != Some(vk.header.k) {
        return Err(VerifyError::Malformed { what: "verifying key", reason: format!("key k {key_k:?} != header k {}", vk.header.k) });
    }
    // Byte 5 says whether the selectors are compressed; then halo2 allocates one bit vector of
    // 2^k per selector before reading them: refuse a key too short to hold them.
    if vk.key.get(5) == Some(&1) {
        let selectors = catch_unwind(|| {
            let mut cs = halo2_proofs::plonk::ConstraintSystem::<Fr>::default();
            let _ = <ModelCircuit<Fr> as halo2_proofs::plonk::Circuit<Fr>>::configure_with_params(&mut cs, circuit_params);
            cs.num_selectors()
        })
        .map_err(|_| VerifyError::Malformed { what: "verifying key", reason: "unusable circuit parameters".into() })?;
        let need = (selectors as u64).saturating_mul((1u64 << vk.header.k.min(63)).div_ceil(8));
        if (vk.key.len() as u64) < need {
            return Err(VerifyError::Malformed {
                what: "verifying key",
                reason: format!("{} bytes cannot hold the {selectors} selectors of 2^{} rows", vk.key.len(), vk.header.k),
            });
        }
    }
    let mut rest = vk.key.as_slice();
    let read = catch_unwind(AssertUnwindSafe(|| {
        VerifyingKey::<G1Affine>::read::<_, ModelCircuit<Fr>>(&mut rest, SerdeFormat::Processed, circuit_params)
    }));
    match read {
        Ok(Ok(_)) if !rest.is_empty() => Err(VerifyError::TrailingBytes { what: "verifying key", extra: rest.len() }),
        // halo2 takes the number of fixed commitments from the file, and its verifier indexes
        // them by the constraint system's columns: fewer would panic (a trap in wasm).
        Ok(Ok(key)) if key.fixed_commitments().len() != key.cs().num_fixed_columns() => Err(VerifyError::Malformed {
            what: "verifying key",
            reason: format!(
                "{} fixed commitments for {} fixed columns",
                key.fixed_commitments().len(),
                key.cs().num_fixed_columns()
            ),
        }),
        Ok(Ok(key)) => Ok(key),
        Ok(Err(e)) => Err(VerifyError::Malformed { what: "verifying key", reason: e.to_string() }),
        Err(_) => Err(VerifyError::Malformed { what: "verifying key", reason: "unreadable key data".into() }),
    }
}

/// What the caller of [`verify_with`] trusts and allows.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyOptions<'a> {
    /// The model identity the caller expects (what `zkinfer commit` prints). Without it the
    /// verifier only shows that the proof is consistent with the key it was handed.
    pub expected_identity: Option<&'a str>,
    /// Accept keys made with the insecure fixed-seed KZG SRS (tests and demos only).
    pub allow_insecure_srs: bool,
}

/// What a proof claims once its files agree: the public instance column, the halo2 key and
/// the model identity recomputed from it. Shared by [`verify_with`] and the EVM verifier, so
/// that both refuse the same things.
pub struct Statement {
    pub instances: Vec<Fr>,
    pub key: VerifyingKey<G1Affine>,
    pub identity: ModelIdentity,
}

fn kzg_srs(vk: &VkFile) -> Result<&crate::artifact::SrsInfo, VerifyError> {
    vk.header.srs.as_ref().ok_or_else(|| VerifyError::Malformed {
        what: "verifying key",
        reason: "a KZG key without its SRS record".into(),
    })
}

/// Checks everything about `proof` and `vk` that does not need the commitment parameters, in
/// this order: the key header's bounds and the proof file against it ([`public_instances`]);
/// for KZG, the insecure test SRS, recognised by the value of `[tau]G2` and not only by the
/// header's label (refused unless `opts.allow_insecure_srs`); the halo2 key, read exactly; the
/// model identity recomputed from it, against `opts.expected_identity` when given.
pub fn statement(vk: &VkFile, proof: &ProofFile, opts: &VerifyOptions<'_>) -> Result<Statement, VerifyError> {
    let instances = public_instances(vk, proof)?;
    statement_of(vk, proof, instances, opts)
}

/// [`statement`] after [`public_instances`] has returned `instances`.
fn statement_of(vk: &VkFile, proof: &ProofFile, instances: Vec<Fr>, opts: &VerifyOptions<'_>) -> Result<Statement, VerifyError> {
    let h = &vk.header;
    if h.backend == Backend::Kzg {
        let srs = kzg_srs(vk)?;
        if !opts.allow_insecure_srs && (srs.is_insecure() || is_insecure_s_g2(&srs.s_g2)) {
            return Err(VerifyError::InsecureSrs);
        }
    }
    let key = read_key(vk)?;
    let commitment = (h.circuit.visibility.weights == WeightVisibility::Hashed).then_some(proof.model_hash.as_str());
    let identity = identity_of(vk, key_digest_of(vk, &key), commitment)?;
    if let Some(expected) = opts.expected_identity {
        check_expected(&identity, expected, &proof.model_hash)?;
    }
    Ok(Statement { instances, key, identity })
}

/// Verify `proof` with `vk` and `params`, refusing the insecure test SRS. With
/// `expected_identity`, the key must also have that identity. Returns the verified output.
pub fn verify(
    params: &VerifierParams,
    vk: &VkFile,
    proof: &ProofFile,
    expected_identity: Option<&str>,
) -> Result<VerifiedOutput, VerifyError> {
    verify_with(params, vk, proof, &VerifyOptions { expected_identity, allow_insecure_srs: false })
}

/// Verify `proof` with `vk` and `params` under `opts`. In this order, so that nothing is
/// allocated from an unchecked field: the key header's bounds; the proof file against the
/// header (backend, `k`, visibility, shapes, scales, value ranges, hash fields); the
/// parameters against the header (backend, `k`, the SRS's `[tau]G2`, the insecure SRS); the
/// halo2 key (read exactly) and the model identity recomputed from it, against the expected
/// one; then the proof, whose transcript must be consumed exactly.
pub fn verify_with(
    params: &VerifierParams,
    vk: &VkFile,
    proof: &ProofFile,
    opts: &VerifyOptions<'_>,
) -> Result<VerifiedOutput, VerifyError> {
    let h = &vk.header;
    let instances = public_instances(vk, proof)?;
    if params.backend() != h.backend {
        return Err(VerifyError::BackendMismatch { proof: params.backend(), vk: h.backend });
    }
    if params.k() != h.k {
        return Err(VerifyError::ParamsMismatch { params: params.k(), vk: h.k });
    }
    if let VerifierParams::Kzg(p) = params {
        let srs = kzg_srs(vk)?;
        let given = kzg_s_g2_hex(p);
        if !given.eq_ignore_ascii_case(&srs.s_g2) {
            return Err(VerifyError::SrsMismatch { vk: srs.source.clone(), params: format!("[tau]G2 = {}…", given.get(..16).unwrap_or("")) });
        }
    }
    let Statement { instances: instance, key, identity } = statement_of(vk, proof, instances, opts)?;
    let proof_bytes = proof.proof_bytes()?;
    let mut rest = proof_bytes.as_slice();
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(), VerifyError> {
        match params {
            VerifierParams::Ipa(p) => {
                let mut transcript = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&mut rest);
                verify_proof::<IPACommitmentScheme<G1Affine>, VerifierIPA<G1Affine>, _, _, SingleStrategy<G1Affine>>(
                    p,
                    &key,
                    SingleStrategy::new(p),
                    &[&[&instance]],
                    &mut transcript,
                )
                .map_err(|e| VerifyError::Rejected(format!("{e:?}")))
            }
            VerifierParams::Kzg(p) => {
                let mut transcript = EvmTranscriptRead::init(&mut rest);
                verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, KzgSingleStrategy<'_, Bn256>>(
                    p,
                    &key,
                    KzgSingleStrategy::new(p),
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
    if !rest.is_empty() {
        return Err(VerifyError::TrailingBytes { what: "proof", extra: rest.len() });
    }
    Ok(VerifiedOutput {
        identity,
        identity_checked: opts.expected_identity.is_some(),
        model_hash: proof.model_hash.clone(),
        input: proof.input.clone(),
        output: proof.output.clone(),
        output_values: proof.output.dequantize(),
        visibility: proof.visibility,
        input_hash: proof.input_hash.clone(),
        output_hash: proof.output_hash.clone(),
    })
}
