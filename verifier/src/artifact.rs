//! The files a verifier reads: the proof (`proof.json`) and the verifying key (`vk.bin`).
//! Both carry a format version, the backend, `k` and the model hash.
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::error::VerifyError;
use zkinfer_circuits::{CircuitParams, Visibility};

/// Version of `proof.json` and of the `vk.bin` header.
pub const FORMAT_VERSION: u32 = 1;
const VK_MAGIC: &[u8; 8] = b"ZKINFVK1";
/// Largest header accepted when reading a verifying key (it is a few hundred bytes).
const MAX_HEADER: usize = 1 << 20;
/// Smallest and largest circuit size `k` a verifier accepts: `k` sizes the allocations made
/// while reading a key, so a hostile header must not choose it freely.
pub const MIN_K: u32 = 4;
pub const MAX_K: u32 = 26;
/// Largest proof accepted (zkinfer proofs are a few KB; 4 MiB leaves room for any width).
pub const MAX_PROOF_BYTES: usize = 1 << 22;
/// Largest scale exponent (`value / 2^scale`) of a public tensor.
pub const MAX_SCALE: i32 = 64;
/// Largest verifying-key file (`vk.bin`) and proof file a verifier reads.
pub const MAX_VK_FILE: u64 = 1 << 28;
pub const MAX_PROOF_FILE: u64 = 1 << 26;

/// A public tensor: integers at scale `2^-scale`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicTensor {
    pub shape: Vec<usize>,
    /// Value = integer / 2^scale.
    pub scale: i32,
    pub values: Vec<i64>,
}

impl PublicTensor {
    pub fn dequantize(&self) -> Vec<f64> {
        let f = (-(self.scale as f64)).exp2();
        self.values.iter().map(|&v| v as f64 * f).collect()
    }
}

/// `proof.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofFile {
    pub format: u32,
    pub backend: Backend,
    pub k: u32,
    /// Fixed weights: hex SHA-256 of the quantized model. Hashed weights: the Poseidon model
    /// commitment (64 hex digits of the field element, most significant first), the value
    /// `zkinfer commit` prints.
    pub model_hash: String,
    /// Shape and scale always; values only when that tensor is `public`.
    pub input: PublicTensor,
    pub output: PublicTensor,
    /// What the public instance reveals (absent in older files: public input and output,
    /// fixed weights).
    #[serde(default)]
    pub visibility: Visibility,
    /// The input's Poseidon hash (64 hex digits) when the input is `hashed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_hash: Option<String>,
    /// The output's Poseidon hash when the output is `hashed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_hash: Option<String>,
    /// Hex-encoded halo2 proof bytes.
    pub proof: String,
}

impl ProofFile {
    pub fn from_json(text: &str) -> Result<ProofFile, VerifyError> {
        let p: ProofFile = serde_json::from_str(text)
            .map_err(|e| VerifyError::Malformed { what: "proof file", reason: e.to_string() })?;
        if p.format != FORMAT_VERSION {
            return Err(VerifyError::Version { what: "proof file", got: p.format, expected: FORMAT_VERSION });
        }
        Ok(p)
    }
    pub fn to_json(&self) -> String {
        // Plain data: serialization cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
    pub fn proof_bytes(&self) -> Result<Vec<u8>, VerifyError> {
        if self.proof.len() > 2 * MAX_PROOF_BYTES {
            return Err(VerifyError::Bound {
                what: "proof file",
                field: "proof",
                got: format!("{} hex digits", self.proof.len()),
                reason: format!("proofs are at most {MAX_PROOF_BYTES} bytes"),
            });
        }
        hex::decode(&self.proof).map_err(|e| VerifyError::Malformed { what: "proof bytes", reason: e.to_string() })
    }
}

/// What the verifier needs to know about the circuit besides the halo2 key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VkHeader {
    pub format: u32,
    pub backend: Backend,
    pub k: u32,
    /// Fixed weights: the model hash (the key binds it). Hashed weights: the SHA-256
    /// architecture digest (the key binds the architecture, the proof's public model
    /// commitment binds the weights).
    pub model_hash: String,
    /// Dot width, visibility and limb width: what `configure` depends on.
    pub circuit: CircuitParams,
    /// Activation bits: every public value lies in `[-2^(bits-1), 2^(bits-1))`.
    pub bits: u32,
    pub input_shape: Vec<usize>,
    pub input_scale: i32,
    pub output_shape: Vec<usize>,
    pub output_scale: i32,
    /// KZG only: which structured reference string the keys were made with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srs: Option<SrsInfo>,
}

fn bound(field: &'static str, got: impl std::fmt::Display, reason: impl Into<String>) -> VerifyError {
    VerifyError::Bound { what: "verifying key header", field, got: got.to_string(), reason: reason.into() }
}

