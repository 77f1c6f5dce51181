//! The insecure fixed-seed KZG SRS, recognised by value.
//!
//! `zkinfer setup --backend kzg` without `--srs` uses `ParamsKZG::setup(k, ChaCha20(seed))` with
//! the public [`INSECURE_SEED`]: reproducible for tests and demos, and forgeable by anyone,
//! since anyone can compute its tau. A key header's SRS *label* is written by whoever made the
//! key, so the verifier does not trust it: it recomputes `[tau]G2` of the insecure SRS from the
//! seed (halo2's `setup` draws tau as the first `Fr::random` of the RNG) and compares values.
use halo2_proofs::{
    halo2curves::{
        bn256::{Fr, G2Affine},
        ff::Field,
        group::Curve,
        serde::SerdeObject,
    },
};
use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};

/// The public seed of the insecure SRS (shared with the prover, which generates it).
pub const INSECURE_SEED: [u8; 32] = *b"zkinfer: INSECURE KZG test seed!";

/// The insecure SRS's tau: anyone can compute it, which is the point of this module.
pub fn insecure_tau() -> Fr {
    Fr::random(ChaCha20Rng::from_seed(INSECURE_SEED))
}

/// Hex of the insecure SRS's `[tau]G2` in halo2's raw-bytes encoding (as `SrsInfo::s_g2`).
pub fn insecure_s_g2_hex() -> String {
    let p: G2Affine = (G2Affine::generator() * insecure_tau()).to_affine();
    hex::encode(p.to_raw_bytes())
}

/// Whether `s_g2_hex` (an `SrsInfo::s_g2`) is the insecure SRS's `[tau]G2`.
pub fn is_insecure_s_g2(s_g2_hex: &str) -> bool {
    s_g2_hex.eq_ignore_ascii_case(&insecure_s_g2_hex())
}
