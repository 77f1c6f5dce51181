//! KZG structured reference strings (SRS): a locally generated insecure one for tests and
//! demos, and user-supplied ceremony files.
//!
//! **File format.** halo2's `ParamsKZG` serialization, as EZKL and the PSE perpetual
//! powers-of-tau conversions use: `k` (u32 little-endian), the `2^k` G1 powers `[tau^i]G1`,
//! their `2^k` Lagrange-basis counterparts, `[1]G2`, `[tau]G2`; every point uncompressed in
//! halo2's raw-bytes encoding (64 bytes per G1 point, 128 per G2 point).
//!
//! **User files** (`ParamsCache::with_srs`): the file's SHA-256 is checked against the one the
//! user expects (when given), the file must cover the circuit (`k_file >= k`; a larger SRS is
//! downsized: the first `2^k` powers are kept and the Lagrange basis is recomputed from them, so
//! a file's own Lagrange points are never trusted), every point read is checked to be on the
//! curve, `e([tau]G1, [1]G2) = e([1]G1, [tau]G2)` is checked, and the file is copied into the
//! cache as `kzg-bn254-srs-sha256-<hash>.srs`, where verification finds it again by hash.
//!
//! **The insecure SRS** (`INSECURE`): `ParamsKZG::setup(k, rng)` with a ChaCha20 generator
//! seeded from a fixed, public seed, so it is reproducible and cached by `k` as
//! `kzg-bn254-INSECURE-fixed-seed-k{k}.srs`. Anyone can compute its tau and forge proofs: use it
//! for tests and demos only.
use std::path::{Path, PathBuf};

use halo2_proofs::{
    halo2curves::{
        bn256::{Bn256, G1Affine, G2Affine},
        pairing::Engine,
        CurveAffine,
    },
    poly::{commitment::{Params, ParamsProver}, kzg::commitment::ParamsKZG},
    SerdeFormat,
};
use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
use sha2::{Digest, Sha256};
use zkinfer_verifier::{verify::kzg_s_g2_hex, SrsInfo};

use crate::error::ProverError;
use crate::params::{write_atomic, ParamsCache, MAX_K};

use zkinfer_verifier::insecure::INSECURE_SEED;

/// The public seed of the insecure SRS lives in the verifier ([`INSECURE_SEED`]), which
/// recognises the SRS by its `[tau]G2`. Changing the seed changes every insecure key: the cache
/// file name carries `SEED_TAG` so that old files are not mixed up with new ones.
const SEED_TAG: &str = "fixed-seed";

/// A user-supplied SRS file and, optionally, the SHA-256 (hex) it must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrsFile {
    pub path: PathBuf,
    pub sha256: Option<String>,
}

const G1_RAW: usize = 64;
const G2_RAW: usize = 128;

