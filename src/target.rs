//! What the automatic circuit shape is chosen for (`--target`): proving time (`prove`, the
//! default) or the gas of verifying on the EVM (`evm`), and the gas model behind the latter.
//!
//! A verify transaction of zkinfer's keyed verifier (`verifier/src/evm/keyed/`) costs, per the
//! structure of halo2's KZG/SHPLONK verifier: the 21,000 base, the pairing of two pairs
//! (113,000), one ecMul and ecAdd for every term of the final multi-scalar multiplication (each
//! commitment of the proof and of the key), calldata for the proof bytes and public inputs,
//! and the transcript and field program, which grow with the evaluations and public inputs.
//! [`evm_gas`] adds these up from a [`VerifierShape`] (whose MSM terms leave out the selectors
//! the layout never enables: their commitment is the identity, which the verifier skips); its
//! constants are fitted (least squares, the proof-byte constant held at 17) to the revm
//! measurements of `cargo test --release --test evm --test evm_hashed -- keyed hashed evm_target --nocapture` (the zoo MLP
//! and CNN at widths 3 and 4 and in the compact column set, fixed and hashed weights, three
//! public values or 75; benches/ONCHAIN.md) and stay within about 1% of them. Fewer, longer columns trade proving time for fewer terms: the `evm`
//! target picks, among [`EVM_WIDTHS`], the shape with the lowest estimated gas.
use serde::{Deserialize, Serialize};
use zkinfer_circuits::VerifierShape;

/// The objective of the automatic shape choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The lowest estimated proving cost (`pipeline::shape_cost`).
    #[default]
    Prove,
    /// The lowest estimated gas of an on-chain verification ([`evm_gas`]); ties go to the
    /// lower proving cost.
    Evm,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Target::Prove => "prove",
            Target::Evm => "evm",
        })
    }
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "prove" => Ok(Target::Prove),
            "evm" => Ok(Target::Evm),
            other => Err(format!("unknown target '{other}' (expected prove or evm)")),
        }
    }
}

/// Dot widths the `evm` target considers (one output per row: every further output is an
/// advice column and `width + 1` fixed columns more). The narrowest has the fewest columns.
pub const EVM_WIDTHS: [usize; 3] = [3, 4, 8];

/// Gas of the transaction's base and of the pairing check (EIP-1108: 45,000 + 34,000 a pair).
pub const GAS_BASE: u64 = 21_000 + 113_000;
/// Gas per MSM term: the ecMul (6,000) and ecAdd (150) precompiles and the loop around them.
pub const GAS_MSM_TERM: u64 = 6_570;
/// Gas per proof byte (calldata, nearly all bytes non-zero: 16 each) and its transcript work.
pub const GAS_PROOF_BYTE: u64 = 17;
/// Gas per evaluation for the field program that combines it (besides its calldata).
pub const GAS_EVALUATION: u64 = 720;
/// Gas per public input: calldata, the transcript and the Lagrange sum.
pub const GAS_PUBLIC_INPUT: u64 = 467;

/// Estimated gas of one verify transaction of the keyed verifier for a circuit of `shape`.
pub fn evm_gas(shape: &VerifierShape) -> u64 {
    GAS_BASE
        + GAS_MSM_TERM * shape.msm_terms as u64
        + GAS_PROOF_BYTE * shape.proof_bytes as u64
        + GAS_EVALUATION * shape.evaluations as u64
        + GAS_PUBLIC_INPUT * shape.instance_len as u64
}

/// What `inspect` reports about a circuit's EVM verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvmEstimate {
    pub shape: VerifierShape,
    /// [`evm_gas`] of the shape.
    pub gas: u64,
}

impl EvmEstimate {
    pub fn of(shape: VerifierShape) -> Self {
        EvmEstimate { shape, gas: evm_gas(&shape) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_refused() {
        for t in [Target::Prove, Target::Evm] {
            assert_eq!(t.to_string().parse::<Target>(), Ok(t));
        }
        assert!("gas".parse::<Target>().unwrap_err().contains("prove or evm"));
    }

    #[test]
    fn every_term_costs_gas() {
        let shape = VerifierShape { proof_points: 20, evaluations: 46, msm_terms: 44, proof_bytes: 2752, instance_len: 75 };
        let fewer = VerifierShape { msm_terms: 43, ..shape };
        assert_eq!(evm_gas(&shape) - evm_gas(&fewer), GAS_MSM_TERM);
    }
}
