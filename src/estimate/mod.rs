//! `zkinfer estimate`: what a compiled model will cost before any key exists.
//!
//! The circuit size (k, rows, columns, lookups) is exact: it is the compiled model's dry-run
//! layout, the same numbers setup then uses. Time and memory come from a linear cost model
//! whose constants were fitted on measurements of this machine (`cost_model.json` beside this
//! file, written by `tools/estimate/fit.py` from `tools/estimate/measurements.json`, which
//! `tools/estimate/measure.py` records by running the CLI). For each backend and each quantity
//! `y` (seconds or bytes):
//!
//! ```text
//! y = c_0 + n * (c_1 + c_2 * advice + c_3 * fixed + c_4 * lookups),   n = 2^k / 4096
//! ```
//!
//! the shape of halo2's work: every committed column costs FFTs and an MSM over the `2^k`
//! rows (and its extended domain), every lookup argument three more columns, and a constant
//! term covers process start, loading and parameters. Coefficients are fitted non-negative.
use serde::{Deserialize, Serialize};
use zkinfer_prover::Backend;

use crate::compiled::{CircuitSize, CompiledModel};

/// The fitted constants (embedded at build time).
pub const COST_MODEL_JSON: &str = include_str!("cost_model.json");

/// Rows per unit of `n` in the features.
pub const N_UNIT: f64 = 4096.0;

/// Names of the features, in the order of the coefficients.
pub const FEATURES: [&str; 5] = ["1", "n", "n*advice", "n*fixed", "n*lookups"];

#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    #[error("the built-in cost model (src/estimate/cost_model.json) is malformed: {0}")]
    CostModel(String),
    #[error("the cost model has no constants for backend {0}")]
    NoBackend(Backend),
}

/// Coefficients of one backend, one vector of [`FEATURES`]' length per quantity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BackendCosts {
    pub backend: Backend,
    /// Parameter loading (cached) + keygen, seconds.
    pub setup_s: Vec<f64>,
    /// One proof with the keys loaded, seconds (the `prove` step).
    pub prove_s: Vec<f64>,
    /// Peak resident memory of `zkinfer setup`, bytes.
    pub setup_peak_bytes: Vec<f64>,
    /// Peak resident memory of `zkinfer prove` with the keys already in the directory, bytes.
    pub prove_peak_bytes: Vec<f64>,
}

/// Where the constants come from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FitInfo {
    pub fitted_at: String,
    pub machine: String,
    /// Load average while measuring (1-minute, first and last measurement).
    pub load: Vec<f64>,
    pub points: usize,
    pub script: String,
    /// The measurements fitted: `fit` (the synthetic MLPs only; the zoo and 64-512-512-10 held
    /// out for validation) or `all`.
    #[serde(default)]
    pub fit_on: String,
    #[serde(default)]
    pub validation_held_out: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CostModel {
    pub features: Vec<String>,
    pub fit: FitInfo,
    pub backends: Vec<BackendCosts>,
}

/// The predicted cost on one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendEstimate {
    pub backend: Backend,
    pub setup_s: f64,
    pub prove_s: f64,
    pub setup_peak_memory_bytes: u64,
    pub prove_peak_memory_bytes: u64,
}

/// What `zkinfer estimate` reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub model_hash: String,
    /// Exact: the compiled circuit's k, width, rows and columns.
    pub circuit: CircuitSize,
    pub backends: Vec<BackendEstimate>,
    /// The cost model's provenance (machine, date, load).
    pub fitted_at: String,
    pub machine: String,
}

/// The embedded cost model.
pub fn cost_model() -> Result<CostModel, EstimateError> {
    let m: CostModel = serde_json::from_str(COST_MODEL_JSON).map_err(|e| EstimateError::CostModel(e.to_string()))?;
    if m.features != FEATURES {
        return Err(EstimateError::CostModel(format!("features {:?}, expected {:?}", m.features, FEATURES)));
    }
    for b in &m.backends {
        for (name, c) in [("setup_s", &b.setup_s), ("prove_s", &b.prove_s), ("setup_peak_bytes", &b.setup_peak_bytes), ("prove_peak_bytes", &b.prove_peak_bytes)] {
            if c.len() != FEATURES.len() || c.iter().any(|x| !x.is_finite()) {
                return Err(EstimateError::CostModel(format!("{}: {name} needs {} finite coefficients", b.backend, FEATURES.len())));
            }
        }
    }
    Ok(m)
}

/// The feature vector of a circuit (see [`FEATURES`]).
pub fn features(c: &CircuitSize) -> [f64; 5] {
    let n = (1u64 << c.k) as f64 / N_UNIT;
    [1.0, n, n * c.advice_columns as f64, n * c.fixed_columns as f64, n * c.lookups as f64]
}

fn dot(c: &[f64], f: &[f64; 5]) -> f64 {
    c.iter().zip(f).map(|(a, b)| a * b).sum::<f64>().max(0.0)
}

/// The cost of `circuit` on `costs`' backend.
pub fn predict(costs: &BackendCosts, circuit: &CircuitSize) -> BackendEstimate {
    let f = features(circuit);
    BackendEstimate {
        backend: costs.backend,
        setup_s: dot(&costs.setup_s, &f),
        prove_s: dot(&costs.prove_s, &f),
        setup_peak_memory_bytes: dot(&costs.setup_peak_bytes, &f) as u64,
        prove_peak_memory_bytes: dot(&costs.prove_peak_bytes, &f) as u64,
    }
}

/// Estimate a compiled model on `backends` (all the cost model knows when empty).
pub fn estimate(c: &CompiledModel, backends: &[Backend]) -> Result<Estimate, EstimateError> {
    let m = cost_model()?;
    let chosen: Vec<Backend> = if backends.is_empty() { m.backends.iter().map(|b| b.backend).collect() } else { backends.to_vec() };
    let backends = chosen
        .iter()
        .map(|&b| m.backends.iter().find(|x| x.backend == b).map(|x| predict(x, &c.circuit)).ok_or(EstimateError::NoBackend(b)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Estimate {
        model_hash: c.public_hash.clone(),
        circuit: c.circuit.clone(),
        backends,
        fitted_at: m.fit.fitted_at,
        machine: m.fit.machine,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_cost_model_reads_and_covers_both_backends() {
        let m = cost_model().unwrap();
        for b in [Backend::Ipa, Backend::Kzg] {
            assert!(m.backends.iter().any(|x| x.backend == b), "{b}");
        }
    }

    #[test]
    fn cost_grows_with_k_and_columns() {
        let m = cost_model().unwrap();
        let small = CircuitSize { k: 12, width: 4, rows: 600, advice_columns: 5, fixed_columns: 7, instance_len: 75, lookups: 2, table_rows: 2048 };
        let big = CircuitSize { k: 15, advice_columns: 33, fixed_columns: 35, ..small.clone() };
        for b in &m.backends {
            let (s, l) = (predict(b, &small), predict(b, &big));
            assert!(l.prove_s > s.prove_s && l.setup_s > s.setup_s, "{s:?} {l:?}");
            assert!(l.prove_peak_memory_bytes > s.prove_peak_memory_bytes, "{s:?} {l:?}");
        }
    }
}
