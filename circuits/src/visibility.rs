//! What the verifier sees of the input, the output and the weights.
//!
//! | setting | values | the public instance holds |
//! |---|---|---|
//! | input, output | `public` (default) | every value |
//! | | `hashed` | one Poseidon hash of the tensor ([`crate::commit::tensor_commitment`]) |
//! | | `private` | nothing (the values are range-checked, never exposed) |
//! | weights | `fixed` (default) | the SHA-256 model hash, also a constant of the verifying key (weights in fixed columns) |
//! | | `hashed` | the Poseidon model commitment ([`crate::commit::model_commitment`]); the weights are private advice and the verifying key does not depend on them |
//!
//! The settings are part of [`crate::CircuitParams`], so `configure` (and the verifying key)
//! depends on them, and they are recorded in the settings, the key header and the proof file.
use serde::{Deserialize, Serialize};

/// Visibility of the input or output tensor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TensorVisibility {
    #[default]
    Public,
    Hashed,
    Private,
}

/// Visibility of the weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightVisibility {
    #[default]
    Fixed,
    Hashed,
}

/// The three settings together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Visibility {
    #[serde(default)]
    pub input: TensorVisibility,
    #[serde(default)]
    pub output: TensorVisibility,
    #[serde(default)]
    pub weights: WeightVisibility,
}

impl Visibility {
    /// Whether the circuit computes any Poseidon hash or packs any value (and so needs the
    /// hashing columns).
    pub fn needs_hashing(&self) -> bool {
        self.weights == WeightVisibility::Hashed
            || self.input != TensorVisibility::Public
            || self.output != TensorVisibility::Public
    }
}

impl TensorVisibility {
    /// Instance rows this tensor takes for `len` values.
    pub fn instance_len(&self, len: usize) -> usize {
        match self {
            TensorVisibility::Public => len,
            TensorVisibility::Hashed => 1,
            TensorVisibility::Private => 0,
        }
    }
}

impl std::fmt::Display for TensorVisibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TensorVisibility::Public => "public",
            TensorVisibility::Hashed => "hashed",
            TensorVisibility::Private => "private",
        })
    }
}

impl std::str::FromStr for TensorVisibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "public" => Ok(TensorVisibility::Public),
            "hashed" => Ok(TensorVisibility::Hashed),
            "private" => Ok(TensorVisibility::Private),
            other => Err(format!(
                "unknown visibility '{other}' (expected public, hashed or private)"
            )),
        }
    }
}

impl std::fmt::Display for WeightVisibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WeightVisibility::Fixed => "fixed",
            WeightVisibility::Hashed => "hashed",
        })
    }
}

impl std::str::FromStr for WeightVisibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "fixed" => Ok(WeightVisibility::Fixed),
            "hashed" => Ok(WeightVisibility::Hashed),
            other => Err(format!(
                "unknown weight visibility '{other}' (expected fixed or hashed)"
            )),
        }
    }
}
