//! zkinfer: zero-knowledge proofs that a committed, quantized ONNX model gives an output on an
//! input. This facade re-exports the crates and holds the pipeline the CLI runs.
pub use zkinfer_circuits as circuits;
pub use zkinfer_models as models;
pub use zkinfer_prover as prover;
pub use zkinfer_verifier as verifier;

pub mod bench;
pub mod compiled;
pub mod estimate;
pub mod evm;
pub mod pipeline;
pub mod report;
pub mod target;
pub mod verbs;
pub mod web;
