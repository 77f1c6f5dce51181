//! Public parameters, generated locally and cached on disk by backend and k.
//!
//! IPA parameters are transparent and deterministic (`ParamsIPA::new(k)`): generating them is
//! slow (about a minute at k = 16 on 2 cores), so they are written once to
//! `<cache>/ipa-bn254-k{k}.params` and read back afterwards. The cache directory is
//! `$ZKINFER_CACHE`, else `$HOME/.cache/zkinfer`, else `./.zkinfer-cache`.
//!
//! KZG parameters (the insecure test SRS and imported ceremony files) live in the same
//! directory; see [`crate::srs`].
use std::path::{Path, PathBuf};

use halo2_proofs::{
    halo2curves::bn256::G1Affine,
    poly::{commitment::{Params, ParamsProver}, ipa::commitment::ParamsIPA},
};

use crate::error::ProverError;

/// Largest k the prover will generate parameters for.
pub const MAX_K: u32 = 24;

#[derive(Clone, Debug)]
pub struct ParamsCache {
    pub dir: PathBuf,
    /// A user-supplied KZG SRS; `None` means the insecure test SRS (see [`crate::srs`]).
    pub srs: Option<crate::srs::SrsFile>,
}

impl Default for ParamsCache {
    fn default() -> Self {
        let dir = std::env::var_os("ZKINFER_CACHE")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("zkinfer")))
            .unwrap_or_else(|| PathBuf::from(".zkinfer-cache"));
        ParamsCache { dir, srs: None }
    }
}

pub(crate) fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ProverError + 'a {
    move |source| ProverError::Io { action, path: path.to_path_buf(), source }
}

impl ParamsCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ParamsCache { dir: dir.into(), srs: None }
    }

    pub fn ipa_path(&self, k: u32) -> PathBuf {
        self.dir.join(format!("ipa-bn254-k{k}.params"))
    }

    /// Whether `ipa(k)` would read from disk (for progress messages).
    pub fn has_ipa(&self, k: u32) -> bool {
        self.ipa_path(k).is_file()
    }

    /// IPA parameters for `k` from the cache only: the verify path, which must not generate
    /// parameters because a (possibly hostile) key header names some `k`.
    pub fn ipa_cached(&self, k: u32) -> Result<ParamsIPA<G1Affine>, ProverError> {
        let missing = || ProverError::ParamsNotCached { what: "IPA", backend: "ipa", k, dir: self.dir.clone() };
        if k > MAX_K {
            return Err(ProverError::TooLarge { k, max: MAX_K });
        }
        let bytes = std::fs::read(self.ipa_path(k)).map_err(|_| missing())?;
        match ParamsIPA::<G1Affine>::read(&mut bytes.as_slice()) {
            Ok(p) if p.k() == k => Ok(p),
            _ => Err(missing()),
        }
    }

    /// IPA parameters for `k`, from the cache or generated and cached.
    pub fn ipa(&self, k: u32) -> Result<ParamsIPA<G1Affine>, ProverError> {
        if k > MAX_K {
            return Err(ProverError::TooLarge { k, max: MAX_K });
        }
        let path = self.ipa_path(k);
        if let Ok(bytes) = std::fs::read(&path) {
            match ParamsIPA::<G1Affine>::read(&mut bytes.as_slice()) {
                Ok(p) if p.k() == k => return Ok(p),
                // A stale or truncated cache file: regenerate below.
                _ => {}
            }
        }
        let params = ParamsIPA::<G1Affine>::new(k);
        let mut buf = vec![];
        params.write(&mut buf).map_err(io("serialize", &path))?;
        write_atomic(&path, &buf)?;
        Ok(params)
    }
}

/// Write `bytes` to a temporary file beside `path` and rename it into place, so that a crash
/// never leaves half a file and concurrent writers (threads of one process included) never
/// share a temporary file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ProverError> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    }
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("rename", path))
}
