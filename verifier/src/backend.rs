//! The commitment backends a proof can use.
use serde::{Deserialize, Serialize};

/// Polynomial commitment scheme of a proof. Both work over BN254, so one circuit serves both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Inner-product argument over BN254-G1: transparent, no trusted setup (the default).
    Ipa,
    /// KZG over BN254 with SHPLONK multi-opening: needs an SRS; verifiable on the EVM.
    Kzg,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Ipa => "ipa",
            Backend::Kzg => "kzg",
        })
    }
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "ipa" => Ok(Backend::Ipa),
            "kzg" => Ok(Backend::Kzg),
            other => Err(format!("unknown backend '{other}' (expected ipa or kzg)")),
        }
    }
}
