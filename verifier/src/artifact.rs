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

impl VkHeader {
    /// Length of the public instance: 1 (model hash) + the input part + the output part, each
    /// all values (`public`), one hash (`hashed`) or nothing (`private`).
    /// Saturates at `usize::MAX` for shapes whose element count overflows (an untrusted
    /// header may hold any shape).
    pub fn instance_len(&self) -> usize {
        let v = self.circuit.visibility;
        let len = |shape: &[usize]| element_count(shape).unwrap_or(usize::MAX);
        1usize
            .saturating_add(v.input.instance_len(len(&self.input_shape)))
            .saturating_add(v.output.instance_len(len(&self.output_shape)))
    }
}

/// Number of elements of a tensor of `shape`, `None` when it overflows `usize`.
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn header(input_shape: Vec<usize>, output_shape: Vec<usize>) -> VkHeader {
        VkHeader {
            format: FORMAT_VERSION,
            backend: Backend::Ipa,
            k: 9,
            model_hash: "00".repeat(32),
            circuit: CircuitParams { width: 4, ..Default::default() },
            bits: 6,
            input_shape,
            input_scale: 4,
            output_shape,
            output_scale: 3,
            srs: None,
        }
    }

    /// Found by the `vk_bin` fuzz target: a header shape whose element count overflows
    /// panicked (debug) or wrapped (release) in `instance_len`.
    #[test]
    fn overflowing_shapes_saturate() {
        assert_eq!(element_count(&[usize::MAX, 2]), None);
        assert_eq!(element_count(&[1, 6]), Some(6));
        assert_eq!(element_count(&[]), Some(1));
        assert_eq!(header(vec![usize::MAX, 2], vec![1, 4]).instance_len(), usize::MAX);
        assert_eq!(header(vec![1, 6], vec![1 << 63, 1 << 63]).instance_len(), usize::MAX);
        assert_eq!(header(vec![1, 6], vec![1, 4]).instance_len(), 11);
    }

    #[test]
    fn vk_file_round_trips_and_rejects_truncation() {
        let vk = VkFile { header: header(vec![1, 6], vec![1, 4]), key: vec![1, 9, 0, 0, 0] };
        let bytes = vk.to_bytes();
        assert_eq!(VkFile::from_bytes(&bytes).unwrap(), vk);
        for cut in [0, 7, 8, 11, 12, bytes.len() - vk.key.len() - 1] {
            assert!(matches!(VkFile::from_bytes(&bytes[..cut]), Err(VerifyError::Malformed { .. })), "{cut}");
        }
    }
}
