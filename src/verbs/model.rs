//! `inspect`, `accuracy`, `compile`, `estimate`: what is known about a model before any key.
use std::path::{Path, PathBuf};

use serde::Serialize;
use zkinfer_circuits::CircuitSpec;
use zkinfer_models::{accuracy::AccuracyReport as Accuracy, data::Dataset, summary::ModelSummary};

use super::{timings_map, ModelOptions};
use crate::compiled::{CalibrationRecord, CircuitSize, Source};
use crate::estimate::Estimate;
use crate::pipeline::{self, Calibration, Result, Settings};
use crate::report::Timings;
use crate::target::{EvmEstimate, Target};

/// `zkinfer inspect --json`.
#[derive(Clone, Debug, Serialize)]
pub struct InspectReport {
    pub model: ModelSummary,
    pub circuit: CircuitSpec,
    pub calibration: Calibration,
    pub default_calibration: bool,
    pub source: Source,
    /// The circuit's EVM verifier, estimated from its shape (a KZG proof; [`crate::target`]).
    pub evm: EvmEstimate,
    /// What the shape was chosen for.
    pub target: Target,
    #[serde(skip)]
    pub settings: Settings,
}

/// The model's layers, scales and circuit size (the layout's dry run; no key).
pub fn inspect(m: &ModelOptions) -> Result<InspectReport> {
    let (c, p) = m.compiled()?;
    let circuit = pipeline::compile(&p, &c.settings)?;
    Ok(InspectReport {
        model: zkinfer_models::summary::summarize(&p.quant),
        evm: EvmEstimate::of(circuit.verifier_shape()),
        target: c.settings.target,
        circuit,
        default_calibration: p.calibration.is_range(),
        calibration: p.calibration,
        source: c.source,
        settings: c.settings,
    })
}

/// `zkinfer accuracy --json`.
#[derive(Clone, Debug, Serialize)]
pub struct AccuracyReport {
    pub accuracy: Accuracy,
    /// Every layer's error against the float model (`zkinfer_models::layer_error`).
    pub layers: Vec<zkinfer_models::layer_error::LayerError>,
    pub calibration: Calibration,
    pub bits: u32,
    #[serde(skip)]
    pub source: Source,
}

/// Float against quantized accuracy of the model on the labelled set `data`.
pub fn accuracy(m: &ModelOptions, data: &Dataset) -> Result<AccuracyReport> {
    let (c, p) = m.compiled()?;
    let accuracy = zkinfer_models::accuracy::evaluate(p.graph.get()?, &p.quant, data)?;
    let layers = zkinfer_models::layer_error::layer_errors(p.graph.get()?, &p.quant, data)?;
    Ok(AccuracyReport { accuracy, layers, calibration: p.calibration, bits: c.settings.quant.bits, source: c.source })
}

/// `zkinfer compile --json`.
#[derive(Clone, Debug, Serialize)]
pub struct CompileReport {
    /// The `compiled.json` written.
    pub compiled: PathBuf,
    pub model_hash: String,
    pub public_hash: String,
    pub calibration: CalibrationRecord,
    pub default_calibration: bool,
    pub settings: Settings,
    pub circuit: CircuitSize,
    pub source: Source,
    #[serde(serialize_with = "timings_map")]
    pub timings_s: Timings,
}

/// Compile the model into `out/compiled.json`.
pub fn compile(m: &ModelOptions, out: &Path) -> Result<CompileReport> {
    let mut t = Timings::default();
    let (c, _) = t.time("compile", || m.compiled())?;
    let path = c.write(out)?;
    Ok(CompileReport {
        compiled: path,
        model_hash: c.model_hash,
        public_hash: c.public_hash,
        default_calibration: c.calibration.calibration.is_range(),
        calibration: c.calibration,
        settings: c.settings,
        circuit: c.circuit,
        source: c.source,
        timings_s: t,
    })
}

/// `zkinfer estimate --json`.
#[derive(Clone, Debug, Serialize)]
pub struct EstimateReport {
    pub estimate: Estimate,
    pub calibration: CalibrationRecord,
    pub default_calibration: bool,
}

/// The predicted circuit size, time and memory per backend (`m.backend`, or all of them).
pub fn estimate(m: &ModelOptions) -> Result<EstimateReport> {
    let (c, _) = m.compiled()?;
    let backends: Vec<_> = m.backend.into_iter().collect();
    let estimate = crate::estimate::estimate(&c, &backends)?;
    Ok(EstimateReport { estimate, default_calibration: c.calibration.calibration.is_range(), calibration: c.calibration })
}
