//! zkinfer-verifier-wasm: the thin verifier as a WebAssembly module, for the page in `web/`.
//!
//! [`verify_bundle`] takes the three files a verifier needs (`proof.json`, `vk.bin`,
//! `params.bin` from `zkinfer export-web`) and optionally the model identity the user expects,
//! calls [`zkinfer_verifier::verify`], and returns a JSON verdict: accepted with the identity,
//! the public output and the predicted class, or rejected with the typed error's message.
//! [`exports`] is the module's C ABI (plain exports and linear-memory buffers, no JS glue).
//!
//! The module is built with `panic = abort` (std is rebuilt for wasm32 from Debian's sources,
//! see README), so `catch_unwind` inside the verifier does not help there: a panic would trap.
//! Everything that can be hostile is bounded before halo2 sees it (the key's k and dot width,
//! the parameter file's length), halo2 reads points with their curve checks, and the verifier
//! checks the key's column counts; `tests/web.rs` runs mutated keys, proofs and parameters
//! natively with a panic hook that fails the test on any panic, caught or not.
#![deny(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod exports;
pub mod params;

use halo2_proofs::{halo2curves::bn256::G1Affine, poly::ipa::commitment::ParamsIPA};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use zkinfer_verifier::{Backend, ProofFile, VerifiedOutput, VerifierParams, VerifyError, VerifyOptions, VkFile};

/// Largest dot width the browser verifier takes (the CLI chooses among 3..=32); the constraint
/// system has about two columns per unit of width, so this bounds what a key header can ask
/// `configure` to build.
pub const MAX_WEB_WIDTH: usize = 64;

/// Why the browser verifier did not accept: the verifier's own errors, or one of the checks
/// that come before it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebError {
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("malformed parameters (params.bin): {0}")]
    Params(String),
    #[error("the circuit has k = {k}; the browser verifier takes k <= {max} (use `zkinfer verify`)")]
    TooLarge { k: u32, max: u32 },
    #[error("the verifying key asks for dot width {width}; the browser verifier takes at most {max}")]
    TooWide { width: usize, max: usize },
    #[error("{0} is not UTF-8 text")]
    NotText(&'static str),
    #[error("no parameters: KZG verification needs params.bin (from `zkinfer export-web`): it names the SRS you trust")]
    NoKzgParams,
}

/// What the caller allows.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Accept keys made with the insecure fixed-seed KZG SRS (tests and demos).
    pub allow_insecure_srs: bool,
}

/// The files and the expected identity, as the page read them.
pub struct Bundle<'a> {
    pub proof_json: &'a [u8],
    pub vk: &'a [u8],
    /// `params.bin`; empty for IPA means "generate the parameters here" (deterministic in k).
    pub params: &'a [u8],
    pub expected_identity: Option<&'a str>,
}

/// The model identity a verified proof establishes: the one `verify` recomputed from the
/// verifying key (`KEYDIGEST`, or `COMMITMENT:KEYDIGEST` with hashed weights), as
/// `zkinfer commit` prints it.
pub fn identity(v: &VerifiedOutput) -> String {
    v.identity.to_string()
}

/// Index of the largest output value: the predicted class of a classifier (first on ties).
pub fn argmax(values: &[f64]) -> Option<usize> {
    values
        .iter()
        .enumerate()
        .fold(None, |best: Option<(usize, f64)>, (i, &v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((i, v)),
        })
        .map(|(i, _)| i)
}

/// The IPA parameters of the last call, kept for the next proof with the same file (by its
/// SHA-256) or, when generated here, the same k: decompressing the 2^(k+1) points of a file
/// is most of the time of an IPA verification in the browser.
#[derive(Default)]
pub struct IpaCache(Option<(IpaSource, ParamsIPA<G1Affine>)>);

