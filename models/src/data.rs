//! Input files in EZKL's format: `{"input_data": [[...floats, flattened...], ...]}` with an
//! optional `"labels": [..]` for a labelled set: one class per sample, or, for a model with
//! one prediction per position (a language model's next token), a list per sample with one
//! class per position. A flattened sample is reshaped to the model's
//! input shape. NaN and infinities (which Python writes as bare `NaN` / `Infinity` tokens) are
//! reported with the sample and index, as is a wrong element count.
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{ModelError, Result};

/// How many inputs [`Dataset::from_range`] draws (the two constant ones included).
pub const RANGE_SAMPLES: usize = 32;
/// The seed of [`Dataset::from_range`].
pub const RANGE_SEED: u64 = 0x7a6b_696e_6665_7231;
/// The input range calibration defaults to when no calibration data is given.
pub const DEFAULT_INPUT_RANGE: (f32, f32) = (-1.0, 1.0);

#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub samples: Vec<Vec<f32>>,
    /// Per sample, the expected class of each output position (one entry for a classifier:
    /// a file's `"labels": [3, 7]` is `[[3], [7]]`).
    pub labels: Option<Vec<Vec<usize>>>,
}

/// One sample's label in a file: a class, or one class per position.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawLabel {
    One(usize),
    Positions(Vec<usize>),
}

#[derive(Deserialize)]
struct Raw {
    input_data: Vec<Vec<Value>>,
    #[serde(default)]
    labels: Option<Vec<RawLabel>>,
}

/// Replace Python's non-standard `NaN`, `Infinity`, `-Infinity` tokens (outside strings) by
/// strings, so that they can be reported precisely instead of as a JSON syntax error.
fn quote_nonfinite(text: &str) -> String {
    // Works on bytes: the tokens and quotes are ASCII, so inserting quotes keeps the text
    // valid UTF-8, and no slice can fall inside a multi-byte character (indexing `text` by a
    // byte position did, and panicked on non-ASCII text outside strings: `input_json` fuzz
    // target).
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut in_str = false;
    let mut escaped = false;
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        let rest = bytes.get(i..).unwrap_or_default();
        if let Some(tok) = ["-Infinity", "Infinity", "NaN"].into_iter().find(|t| rest.starts_with(t.as_bytes())) {
            out.push(b'"');
            out.extend_from_slice(tok.as_bytes());
            out.push(b'"');
            i += tok.len();
            continue;
        }
        if c == b'"' {
            in_str = true;
        }
        out.push(c);
        i += 1;
    }
    // Only ASCII bytes were inserted, at ASCII positions: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn number(v: &Value, sample: usize, index: usize, path: &Path) -> Result<f32> {
    let x = match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        other => {
            return Err(ModelError::Data {
                path: path.into(),
                reason: format!("sample {sample}, index {index}: expected a number, got {other}"),
            })
        }
    };
    if !x.is_finite() || !(x as f32).is_finite() {
        return Err(ModelError::NonFinite { sample, index, value: x });
    }
    Ok(x as f32)
}

