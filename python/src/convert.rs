//! Python values into the library's types: model options from keyword arguments, inputs from
//! paths, lists, tuples or numpy arrays; reports into plain Python objects.
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use zkinfer::models::data::Dataset;
use zkinfer::verbs::ModelOptions;

use crate::errors::{to_py, InputError};

fn bad(msg: impl Into<String>) -> PyErr {
    InputError::new_err(msg.into())
}

/// A path from `str` or `os.PathLike`.
pub fn path(v: &Bound<'_, PyAny>, name: &str) -> PyResult<PathBuf> {
    v.extract::<PathBuf>().map_err(|_| bad(format!("{name}: expected a path (str or os.PathLike), got {}", type_name(v))))
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

fn parsed<T: std::str::FromStr>(v: &Bound<'_, PyAny>, name: &str) -> PyResult<T>
where
    T::Err: std::fmt::Display,
{
    let s: String = v.extract().map_err(|_| bad(format!("{name}: expected a string, got {}", type_name(v))))?;
    s.parse::<T>().map_err(|e| bad(format!("{name}: {e}")))
}

fn number<T: for<'a, 'py> FromPyObject<'a, 'py>>(v: &Bound<'_, PyAny>, name: &str, what: &str) -> PyResult<T> {
    v.extract::<T>().map_err(|_| bad(format!("{name}: expected {what}, got {}", type_name(v))))
}

/// The options of the model verbs (`inspect`, `compile`, `prove`, ...): the first argument
/// (`model`, an ONNX file) and the keyword arguments, named as the CLI's flags with `_` for
/// `-`. An unknown keyword is an [`InputError`].
pub fn model_options(model: Option<&Bound<'_, PyAny>>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<ModelOptions> {
    let mut o = ModelOptions::default();
    if let Some(m) = model.filter(|m| !m.is_none()) {
        o.model = Some(path(m, "model")?);
    }
    let Some(kwargs) = kwargs else { return Ok(o) };
    for (k, v) in kwargs.iter() {
        let key: String = k.extract()?;
        if v.is_none() {
            continue;
        }
        let k = key.as_str();
        match k {
            "compiled" => o.compiled = Some(path(&v, k)?),
            "mlp" => o.mlp = number(&v, k, "a list of layer widths")?,
            "seed" => o.seed = number(&v, k, "an integer")?,
            "calibration" => o.calibration = Some(path(&v, k)?),
            "input_range" => {
                let (lo, hi): (f32, f32) = number(&v, k, "a pair (lo, hi)")?;
                o.input_range = Some((lo, hi));
            }
            "bits" => o.bits = number(&v, k, "an integer")?,
            "weight_bits" => o.weight_bits = number(&v, k, "an integer")?,
            "width" => o.width = Some(number(&v, k, "an integer")?),
            "target" => o.target = parsed(&v, k)?,
            "weights" => o.weights = Some(parsed(&v, k)?),
            "input_visibility" => o.input_visibility = parsed(&v, k)?,
            "output_visibility" => o.output_visibility = parsed(&v, k)?,
            "batch" => o.batch = Some(number(&v, k, "an integer")?),
            "backend" => o.backend = Some(parsed(&v, k)?),
            "cache" => o.cache = Some(path(&v, k)?),
            "srs" => o.srs = Some(path(&v, k)?),
            "srs_sha256" => o.srs_sha256 = Some(number(&v, k, "a hex string")?),
            _ => return Err(bad(format!("unknown option {key:?} (see help(zkinfer))"))),
        }
    }
    if o.compiled.is_some() && (o.model.is_some() || !o.mlp.is_empty()) {
        return Err(bad("pass either model / mlp or compiled, not both"));
    }
    Ok(o)
}

/// Numbers from a list, tuple or anything with `tolist()` (numpy arrays): one sample (a flat
/// list), or several (a list of lists, a 2-D array).
fn samples(v: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<Vec<f32>>> {
    let v = if v.hasattr("tolist")? { v.call_method0("tolist")? } else { v.clone() };
    let expected = || bad(format!("{name}: expected a path, a list of numbers, a list of lists or a numpy array, got {}", type_name(&v)));
    if v.is_instance_of::<PyString>() {
        return Err(expected());
    }
    let to_f32 = |xs: Vec<f64>| xs.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
    let out = if let Ok(flat) = v.extract::<Vec<f64>>() {
        vec![to_f32(flat)]
    } else if let Ok(nested) = v.extract::<Vec<Vec<f64>>>() {
        nested.into_iter().map(to_f32).collect()
    } else if v.extract::<f64>().is_ok() {
        return Err(bad(format!("{name}: expected a list of numbers, got one number")));
    } else {
        return Err(expected());
    };
    if out.is_empty() || out.iter().all(Vec::is_empty) {
        return Err(bad(format!("{name} is empty")));
    }
    Ok(out)
}

/// An input or data set: a path to a JSON file in EZKL's format (`{"input_data": [[...]]}`),
/// numbers (see [`samples`]), or a dict `{"input_data": ..., "labels": [...]}`. The second
/// value names it in messages.
pub fn dataset(v: &Bound<'_, PyAny>, name: &str) -> PyResult<(Dataset, String)> {
    if let Ok(d) = v.cast::<PyDict>() {
        let data = d.get_item("input_data")?.ok_or_else(|| bad(format!("{name}: a dict needs \"input_data\"")))?;
        let labels = match d.get_item("labels")? {
            Some(l) if !l.is_none() => {
                let one = l.extract::<Vec<usize>>().map(|v| v.into_iter().map(|c| vec![c]).collect());
                let per_position = || l.extract::<Vec<Vec<usize>>>();
                Some(one.or_else(|_| per_position()).map_err(|_| {
                    bad(format!("{name}: labels must be non-negative integers, or one list of them per sample"))
                })?)
            }
            _ => None,
        };
        return Ok((Dataset { samples: samples(&data, name)?, labels }, name.to_string()));
    }
    if v.is_instance_of::<PyString>() || v.hasattr("__fspath__")? {
        let p = path(v, name)?;
        let d = Dataset::load(&p).map_err(|e| to_py(e.into()))?;
        return Ok((d, p.display().to_string()));
    }
    Ok((Dataset { samples: samples(v, name)?, labels: None }, name.to_string()))
}

/// A report as plain Python objects (dicts, lists, str, int, float, bool, None): the same
/// fields as the CLI's `--json`.
pub fn to_object<'py, T: serde::Serialize>(py: Python<'py>, report: &T) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, report)?)
}
