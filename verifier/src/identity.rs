//! The model identity: what a verifier recomputes from the verifying key in hand, never reads.
//!
//! A hash that sits in a header or in a circuit constant proves nothing: whoever makes a key
//! chooses it. What the verifier can trust is the key it actually verifies with, so the
//! identity is derived from that key:
//!
//! - **key digest** = SHA-256 of `"zkinfer/model-identity/v1\0"`, then (each length-prefixed,
//!   u64 LE) the canonical JSON of every header field that changes what an accepted proof
//!   means ([`IdentityFields`]: backend, `k`, the header's model hash or architecture digest,
//!   the circuit parameters, activation bits, public shapes and scales, and for KZG the SRS's
//!   `[tau]G2`), the halo2 verifying-key bytes (fixed commitments: the weights with `fixed`
//!   weights; permutation commitments: the wiring; selectors), and halo2's own digest of the
//!   key (`transcript_repr`, which every proof transcript absorbs first).
//! - **fixed weights**: the identity is the key digest (64 hex digits). The weights live in
//!   fixed columns, so two models have the same identity only if their keys are the same.
//! - **hashed weights**: the identity is the pair `COMMITMENT:KEYDIGEST`, the Poseidon
//!   commitment of the weights (a public input the proof binds) and the digest of the
//!   architecture's key (which does not depend on the weights, so anyone holding the
//!   architecture can regenerate it and compare; `zkinfer reveal-check` does).
//!
//! `zkinfer commit` prints the identity; `zkinfer verify --model-hash ID` accepts a proof only
//! when the key in hand has identity `ID`.
use std::fmt;

use halo2_proofs::{
    halo2curves::{bn256::G1Affine, ff::PrimeField},
    plonk::VerifyingKey,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use zkinfer_circuits::{poseidon, CircuitParams, WeightVisibility};

use crate::artifact::VkFile;
use crate::backend::Backend;
use crate::error::VerifyError;
use crate::verify::read_key;

const TAG: &[u8] = b"zkinfer/model-identity/v1\0";

/// The header fields the identity covers (everything that changes what a proof means).
#[derive(Serialize)]
pub struct IdentityFields<'a> {
    pub backend: Backend,
    pub k: u32,
    pub model_hash: String,
    pub circuit: &'a CircuitParams,
    pub bits: u32,
    pub input_shape: &'a [usize],
    pub input_scale: i32,
    pub output_shape: &'a [usize],
    pub output_scale: i32,
    /// KZG: the SRS's `[tau]G2` (hex, lower case); the label is not covered (it is free text).
    pub srs_s_g2: Option<String>,
}

/// A model identity (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModelIdentity {
    /// The key digest.
    pub key: [u8; 32],
    /// With hashed weights: the Poseidon weights commitment (64 hex digits, lower case).
    pub weights: Option<String>,
}

impl fmt::Display for ModelIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.weights {
            None => write!(f, "{}", hex::encode(self.key)),
            Some(c) => write!(f, "{c}:{}", hex::encode(self.key)),
        }
    }
}

fn bad(given: &str, reason: &str) -> VerifyError {
    VerifyError::BadIdentity { given: given.chars().take(200).collect(), reason: reason.into() }
}

fn hex32(given: &str, part: &str) -> Result<[u8; 32], VerifyError> {
    let part = part.trim().trim_start_matches("0x");
    let v = hex::decode(part).map_err(|e| bad(given, &e.to_string()))?;
    v.try_into().map_err(|_| bad(given, "expected 64 hex digits"))
}

impl ModelIdentity {
    /// Parses [`Display`](fmt::Display) output: `KEYDIGEST` or `COMMITMENT:KEYDIGEST`.
    pub fn parse(given: &str) -> Result<ModelIdentity, VerifyError> {
        let given = given.trim();
        match given.split_once(':') {
            None => Ok(ModelIdentity { key: hex32(given, given)?, weights: None }),
            Some((c, k)) => {
                let commitment = hex32(given, c)?;
                let c = hex::encode(commitment);
                if poseidon::from_hex::<halo2_proofs::halo2curves::bn256::Fr>(&c).is_none() {
                    return Err(bad(given, "the weights commitment is not below the field modulus"));
                }
                Ok(ModelIdentity { key: hex32(given, k)?, weights: Some(c) })
            }
        }
    }

