//! zkinfer-prover: lowering a quantized model to the circuit IR, public parameters (IPA
//! generated once and cached on disk by k; KZG: an insecure test SRS or an imported ceremony
//! file, see [`srs`]), key generation and proving (IPA with Blake2b, KZG/SHPLONK with the EVM
//! transcript, see [`kzg`]).
//!
//! Every function is written over the commitment scheme; [`Backend`] picks one at run time.
pub mod cpu;
pub mod error;
pub mod keys;
pub mod kzg;
pub mod lower;
pub mod params;
pub mod profile;
pub mod prove;
pub mod srs;

pub use error::ProverError;
pub use keys::{keygen, read_pk, write_pk, Keys};
pub use kzg::ProverParams;
pub use lower::lower;
pub use params::ParamsCache;
pub use profile::{CircuitFacts, ProveProfile};
pub use prove::{prove, Created, Proved, ProvingParams};
pub use srs::SrsFile;
pub use zkinfer_verifier::Backend;
