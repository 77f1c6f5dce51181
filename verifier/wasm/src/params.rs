//! The verifier parameters the page loads (`params.bin`, written by `zkinfer export-web`).
//!
//! - IPA: halo2's own `ParamsIPA` serialization (k as u32 LE, then `g` and `g_lagrange`,
//!   2^k compressed points each, then `w` and `u`): 256 KiB at k = 12. The parameters are
//!   deterministic in k, so the page can also generate them itself ([`generate_ipa`]), which
//!   is the only way to trust them without trusting whoever sent the file.
//! - KZG: verification uses only `[1]G1`, `[1]G2` and `[tau]G2`, so the file holds just those:
//!   k (u32 LE), `[1]G1` (64 bytes), `[1]G2` (128 bytes), `[tau]G2` (128 bytes), in halo2's
//!   raw (uncompressed) encoding, 324 bytes in all. Uncompressed because halo2curves' compressed
//!   G2 decoding panics on bytes that are not a field element (`Fq2::from_bytes` unwraps); the
//!   raw decoder returns `None` and checks the point is on the curve. Both generators must be
//!   the standard ones; `[tau]G2` is what names the SRS (the verifier compares it with the one
//!   the key's header records).
//!
//! Every length is checked before anything is decoded, and points are decoded with their
//! curve checks, so hostile bytes give an error, never a panic or an allocation the file
//! size does not justify.
use halo2_proofs::{
    halo2curves::{
        bn256::{Bn256, G1Affine, G2Affine},
        serde::SerdeObject,
    },
    poly::{
        commitment::{Params, ParamsProver},
        ipa::commitment::ParamsIPA,
        kzg::commitment::ParamsKZG,
    },
    SerdeFormat,
};
use zkinfer_verifier::Backend;

use crate::WebError;

/// Largest circuit the browser verifier takes: IPA parameters and the key's selectors grow
/// as 2^k (about 130 MB of points at k = 20).
pub const MAX_WEB_K: u32 = 20;
/// Length of a KZG `params.bin`.
pub const KZG_PARAMS_LEN: usize = 4 + 64 + 128 + 128;

/// Length of an IPA `params.bin` for `k`.
pub fn ipa_params_len(k: u32) -> usize {
    4 + 2 * (1usize << k) * 32 + 2 * 32
}

fn bad(reason: impl Into<String>) -> WebError {
    WebError::Params(reason.into())
}

/// The `k` a parameter file declares (its first 4 bytes), checked against the key's.
fn file_k(bytes: &[u8], vk_k: u32) -> Result<u32, WebError> {
    let k = bytes
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| bad("shorter than its 4-byte header"))?;
    if k != vk_k {
        return Err(bad(format!("the file is for k = {k}, the verifying key needs k = {vk_k}")));
    }
    Ok(k)
}

/// Parse an IPA `params.bin` for a key of size `vk_k` (at most [`MAX_WEB_K`]).
pub fn parse_ipa(bytes: &[u8], vk_k: u32) -> Result<ParamsIPA<G1Affine>, WebError> {
    let k = file_k(bytes, vk_k)?;
    if k > MAX_WEB_K {
        return Err(WebError::TooLarge { k, max: MAX_WEB_K });
    }
    if bytes.len() != ipa_params_len(k) {
        return Err(bad(format!(
            "{} bytes, but IPA parameters (halo2 ParamsIPA) for k = {k} have {} (a KZG params.bin?)",
            bytes.len(),
            ipa_params_len(k)
        )));
    }
    ParamsIPA::<G1Affine>::read(&mut &bytes[..]).map_err(|e| bad(format!("IPA parameters: {e}")))
}

/// IPA parameters for `k`, generated here (deterministic: halo2's hash-to-curve points).
pub fn generate_ipa(k: u32) -> Result<ParamsIPA<G1Affine>, WebError> {
    if k > MAX_WEB_K {
        return Err(WebError::TooLarge { k, max: MAX_WEB_K });
    }
    Ok(ParamsIPA::<G1Affine>::new(k))
}

/// The compact KZG verifier parameters of `params` (see the module doc).
pub fn encode_kzg(params: &ParamsKZG<Bn256>) -> Vec<u8> {
    let mut out = Vec::with_capacity(KZG_PARAMS_LEN);
    out.extend_from_slice(&params.k().to_le_bytes());
    let g1 = params.get_g().first().copied().unwrap_or_else(G1Affine::generator);
    out.extend_from_slice(&g1.to_raw_bytes());
    out.extend_from_slice(&params.g2().to_raw_bytes());
    out.extend_from_slice(&params.s_g2().to_raw_bytes());
    out
}

fn point_at<P: SerdeObject>(bytes: &[u8], at: usize, len: usize, what: &str) -> Result<P, WebError> {
    let src = bytes.get(at..at + len).ok_or_else(|| bad(format!("{what}: truncated")))?;
    P::from_raw_bytes(src).ok_or_else(|| bad(format!("{what} is not a point of BN254 (raw encoding)")))
}