/// Size in bytes of a halo2 `ParamsKZG<Bn256>` file of size `k`.
pub fn srs_file_len(k: u32) -> usize {
    4 + 2 * (1usize << k) * G1_RAW + 2 * G2_RAW
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn corrupt(path: &Path, reason: impl Into<String>) -> ProverError {
    ProverError::SrsCorrupt { path: path.to_path_buf(), reason: reason.into() }
}


fn serialize(params: &ParamsKZG<Bn256>, path: &Path) -> Result<Vec<u8>, ProverError> {
    let mut buf = Vec::with_capacity(srs_file_len(params.k()));
    params
        .write_custom(&mut buf, SerdeFormat::RawBytes)
        .map_err(|source| ProverError::Io { action: "serialize", path: path.to_path_buf(), source })?;
    Ok(buf)
}

/// The SRS record stored in a verifying key.
pub fn srs_info(source: String, params: &ParamsKZG<Bn256>) -> SrsInfo {
    SrsInfo { source, s_g2: kzg_s_g2_hex(params) }
}

/// Parses the first `2^k` G1 powers and the two G2 points of a whole SRS file (already checked
/// to have the right length for `k_file >= k`), checking every point, then recomputes the
/// Lagrange basis for `k`.
fn parse_downsized(bytes: &[u8], k_file: u32, k: u32, path: &Path) -> Result<ParamsKZG<Bn256>, ProverError> {
    let n = 1usize << k;
    let n_file = 1usize << k_file;
    let g = bytes.get(4..4 + n * G1_RAW).ok_or_else(|| corrupt(path, "truncated G1 powers"))?;
    let g2_start = 4 + 2 * n_file * G1_RAW;
    let g2s = bytes.get(g2_start..g2_start + 2 * G2_RAW).ok_or_else(|| corrupt(path, "truncated G2 points"))?;
    // A k-sized file: k, g[..n], g[..n] again in place of the Lagrange points (recomputed by
    // `downsize` below), [1]G2, [tau]G2. `RawBytes` checks that every coordinate is below the
    // modulus; whether the points lie on the curve is checked below.
    let mut small = Vec::with_capacity(srs_file_len(k));
    small.extend_from_slice(&k.to_le_bytes());
    small.extend_from_slice(g);
    small.extend_from_slice(g);
    small.extend_from_slice(g2s);
    let mut params = ParamsKZG::<Bn256>::read_custom(&mut small.as_slice(), SerdeFormat::RawBytes)
        .map_err(|e| corrupt(path, format!("invalid point: {e}")))?;
    if let Some(i) = params.get_g().iter().position(|p| !bool::from(p.is_on_curve())) {
        return Err(corrupt(path, format!("G1 power {i} is not on the curve")));
    }
    if !bool::from(params.s_g2().is_on_curve()) {
        return Err(corrupt(path, "[tau]G2 is not on the curve"));
    }
    params.downsize(k);
    check_powers(&params, path)?;
    Ok(params)
}

/// `[1]G1` is the generator, `[1]G2` the generator, and `e([tau]G1, [1]G2) = e([1]G1, [tau]G2)`:
/// the G1 powers and `[tau]G2` belong to the same tau.
fn check_powers(params: &ParamsKZG<Bn256>, path: &Path) -> Result<(), ProverError> {
    let g = params.get_g();
    let (Some(g0), Some(g1)) = (g.first(), g.get(1)) else {
        return Err(corrupt(path, "fewer than two G1 powers"));
    };
    if *g0 != G1Affine::generator() || params.g2() != G2Affine::generator() {
        return Err(corrupt(path, "the first powers are not the generators"));
    }
    if Bn256::pairing(g1, &params.g2()) != Bn256::pairing(g0, &params.s_g2()) {
        return Err(corrupt(path, "[tau]G1 and [tau]G2 disagree (not one powers-of-tau SRS)"));
    }
    Ok(())
}

impl ParamsCache {
    /// Use the SRS in `file` for KZG instead of the insecure one.
    pub fn with_srs(mut self, file: SrsFile) -> Self {
        self.srs = Some(file);
        self
    }

    pub fn kzg_insecure_path(&self, k: u32) -> PathBuf {
        self.dir.join(format!("kzg-bn254-INSECURE-{SEED_TAG}-k{k}.srs"))
    }

    /// Where an imported SRS file with this SHA-256 is cached.
    pub fn kzg_file_path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("kzg-bn254-srs-sha256-{}.srs", sha256.to_ascii_lowercase()))
    }

    /// Whether `kzg(k)` would use the insecure SRS.
    pub fn kzg_is_insecure(&self) -> bool {
        self.srs.is_none()
    }

    /// Whether `kzg(k)` would read from disk rather than generate (for progress messages).
    pub fn has_kzg(&self, k: u32) -> bool {
        self.srs.is_some() || self.kzg_insecure_path(k).is_file()
    }

    /// KZG parameters for `k` with their record: the user's SRS when one was given
    /// ([`ParamsCache::with_srs`]), else the insecure one.
    pub fn kzg(&self, k: u32) -> Result<(ParamsKZG<Bn256>, SrsInfo), ProverError> {
        match &self.srs {
            Some(file) => self.kzg_import(file, k),
            None => {
                let p = self.kzg_insecure(k)?;
                let info = srs_info(SrsInfo::INSECURE.into(), &p);
                Ok((p, info))
            }
        }
    }

    /// The insecure SRS for `k` (tests and demos only: its tau is public), from the cache or
    /// generated from the fixed seed and cached.
    pub fn kzg_insecure(&self, k: u32) -> Result<ParamsKZG<Bn256>, ProverError> {
        if k > MAX_K {
            return Err(ProverError::TooLarge { k, max: MAX_K });
        }
        let path = self.kzg_insecure_path(k);
        if let Ok(bytes) = std::fs::read(&path) {
            // Our own file: a length check makes the unchecked read safe; anything else
            // (stale, truncated) is regenerated below.
            if bytes.len() == srs_file_len(k) && bytes.get(..4) == Some(&k.to_le_bytes()[..]) {
                if let Ok(p) = ParamsKZG::<Bn256>::read_custom(&mut bytes.as_slice(), SerdeFormat::RawBytesUnchecked) {
                    return Ok(p);
                }
            }
        }
        let params = ParamsKZG::<Bn256>::setup(k, ChaCha20Rng::from_seed(INSECURE_SEED));
        write_atomic(&path, &serialize(&params, &path)?)?;
        Ok(params)
    }

    /// Import a user-supplied SRS file: check its hash and contents, cache it, and return it
    /// downsized to `k`.
    pub fn kzg_import(&self, file: &SrsFile, k: u32) -> Result<(ParamsKZG<Bn256>, SrsInfo), ProverError> {
        let path = &file.path;
        let bytes = std::fs::read(path).map_err(|source| ProverError::Io { action: "read", path: path.clone(), source })?;
        let sha = sha256_hex(&bytes);
        if let Some(expected) = &file.sha256 {
            let expected = expected.trim().trim_start_matches("sha256:").to_ascii_lowercase();
            if expected != sha {
                return Err(ProverError::SrsHashMismatch { path: path.clone(), got: sha, expected });
            }
        }
        let k_file = bytes
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| corrupt(path, "shorter than its 4-byte header"))?;
        if k_file > MAX_K {
            return Err(corrupt(path, format!("header says k = {k_file}, above the limit {MAX_K} (not a halo2 ParamsKZG file?)")));
        }
        if bytes.len() != srs_file_len(k_file) {
            return Err(corrupt(
                path,
                format!(
                    "{} bytes, but a halo2 ParamsKZG<Bn256> file (raw-bytes points) of k = {k_file} has {}",
                    bytes.len(),
                    srs_file_len(k_file)
                ),
            ));
        }
        if k_file < k {
            return Err(ProverError::SrsTooSmall { path: path.clone(), srs_k: k_file, needed: k });
        }
        let params = parse_downsized(&bytes, k_file, k, path)?;
        let cached = self.kzg_file_path(&sha);
        if !cached.is_file() {
            write_atomic(&cached, &bytes)?;
        }
        Ok((params.clone(), srs_info(format!("sha256:{sha}"), &params)))
    }

    /// The insecure SRS for `k` from the cache only (the verify path never generates it).
    pub fn kzg_insecure_cached(&self, k: u32) -> Result<ParamsKZG<Bn256>, ProverError> {
        let missing = || ProverError::ParamsNotCached { what: "insecure test KZG", backend: "kzg", k, dir: self.dir.clone() };
        if k > MAX_K {
            return Err(ProverError::TooLarge { k, max: MAX_K });
        }
        let bytes = std::fs::read(self.kzg_insecure_path(k)).map_err(|_| missing())?;
        if bytes.len() != srs_file_len(k) || bytes.get(..4) != Some(&k.to_le_bytes()[..]) {
            return Err(missing());
        }
        ParamsKZG::<Bn256>::read_custom(&mut bytes.as_slice(), SerdeFormat::RawBytesUnchecked).map_err(|_| missing())
    }

    /// The KZG parameters a verifying key was made with (`info` from its header), for `k`:
    /// the insecure SRS, or an imported file found in the cache by its hash. Generates the
    /// insecure SRS when it is missing (the prover's path; see [`Self::kzg_for_verify`]).
    pub fn kzg_for(&self, info: &SrsInfo, k: u32) -> Result<ParamsKZG<Bn256>, ProverError> {
        self.kzg_for_inner(info, k, true)
    }

    /// [`Self::kzg_for`] without generating anything (the verify path).
    pub fn kzg_for_verify(&self, info: &SrsInfo, k: u32) -> Result<ParamsKZG<Bn256>, ProverError> {
        self.kzg_for_inner(info, k, false)
    }

    fn kzg_for_inner(&self, info: &SrsInfo, k: u32, generate: bool) -> Result<ParamsKZG<Bn256>, ProverError> {
        let params = if info.is_insecure() {
            if generate { self.kzg_insecure(k)? } else { self.kzg_insecure_cached(k)? }
        } else {
            let sha = info.source.strip_prefix("sha256:").ok_or_else(|| ProverError::SrsUnknown { srs: info.source.clone() })?;
            let file = match &self.srs {
                Some(f) => SrsFile { path: f.path.clone(), sha256: Some(sha.to_string()) },
                None => {
                    let path = self.kzg_file_path(sha);
                    if !path.is_file() {
                        return Err(ProverError::SrsNotCached { srs: info.source.clone(), dir: self.dir.clone() });
                    }
                    SrsFile { path, sha256: Some(sha.to_string()) }
                }
            };
            self.kzg_import(&file, k)?.0
        };
        let got = kzg_s_g2_hex(&params);
        if !got.eq_ignore_ascii_case(&info.s_g2) {
            return Err(ProverError::SrsMismatch { srs: info.source.clone() });
        }
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("zkinfer-srs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    /// The verifier recognises the insecure SRS by value (`[tau]G2` recomputed from the seed),
    /// whatever a key header's label says; the verify path never generates it.
    #[test]
    fn the_verifier_recognises_the_insecure_srs_by_value() {
        let dir = tmp("insecure-value");
        let cache = ParamsCache::new(&dir);
        assert!(matches!(cache.kzg_insecure_cached(4), Err(ProverError::ParamsNotCached { k: 4, .. })));
        let p = cache.kzg_insecure(4).unwrap();
        assert!(zkinfer_verifier::insecure::is_insecure_s_g2(&kzg_s_g2_hex(&p)));
        assert_eq!(kzg_s_g2_hex(&cache.kzg_insecure_cached(4).unwrap()), kzg_s_g2_hex(&p));
        let other = ParamsKZG::<Bn256>::setup(4, ChaCha20Rng::from_seed([7u8; 32]));
        assert!(!zkinfer_verifier::insecure::is_insecure_s_g2(&kzg_s_g2_hex(&other)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn insecure_srs_is_reproducible_and_cached() {
        let dir = tmp("insecure");
        let a = ParamsCache::new(&dir).kzg_insecure(4).unwrap();
        assert!(ParamsCache::new(&dir).kzg_insecure_path(4).is_file());
        let b = ParamsCache::new(&dir).kzg_insecure(4).unwrap();
        let fresh = ParamsCache::new(tmp("insecure2")).kzg_insecure(4).unwrap();
        assert_eq!(kzg_s_g2_hex(&a), kzg_s_g2_hex(&b));
        assert_eq!(kzg_s_g2_hex(&a), kzg_s_g2_hex(&fresh));
        assert_eq!(a.get_g(), fresh.get_g());
        // Same seed, same tau at every k: k = 3 is k = 4 downsized.
        let mut down = a.clone();
        down.downsize(3);
        let three = ParamsCache::new(&dir).kzg_insecure(3).unwrap();
        assert_eq!(down.get_g(), three.get_g());
        // A truncated cache file is regenerated, not trusted.
        let path = ParamsCache::new(&dir).kzg_insecure_path(4);
        std::fs::write(&path, b"junk").unwrap();
        let c = ParamsCache::new(&dir).kzg_insecure(4).unwrap();
        assert_eq!(c.get_g(), a.get_g());
    }

    #[test]
    fn imported_file_is_hash_checked_downsized_and_cached() {
        let dir = tmp("import");
        let cache = ParamsCache::new(&dir);
        let src = cache.kzg_insecure(5).unwrap();
        let file = dir.join("ceremony.srs");
        let bytes = serialize(&src, &file).unwrap();
        std::fs::write(&file, &bytes).unwrap();
        let sha = sha256_hex(&bytes);

        let user = cache.clone().with_srs(SrsFile { path: file.clone(), sha256: Some(sha.clone()) });
        let (p, info) = user.kzg(4).unwrap();
        assert_eq!(p.k(), 4);
        assert_eq!(info.source, format!("sha256:{sha}"));
        assert_eq!(p.get_g(), cache.kzg_insecure(4).unwrap().get_g());
        assert!(cache.kzg_file_path(&sha).is_file());
        // Found again by hash, without the original file.
        std::fs::remove_file(&file).unwrap();
        assert_eq!(kzg_s_g2_hex(&cache.kzg_for(&info, 3).unwrap()), info.s_g2);

        std::fs::write(&file, &bytes).unwrap();
        let wrong = cache.clone().with_srs(SrsFile { path: file.clone(), sha256: Some("00".repeat(32)) });
        assert!(matches!(wrong.kzg(4), Err(ProverError::SrsHashMismatch { .. })));
        let any = cache.clone().with_srs(SrsFile { path: file.clone(), sha256: None });
        assert!(matches!(any.kzg(6), Err(ProverError::SrsTooSmall { srs_k: 5, needed: 6, .. })));
        std::fs::write(&file, &bytes[..bytes.len() - 1]).unwrap();
        assert!(matches!(any.kzg(4), Err(ProverError::SrsCorrupt { .. })));
        // A point moved off the curve.
        let mut bad = bytes.clone();
        bad[4 + 3 * G1_RAW] ^= 1;
        std::fs::write(&file, &bad).unwrap();
        assert!(matches!(any.kzg(4), Err(ProverError::SrsCorrupt { .. })));
        // Unknown hash, not cached: a clear error.
        let ghost = SrsInfo { source: format!("sha256:{}", "11".repeat(32)), s_g2: info.s_g2.clone() };
        assert!(matches!(cache.kzg_for(&ghost, 4), Err(ProverError::SrsNotCached { .. })));
    }
}
