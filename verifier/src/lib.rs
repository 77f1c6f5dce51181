//! zkinfer-verifier: the thin verifier.
//!
//! [`verify`] checks a [`ProofFile`] against a [`VkFile`] and, optionally, the model identity
//! the caller expects ([`identity`]: recomputed from the key, never read from a file), and
//! returns the verified output or a typed [`VerifyError`]. It depends on
//! halo2 (no multicore), the circuit definition (for the constraint system), serde and sha3
//! (the Keccak transcript of KZG proofs, [`transcript`]) only: no ONNX, tract, ndarray or rayon
//! (`cargo tree -p zkinfer-verifier`). The optional `evm` feature adds [`evm`]: the Solidity
//! verifier (snark-verifier), its compilation (solc) and execution (revm).
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod artifact;
pub mod backend;
pub mod error;
#[cfg(feature = "evm")]
pub mod evm;
pub mod identity;
pub mod insecure;
pub mod transcript;
pub mod verify;

pub use artifact::{ProofFile, PublicTensor, SrsInfo, VkFile, VkHeader, FORMAT_VERSION};
pub use backend::Backend;
pub use error::VerifyError;
pub use identity::{key_digest, model_identity, ModelIdentity};
pub use verify::{public_instances, read_key, statement, verify, verify_with, Statement, VerifiedOutput, VerifierParams, VerifyOptions};
