//! One chip per file. Every chip takes its columns from the caller (see
//! [`crate::layout::ModelConfig`]), so all chips share the same advice and fixed columns.
pub mod constants;
pub mod ctx;
pub mod dot;
pub mod freivalds;
pub mod kind;
pub mod maxpool;
pub mod pack;
pub mod permute;
pub mod poseidon;
pub mod poseidon_compact;
pub mod public;
pub mod range;
pub mod requant;
pub mod softmax;
pub mod tables;
