//! The files a verifier reads: the proof (`proof.json`) and the verifying key (`vk.bin`).
//! Both carry a format version, the backend, `k` and the model hash.
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::error::VerifyError;
use zkinfer_circuits::CircuitParams;

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
    /// Hex SHA-256 of the quantized model.
    pub model_hash: String,
    pub input: PublicTensor,
    pub output: PublicTensor,
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
    pub model_hash: String,
    pub circuit: CircuitParams,
    /// Activation bits: every public value lies in `[-2^(bits-1), 2^(bits-1))`.
    pub bits: u32,
    pub input_shape: Vec<usize>,
    pub input_scale: i32,
    pub output_shape: Vec<usize>,
    pub output_scale: i32,
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