/// Parse a KZG `params.bin` for a key of size `vk_k` into parameters that hold only what
/// verification reads: `g = [[1]G1]`, no Lagrange basis, `[1]G2`, `[tau]G2`.
pub fn parse_kzg(bytes: &[u8], vk_k: u32) -> Result<ParamsKZG<Bn256>, WebError> {
    let k = file_k(bytes, vk_k)?;
    if k > MAX_WEB_K {
        return Err(WebError::TooLarge { k, max: MAX_WEB_K });
    }
    if bytes.len() != KZG_PARAMS_LEN {
        return Err(bad(format!(
            "{} bytes, but KZG verifier parameters have {KZG_PARAMS_LEN} (an IPA params.bin?)",
            bytes.len()
        )));
    }
    let g1: G1Affine = point_at(bytes, 4, 64, "[1]G1")?;
    let g2: G2Affine = point_at(bytes, 68, 128, "[1]G2")?;
    let s_g2: G2Affine = point_at(bytes, 196, 128, "[tau]G2")?;
    if g1 != G1Affine::generator() || g2 != G2Affine::generator() {
        return Err(bad("[1]G1 and [1]G2 must be the standard BN254 generators"));
    }
    // halo2 builds ParamsKZG only from a reader or from another instance (`from_parts`):
    // read a one-point instance (k = 0, raw bytes), then give it the key's k.
    let mut one = Vec::with_capacity(4 + 2 * 64 + 2 * 128);
    one.extend_from_slice(&0u32.to_le_bytes());
    one.extend_from_slice(&g1.to_raw_bytes());
    one.extend_from_slice(&g1.to_raw_bytes());
    one.extend_from_slice(&g2.to_raw_bytes());
    one.extend_from_slice(&s_g2.to_raw_bytes());
    let base = ParamsKZG::<Bn256>::read_custom(&mut one.as_slice(), SerdeFormat::RawBytes)
        .map_err(|e| bad(format!("KZG parameters: {e}")))?;
    Ok(base.from_parts(k, vec![g1], Some(Vec::new()), g2, s_g2))
}

/// The verifier parameters for a key of `backend` and size `k`, from `params.bin`.
pub fn parse(bytes: &[u8], backend: Backend, k: u32) -> Result<zkinfer_verifier::VerifierParams, WebError> {
    Ok(match backend {
        Backend::Ipa => zkinfer_verifier::VerifierParams::Ipa(parse_ipa(bytes, k)?),
        Backend::Kzg => zkinfer_verifier::VerifierParams::Kzg(parse_kzg(bytes, k)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipa_round_trip_and_bad_files() {
        let p = generate_ipa(4).unwrap();
        let mut bytes = vec![];
        p.write(&mut bytes).unwrap();
        assert_eq!(bytes.len(), ipa_params_len(4));
        let back = parse_ipa(&bytes, 4).unwrap();
        assert_eq!(back.get_g(), p.get_g());
        assert!(matches!(parse_ipa(&bytes, 5), Err(WebError::Params(m)) if m.contains("k = 4")));
        assert!(parse_ipa(&bytes[..bytes.len() - 1], 4).is_err());
        let mut flipped = bytes.clone();
        flipped[40] ^= 0xff;
        // A flipped byte either leaves a valid point (another parameter set) or none.
        let _ = parse_ipa(&flipped, 4);
        let huge = 31u32.to_le_bytes();
        assert!(matches!(parse_ipa(&huge, 31), Err(WebError::TooLarge { .. })));
    }

    #[test]
    fn kzg_round_trip_keeps_what_verification_reads() {
        use halo2_proofs::poly::commitment::ParamsProver;
        use rand_chacha::rand_core::SeedableRng;
        let full = ParamsKZG::<Bn256>::setup(4, rand_chacha::ChaCha20Rng::seed_from_u64(7));
        let bytes = encode_kzg(&full);
        assert_eq!(bytes.len(), KZG_PARAMS_LEN);
        let p = parse_kzg(&bytes, 4).unwrap();
        assert_eq!(p.k(), 4);
        assert_eq!(p.s_g2(), full.s_g2());
        assert_eq!(p.g2(), full.g2());
        assert_eq!(p.get_g()[0], full.get_g()[0]);
        let mut other_g1 = bytes.clone();
        other_g1[4..68].copy_from_slice(&full.get_g()[1].to_raw_bytes());
        assert!(matches!(parse_kzg(&other_g1, 4), Err(WebError::Params(m)) if m.contains("generators")));
        let mut junk = bytes.clone();
        for fill in [0x5a, 0xff] {
            junk[196..324].fill(fill);
            assert!(matches!(parse_kzg(&junk, 4), Err(WebError::Params(m)) if m.contains("[tau]G2")));
        }
        assert!(parse_kzg(&bytes[..100], 4).is_err());
    }
}