/// The number of values of `shape`, `None` on overflow or an empty / zero dimension.
pub fn shape_len(shape: &[usize]) -> Option<usize> {
    if shape.is_empty() || shape.len() > 8 || shape.contains(&0) {
        return None;
    }
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl VkHeader {
    /// Bounds every field before anything is allocated or generated from it: `k`, the circuit
    /// parameters (dot width, visibility, limb width), the activation bits, shapes (the whole
    /// public instance must fit the `2^k` rows), scales, the hash's form, and the SRS record
    /// (present for KZG only). [`crate::verify`] also checks the key bytes against `k`.
    pub fn check(&self) -> Result<(), VerifyError> {
        if !(MIN_K..=MAX_K).contains(&self.k) {
            return Err(bound("k", self.k, format!("must lie in [{MIN_K}, {MAX_K}]")));
        }
        if !(2..=24).contains(&self.bits) {
            return Err(bound("bits", self.bits, "activation bits must lie in [2, 24]"));
        }
        self.circuit.check().map_err(|e| bound("circuit", format!("{:?}", self.circuit), e.to_string()))?;
        if !is_hex(&self.model_hash, 64) {
            return Err(bound("model_hash", &self.model_hash, "expected 64 hex digits"));
        }
        let rows = 1usize << self.k;
        for (field, shape) in [("input_shape", &self.input_shape), ("output_shape", &self.output_shape)] {
            match shape_len(shape) {
                Some(n) if n < rows => {}
                _ => return Err(bound(field, format!("{shape:?}"), format!("at most 8 non-zero dimensions with fewer than 2^k = {rows} values"))),
            }
        }
        if self.instance_len() >= rows {
            return Err(bound("input_shape", format!("{:?}", self.input_shape), format!("the public instance ({} values) does not fit 2^k = {rows} rows", self.instance_len())));
        }
        for (field, scale) in [("input_scale", self.input_scale), ("output_scale", self.output_scale)] {
            if scale.abs() > MAX_SCALE {
                return Err(bound(field, scale, format!("scales lie in [-{MAX_SCALE}, {MAX_SCALE}]")));
            }
        }
        match (self.backend, &self.srs) {
            (Backend::Ipa, None) => {}
            (Backend::Ipa, Some(_)) => return Err(bound("srs", "present", "an IPA key has no SRS")),
            (Backend::Kzg, None) => return Err(bound("srs", "absent", "a KZG key must record its SRS")),
            (Backend::Kzg, Some(s)) => {
                if !is_hex(&s.s_g2, 256) {
                    return Err(bound("srs.s_g2", s.s_g2.chars().take(80).collect::<String>(), "expected 256 hex digits ([tau]G2, raw bytes)"));
                }
                if s.source.len() > 200 {
                    return Err(bound("srs.source", s.source.len(), "a label of at most 200 characters"));
                }
            }
        }
        Ok(())
    }

    /// Length of the public instance: 1 (model hash) + the input part + the output part, each
    /// all values (`public`), one hash (`hashed`) or nothing (`private`).
    pub fn instance_len(&self) -> usize {
        let v = self.circuit.visibility;
        let len = |s: &[usize]| shape_len(s).unwrap_or(usize::MAX / 4);
        1usize
            .saturating_add(v.input.instance_len(len(&self.input_shape)))
            .saturating_add(v.output.instance_len(len(&self.output_shape)))
    }
}

/// The KZG structured reference string (SRS) behind a verifying key. Verification needs the
/// same SRS: its `[tau]G2` element is recorded so that a mismatch is a clear error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrsInfo {
    /// `insecure-fixed-seed` (generated locally from a public seed: tests and demos only) or
    /// `sha256:<hex>` of the user-supplied SRS file (halo2 `ParamsKZG` serialization).
    pub source: String,
    /// Hex of `[tau]G2` (halo2 raw-bytes encoding).
    pub s_g2: String,
}

impl SrsInfo {
    /// Source label of the locally generated, insecure SRS.
    pub const INSECURE: &'static str = "insecure-fixed-seed";
    pub fn is_insecure(&self) -> bool {
        self.source == Self::INSECURE
    }
}

/// `vk.bin`: magic, header length (u32 LE), JSON header, halo2 verifying key bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VkFile {
    pub header: VkHeader,
    pub key: Vec<u8>,
}

impl VkFile {
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let mut out = Vec::with_capacity(12 + header.len() + self.key.len());
        out.extend_from_slice(VK_MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.key);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<VkFile, VerifyError> {
        let bad = |reason: &str| VerifyError::Malformed { what: "verifying key", reason: reason.into() };
        let (magic, rest) = bytes.split_at_checked(8).ok_or_else(|| bad("shorter than its magic number"))?;
        if magic != VK_MAGIC {
            return Err(bad("not a zkinfer verifying key (bad magic number)"));
        }
        let (len, rest) = rest.split_at_checked(4).ok_or_else(|| bad("truncated header length"))?;
        let len = u32::from_le_bytes([len.first().copied().unwrap_or(0), len.get(1).copied().unwrap_or(0), len.get(2).copied().unwrap_or(0), len.get(3).copied().unwrap_or(0)]) as usize;
        if len > MAX_HEADER {
            return Err(bad("header too large"));
        }
        let (header, key) = rest.split_at_checked(len).ok_or_else(|| bad("truncated header"))?;
        let header: VkHeader = serde_json::from_slice(header).map_err(|e| bad(&e.to_string()))?;
        if header.format != FORMAT_VERSION {
            return Err(VerifyError::Version { what: "verifying key", got: header.format, expected: FORMAT_VERSION });
        }
        Ok(VkFile { header, key: key.to_vec() })
    }
}
