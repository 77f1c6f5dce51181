//! `zkinfer bench --batch 1,4,16,64`: what one proof of `N` inferences costs, per `N`, and
//! the prove time per inference (the Freivalds layers touch the weights once per proof).
use std::time::Instant;

use serde::Serialize;
use zkinfer_prover::ParamsCache;

use super::measure::Harness;
use super::native::median;
use crate::pipeline::{self, PipelineError, Prepared, Settings};

/// One batch size of one model.
#[derive(Clone, Debug, Serialize)]
pub struct BatchPoint {
    pub model: String,
    pub batch: usize,
    pub width: usize,
    pub k: u32,
    pub rows: usize,
    pub advice_columns: usize,
    pub lookup_arguments: usize,
    /// Affine layers checked by one Freivalds product for the whole batch.
    pub freivalds_layers: usize,
    pub keygen_s: f64,
    /// Median over the runs.
    pub prove_s: f64,
    pub per_input_s: f64,
    pub verify_s: f64,
    pub proof_bytes: usize,
}

/// Sets up and proves `name` for each batch size in `batches` (inputs cycled from `samples`),
/// proving `runs` times each; the width is `width` or the automatic choice for that batch.
#[allow(clippy::too_many_arguments)]
pub fn batch_sweep(
    name: &str,
    p: &Prepared,
    settings: &Settings,
    width: Option<usize>,
    batches: &[usize],
    samples: &[Vec<f32>],
    cache: &ParamsCache,
    runs: usize,
    progress: &dyn Fn(&str),
) -> Result<Vec<BatchPoint>, PipelineError> {
    if samples.is_empty() {
        return Err(PipelineError::Usage("no input samples to batch".into()));
    }
    let mut out = Vec::with_capacity(batches.len());
    for &n in batches {
        progress(&format!("{name}: batch of {n}"));
        let mut s = settings.clone();
        s.circuit = pipeline::with_model_chips(p, &s.circuit);
        s.circuit.batch = n;
        s.circuit.width = match width {
            Some(w) => w,
            None => pipeline::auto_width_for(p, &s.circuit)?,
        };
        let inputs: Vec<Vec<f32>> = (0..n).map(|i| samples[i % samples.len()].clone()).collect();
        let h = Harness::new(p, &s, cache)?;
        let mut proves = Vec::with_capacity(runs.max(1));
        let mut last = None;
        for _ in 0..runs.max(1) {
            let (proof, t) = h.prove_batch(&inputs)?;
            proves.push(t.get("prove").unwrap_or(0.0));
            last = Some(proof);
        }
        let proof = last.ok_or_else(|| PipelineError::Usage("no proof".into()))?;
        let start = Instant::now();
        h.verify(&proof)?;
        let verify_s = start.elapsed().as_secs_f64();
        let prove_s = median(&mut proves);
        let spec = &h.setup.spec;
        out.push(BatchPoint {
            model: name.to_string(),
            batch: n,
            width: s.circuit.width,
            k: spec.k,
            rows: spec.rows,
            advice_columns: spec.advice_columns,
            lookup_arguments: spec.lookup_arguments,
            freivalds_layers: spec.layers.iter().filter(|l| l.kind == "affine (freivalds)").count(),
            keygen_s: h.setup_timings.get("keygen").unwrap_or(0.0),
            prove_s,
            per_input_s: prove_s / n.max(1) as f64,
            verify_s,
            proof_bytes: proof.proof.len() / 2,
        });
    }
    Ok(out)
}