#[derive(Clone, PartialEq, Eq)]
enum IpaSource {
    File(String),
    Generated(u32),
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The verifier parameters, and where they came from (for the verdict).
fn params_for(b: &Bundle<'_>, vk: &VkFile, cache: &mut IpaCache) -> Result<(VerifierParams, Value), WebError> {
    let (backend, k) = (vk.header.backend, vk.header.k);
    let sha = (!b.params.is_empty()).then(|| sha256_hex(b.params));
    if backend == Backend::Kzg {
        let sha = sha.ok_or(WebError::NoKzgParams)?;
        let p = params::parse(b.params, backend, k)?;
        return Ok((p, json!({ "source": "file", "sha256": sha, "bytes": b.params.len() })));
    }
    let source = match &sha {
        Some(s) => IpaSource::File(s.clone()),
        None => IpaSource::Generated(k),
    };
    let params = match cache.0.take() {
        Some((s, p)) if s == source => p,
        _ => match &source {
            IpaSource::File(_) => params::parse_ipa(b.params, k)?,
            IpaSource::Generated(k) => params::generate_ipa(*k)?,
        },
    };
    cache.0 = Some((source.clone(), params.clone()));
    let info = match source {
        IpaSource::File(sha) => json!({ "source": "file", "sha256": sha, "bytes": b.params.len() }),
        IpaSource::Generated(k) => json!({ "source": "generated", "k": k }),
    };
    Ok((VerifierParams::Ipa(params), info))
}

/// The argmax of each of the `batch` equal parts of `values` (one per proved sample); empty
/// when a sample has fewer than two values or the parts do not divide evenly.
pub fn classes_per_sample(values: &[f64], batch: usize) -> Vec<usize> {
    if batch == 0 || values.len() % batch != 0 || values.len() / batch < 2 {
        return Vec::new();
    }
    values.chunks(values.len() / batch).filter_map(argmax).collect()
}

/// Check the bundle: the verdict as JSON (`verified`, and `identity`, `output`,
/// `predicted_class`, ... when accepted; `error` when not).
pub fn verify_bundle(b: &Bundle<'_>, opts: Options, cache: &mut IpaCache) -> Value {
    let mut claimed = None;
    match check(b, opts, cache, &mut claimed) {
        Ok(v) => v,
        Err(e) => json!({ "verified": false, "error": e.to_string(), "claimed_model_hash": claimed }),
    }
}

fn check(b: &Bundle<'_>, opts: Options, cache: &mut IpaCache, claimed: &mut Option<String>) -> Result<Value, WebError> {
    let text = std::str::from_utf8(b.proof_json).map_err(|_| WebError::NotText("proof.json"))?;
    let proof = ProofFile::from_json(text)?;
    *claimed = Some(proof.model_hash.clone());
    let vk = VkFile::from_bytes(b.vk)?;
    let h = &vk.header;
    if h.k > params::MAX_WEB_K {
        return Err(WebError::TooLarge { k: h.k, max: params::MAX_WEB_K });
    }
    // Several outputs per dot row add about `outputs * (width + 1)` columns: bound the product.
    if h.circuit.width.saturating_mul(h.circuit.outputs.max(1)) > MAX_WEB_WIDTH {
        return Err(WebError::TooWide { width: h.circuit.width.saturating_mul(h.circuit.outputs.max(1)), max: MAX_WEB_WIDTH });
    }
    let srs = h.srs.clone();
    if proof.backend != h.backend {
        return Err(VerifyError::BackendMismatch { proof: proof.backend, vk: h.backend }.into());
    }
    let (params, params_info) = params_for(b, &vk, cache)?;
    let expected = b.expected_identity.map(str::trim).filter(|s| !s.is_empty());
    let v = zkinfer_verifier::verify_with(
        &params,
        &vk,
        &proof,
        &VerifyOptions { expected_identity: expected, allow_insecure_srs: opts.allow_insecure_srs },
    )?;
    // Values are present only when the output is public; a batch proof holds `batch` samples
    // one after the other.
    let public_output = !v.output.values.is_empty();
    let batch = h.circuit.batch.max(1);
    Ok(json!({
        "verified": true,
        "identity": identity(&v),
        "identity_checked": v.identity_checked,
        "model_hash": v.model_hash,
        "backend": h.backend.to_string(),
        "k": h.k,
        "visibility": v.visibility,
        "output": v.output,
        "output_values": v.output_values,
        "predicted_class": if public_output && batch == 1 && v.output_values.len() > 1 { argmax(&v.output_values) } else { None },
        "predicted_classes": if public_output { classes_per_sample(&v.output_values, batch) } else { Vec::new() },
        "input": v.input,
        "input_hash": v.input_hash,
        "output_hash": v.output_hash,
        "params": params_info,
        "srs": srs,
        "vk_sha256": sha256_hex(b.vk),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_picks_the_first_largest() {
        assert_eq!(argmax(&[]), None);
        assert_eq!(argmax(&[0.5, 2.0, -1.0, 2.0]), Some(1));
        assert_eq!(argmax(&[-3.0]), Some(0));
    }

    #[test]
    fn a_batch_gets_one_class_per_sample() {
        assert_eq!(classes_per_sample(&[0.1, 0.9, 0.8, 0.2, 0.3, 0.3], 3), vec![1, 0, 0]);
        assert_eq!(classes_per_sample(&[0.1, 0.9, 0.8], 1), vec![1]);
        assert!(classes_per_sample(&[0.1, 0.9, 0.8], 2).is_empty());
        assert!(classes_per_sample(&[0.1, 0.9], 2).is_empty());
    }

    #[test]
    fn garbage_is_rejected_with_a_reason() {
        let mut cache = IpaCache::default();
        let b = Bundle { proof_json: b"{", vk: b"", params: b"", expected_identity: None };
        let v = verify_bundle(&b, Options::default(), &mut cache);
        assert_eq!(v["verified"], false);
        assert!(v["error"].as_str().unwrap().contains("malformed proof file"), "{v}");
        let b = Bundle { proof_json: &[0xff, 0xfe], vk: b"", params: b"", expected_identity: None };
        let v = verify_bundle(&b, Options::default(), &mut cache);
        assert!(v["error"].as_str().unwrap().contains("UTF-8"), "{v}");
    }
}