    /// The key digest as hex.
    pub fn key_hex(&self) -> String {
        hex::encode(self.key)
    }
}

fn absorb(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// The key digest of `vk` given its parsed halo2 key (see the module doc).
pub fn key_digest_of(vk: &VkFile, key: &VerifyingKey<G1Affine>) -> [u8; 32] {
    let h = &vk.header;
    let fields = IdentityFields {
        backend: h.backend,
        k: h.k,
        model_hash: h.model_hash.to_ascii_lowercase(),
        circuit: &h.circuit,
        bits: h.bits,
        input_shape: &h.input_shape,
        input_scale: h.input_scale,
        output_shape: &h.output_shape,
        output_scale: h.output_scale,
        srs_s_g2: h.srs.as_ref().map(|s| s.s_g2.to_ascii_lowercase()),
    };
    let mut d = Sha256::new();
    d.update(TAG);
    // Plain data: serialization cannot fail.
    absorb(&mut d, &serde_json::to_vec(&fields).unwrap_or_default());
    absorb(&mut d, &vk.key);
    absorb(&mut d, key.transcript_repr().to_repr().as_ref());
    d.finalize().into()
}

/// The key digest of `vk` (parses the halo2 key: the header is checked first).
pub fn key_digest(vk: &VkFile) -> Result<[u8; 32], VerifyError> {
    vk.header.check()?;
    let key = read_key(vk)?;
    Ok(key_digest_of(vk, &key))
}

/// The identity of the model whose proofs `vk` verifies; with hashed weights `commitment` is
/// the weights commitment (the proof's public model hash, or what `zkinfer commit` computed).
pub fn identity_of(vk: &VkFile, key_digest: [u8; 32], commitment: Option<&str>) -> Result<ModelIdentity, VerifyError> {
    match vk.header.circuit.visibility.weights {
        WeightVisibility::Fixed => Ok(ModelIdentity { key: key_digest, weights: None }),
        WeightVisibility::Hashed => {
            let c = commitment.ok_or_else(|| VerifyError::Malformed {
                what: "model hash",
                reason: "a hashed-weights identity needs the weights commitment".into(),
            })?;
            let c = c.trim().trim_start_matches("0x").to_ascii_lowercase();
            if poseidon::from_hex::<halo2_proofs::halo2curves::bn256::Fr>(&c).is_none() {
                return Err(VerifyError::Malformed {
                    what: "model hash",
                    reason: format!("{c} is not a model commitment (64 hex digits below the field modulus)"),
                });
            }
            Ok(ModelIdentity { key: key_digest, weights: Some(c) })
        }
    }
}

/// The identity of `vk` (and, with hashed weights, of the weights `commitment`).
pub fn model_identity(vk: &VkFile, commitment: Option<&str>) -> Result<ModelIdentity, VerifyError> {
    identity_of(vk, key_digest(vk)?, commitment)
}

/// Checks `got` against what the caller expects; `proof_hash` (the file's claimed model hash)
/// only sharpens the error message.
pub fn check_expected(got: &ModelIdentity, expected: &str, proof_hash: &str) -> Result<(), VerifyError> {
    let want = ModelIdentity::parse(expected)?;
    if want == *got {
        return Ok(());
    }
    let norm = |s: &str| s.trim().trim_start_matches("0x").to_ascii_lowercase();
    let hint = if got.weights.is_some() && want.weights.is_none() && Some(hex::encode(want.key)) == got.weights {
        " (that is only the weights commitment: a hashed-weights identity is COMMITMENT:KEYDIGEST, as `zkinfer commit` prints it)"
    } else if norm(expected) == norm(proof_hash) {
        " (that is the hash the proof file claims, not an identity: `zkinfer commit` prints the identity)"
    } else {
        ""
    };
    Err(VerifyError::IdentityMismatch { got: got.to_string(), expected: want.to_string(), hint })
}
