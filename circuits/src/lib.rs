//! halo2 chips and the model-to-circuit compiler of zkinfer.
//!
//! - [`ir`]: the circuit-level model (the contract with the prover).
//! - [`mod@eval`]: the exact integer reference the circuit proves; [`validate`]: structural checks.
//! - [`chips`]: one chip per file (dot product, requant + activation, range, max-pool,
//!   permute, tables, pack, Poseidon).
//! - [`visibility`]: what the public instance reveals; [`commit`]: what `hashed` weights and
//!   tensors commit to; [`poseidon`]: the native Poseidon; [`hashing`]: their layout.
//! - [`layout`]: shared columns and the model layout; [`spec`]: sizes and `k` from a dry run
//!   of that layout; [`circuit`]: the halo2 [`circuit::ModelCircuit`].
//! - [`testing`]: the MockProver harness every chip passes (honest accepted, every sampled
//!   single-cell mutation rejected).
pub mod batch;
pub mod chips;
pub mod circuit;
pub mod commit;
pub mod error;
pub mod eval;
pub mod field;
pub mod hashing;
pub mod ir;
pub mod layout;
pub mod poseidon;
pub mod product;
pub mod softmax;
pub mod spec;
pub mod testing;
pub mod validate;
pub mod visibility;

pub use circuit::{instances, instances_for, CircuitParams, ModelCircuit, Tamper};
pub use visibility::{TensorVisibility, Visibility, WeightVisibility};
pub use error::CircuitError;
pub use eval::{eval, Witness};
pub use field::{hash_to_field, to_field};
pub use spec::{CircuitSpec, CompileOptions, VerifierShape};
#[cfg(test)]
mod tests;