impl Dataset {
    pub fn load(path: &Path) -> Result<Dataset> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io { path: path.into(), source })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Dataset> {
        let raw: Raw = serde_json::from_str(&quote_nonfinite(text)).map_err(|e| ModelError::Data {
            path: path.into(),
            reason: format!("expected {{\"input_data\": [[numbers...]]}}: {e}"),
        })?;
        if raw.input_data.is_empty() {
            return Err(ModelError::Data { path: path.into(), reason: "input_data is empty".into() });
        }
        let samples = raw
            .input_data
            .iter()
            .enumerate()
            .map(|(s, xs)| xs.iter().enumerate().map(|(i, v)| number(v, s, i, path)).collect())
            .collect::<Result<Vec<Vec<f32>>>>()?;
        let labels: Option<Vec<Vec<usize>>> = raw.labels.map(|l| {
            l.into_iter()
                .map(|v| match v {
                    RawLabel::One(c) => vec![c],
                    RawLabel::Positions(cs) => cs,
                })
                .collect()
        });
        if let Some(l) = &labels {
            // One list may hold several samples concatenated (EZKL's layout): its labels are
            // checked once the input size is known (`fit`).
            if l.len() != samples.len() && samples.len() != 1 {
                return Err(ModelError::Data {
                    path: path.into(),
                    reason: format!("{} labels for {} samples", l.len(), samples.len()),
                });
            }
            if let Some(s) = l.iter().position(Vec::is_empty) {
                return Err(ModelError::Data { path: path.into(), reason: format!("labels[{s}] is an empty list") });
            }
        }
        Ok(Dataset { samples, labels })
    }

    /// The samples for a model input of `shape`, in either layout input files come in: one
    /// inner list per sample, or EZKL's flat concatenation of several samples in one list
    /// (`{"input_data": [[2048 floats]]}` for 32 samples of a 64-input model). A list whose
    /// length is a multiple of the input size is split into that many samples; any other length
    /// is [`ModelError::InputLength`] naming the list. Labels must match the samples after
    /// splitting.
    pub fn fit(&self, shape: &[usize]) -> Result<Dataset> {
        let n: usize = shape.iter().product();
        let mut samples = Vec::with_capacity(self.samples.len());
        for (sample, s) in self.samples.iter().enumerate() {
            if n == 0 || s.is_empty() || s.len() % n != 0 {
                return Err(ModelError::InputLength { sample, expected: n, got: s.len(), shape: shape.to_vec() });
            }
            samples.extend(s.chunks(n).map(<[f32]>::to_vec));
        }
        if let Some(l) = &self.labels {
            if l.len() != samples.len() {
                return Err(ModelError::Data {
                    path: "input_data".into(),
                    reason: format!("{} labels for {} samples of {n} values", l.len(), samples.len()),
                });
            }
        }
        Ok(Dataset { samples, labels: self.labels.clone() })
    }

    /// The default calibration set when no calibration data is given: [`RANGE_SAMPLES`]
    /// inputs of `len` values in `[lo, hi]`, deterministic (the same on every machine): the two
    /// constant inputs `lo` and `hi`, then values drawn uniformly with SplitMix64 from seed
    /// [`RANGE_SEED`]. The input scale comes from `max(|lo|, |hi|)` exactly; the scales of
    /// inner tensors from how the model maps such inputs.
    pub fn from_range(len: usize, lo: f32, hi: f32) -> Result<Dataset> {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(ModelError::Config(format!("input range [{lo}, {hi}]: need finite LO < HI")));
        }
        let mut state = RANGE_SEED;
        let mut unit = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
        };
        let mut samples = vec![vec![lo; len], vec![hi; len]];
        for _ in 2..RANGE_SAMPLES {
            samples.push((0..len).map(|_| lo + (hi - lo) * unit()).collect());
        }
        Ok(Dataset { samples, labels: None })
    }

    /// Check every sample has exactly `shape`'s element count.
    pub fn check_shape(&self, shape: &[usize]) -> Result<()> {
        let expected: usize = shape.iter().product();
        for (sample, s) in self.samples.iter().enumerate() {
            if s.len() != expected {
                return Err(ModelError::InputLength { sample, expected, got: s.len(), shape: shape.to_vec() });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Dataset> {
        Dataset::parse(t, Path::new("x.json"))
    }

    #[test]
    fn reads_ezkl_format_and_labels() {
        let d = parse(r#"{"input_data": [[0.5, 1, -2]], "labels": [3]}"#).unwrap();
        assert_eq!(d.samples, vec![vec![0.5, 1.0, -2.0]]);
        assert_eq!(d.labels, Some(vec![vec![3]]));
        // A list per sample: one class per output position (a language model's next tokens).
        let d = parse(r#"{"input_data": [[1, 2], [3, 4]], "labels": [[2, 3], [4, 5]]}"#).unwrap();
        assert_eq!(d.labels, Some(vec![vec![2, 3], vec![4, 5]]));
        assert!(matches!(parse(r#"{"input_data": [[1]], "labels": [[]]}"#).unwrap_err(), ModelError::Data { .. }));
        assert!(matches!(parse(r#"{"input_data": [[1]], "labels": [-1]}"#).unwrap_err(), ModelError::Data { .. }));
    }

    /// Found by reading `quote_nonfinite` while writing the `input_json` fuzz target: a
    /// multi-byte character outside a string made it slice inside the character and panic.
    /// Non-ASCII text inside strings was (and is) kept byte for byte.
    #[test]
    fn non_ascii_text_is_a_data_error_not_a_panic() {
        for text in ["é", "{\"input_data\": [[1, ½]]}", "{\"input_data\": [[1]], é: NaN}", "\u{10348}NaN"] {
            let e = parse(text).unwrap_err();
            assert!(matches!(e, ModelError::Data { .. }), "{text}: {e}");
        }
        assert_eq!(quote_nonfinite("[\"é\", NaN, \"½\"]"), "[\"é\", \"NaN\", \"½\"]");
    }

    #[test]
    fn nan_and_infinity_are_named() {
        let e = parse(r#"{"input_data": [[0.5, NaN]]}"#).unwrap_err();
        assert!(matches!(e, ModelError::NonFinite { sample: 0, index: 1, .. }), "{e}");
        let e = parse(r#"{"input_data": [[1], [0.5, -Infinity]]}"#).unwrap_err();
        assert!(matches!(e, ModelError::NonFinite { sample: 1, index: 1, .. }), "{e}");
        let e = parse(r#"{"input_data": [[1e300]]}"#).unwrap_err();
        assert!(matches!(e, ModelError::NonFinite { .. }), "{e}");
    }

    #[test]
    fn tokens_inside_strings_are_left_alone() {
        assert_eq!(quote_nonfinite(r#"{"a": "NaN\"x", "b": NaN}"#), r#"{"a": "NaN\"x", "b": "NaN"}"#);
    }

    #[test]
    fn wrong_length_and_garbage_are_errors() {
        let d = parse(r#"{"input_data": [[1, 2, 3]]}"#).unwrap();
        let e = d.check_shape(&[1, 4]).unwrap_err();
        assert!(matches!(e, ModelError::InputLength { expected: 4, got: 3, .. }), "{e}");
        assert!(matches!(parse("not json").unwrap_err(), ModelError::Data { .. }));
        assert!(matches!(parse(r#"{"input_data": []}"#).unwrap_err(), ModelError::Data { .. }));
    }

    #[test]
    fn flat_and_per_sample_layouts_give_the_same_samples() {
        let per = parse(r#"{"input_data": [[1, 2, 3], [4, 5, 6]], "labels": [0, 1]}"#).unwrap();
        let flat = parse(r#"{"input_data": [[1, 2, 3, 4, 5, 6]], "labels": [0, 1]}"#).unwrap();
        assert_eq!(per.fit(&[1, 3]).unwrap(), flat.fit(&[1, 3]).unwrap());
        assert_eq!(flat.fit(&[1, 3]).unwrap().samples.len(), 2);
        // One sample of six values for a six-value input stays one sample.
        let e = flat.fit(&[2, 3]).unwrap_err();
        assert!(matches!(&e, ModelError::Data { reason, .. } if reason.contains("2 labels for 1 samples")), "{e}");
        let e = flat.fit(&[1, 4]).unwrap_err();
        assert!(matches!(e, ModelError::InputLength { sample: 0, expected: 4, got: 6, .. }), "{e}");
    }

    #[test]
    fn range_calibration_is_deterministic_and_inside_the_range() {
        let a = Dataset::from_range(5, 0.0, 1.0).unwrap();
        assert_eq!(a, Dataset::from_range(5, 0.0, 1.0).unwrap());
        assert_eq!(a.samples.len(), RANGE_SAMPLES);
        assert!(a.samples.iter().flatten().all(|&x| (0.0..=1.0).contains(&x)));
        assert_eq!(a.samples[1], vec![1.0; 5]);
        assert!(Dataset::from_range(5, 1.0, -1.0).is_err());
        assert!(Dataset::from_range(5, f32::NAN, 1.0).is_err());
    }
}
