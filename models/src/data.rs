//! Input files in EZKL's format: `{"input_data": [[...floats, flattened...], ...]}` with an
//! optional `"labels": [..]` for a labelled set. A flattened sample is reshaped to the model's
//! input shape. NaN and infinities (which Python writes as bare `NaN` / `Infinity` tokens) are
//! reported with the sample and index, as is a wrong element count.
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{ModelError, Result};

#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub samples: Vec<Vec<f32>>,
    pub labels: Option<Vec<usize>>,
}

#[derive(Deserialize)]
struct Raw {
    input_data: Vec<Vec<Value>>,
    #[serde(default)]
    labels: Option<Vec<usize>>,
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
        if let Some(l) = &raw.labels {
            if l.len() != samples.len() {
                return Err(ModelError::Data {
                    path: path.into(),
                    reason: format!("{} labels for {} samples", l.len(), samples.len()),
                });
            }
        }
        Ok(Dataset { samples, labels: raw.labels })
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
        assert_eq!(d.labels, Some(vec![3]));
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
}
