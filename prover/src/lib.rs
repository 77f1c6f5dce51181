//! zkinfer-prover: lowering a quantized model to the circuit IR, public parameters (generated
//! once and cached on disk by k), key generation and proving.
//!
//! Every function is written over the commitment scheme; [`Backend`] picks one at run time.
pub mod error;
pub mod keys;
pub mod lower;
pub mod params;
pub mod prove;

pub use error::ProverError;
pub use keys::{keygen, read_pk, write_pk, Keys};
pub use lower::lower;
pub use params::ParamsCache;
pub use prove::{prove, Proved};
pub use zkinfer_verifier::Backend;
