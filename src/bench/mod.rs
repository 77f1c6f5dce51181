//! Benchmarks behind `zkinfer bench` and the criterion benches: what a proof costs against the
//! native computation, per kind of layer work (linear against nonlinear) and as a model grows.
//!
//! - [`synth`]: models built in Rust with a seeded generator (the MLP family, one per chip);
//! - [`native`]: float and integer forward passes timed per layer;
//! - [`measure`]: keygen, prove and verify timed over several runs;
//! - [`cost`]: the per-kind table (rows, cells, estimated share of proving time, overhead);
//! - [`chart`]: the SVG chart of cost against model size;
//! - [`batch`]: one proof of `N` inferences, per batch size (`--batch`);
//! - [`profile`]: where one prove's time goes (`--profile`).
pub mod batch;
pub mod chart;
pub mod cost;
pub mod measure;
pub mod native;
pub mod profile;
pub mod synth;

use serde::Serialize;
use zkinfer_models::summary::summarize;
use zkinfer_prover::ParamsCache;

use crate::pipeline::{PipelineError, Prepared, Settings};
use zkinfer_circuits::CircuitParams;
use cost::Breakdown;
use measure::ProofCost;

/// Seconds each native forward pass is repeated for (per pass, float and integer).
pub const NATIVE_BUDGET_S: f64 = 0.3;

/// Everything `zkinfer bench --model` reports about one model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelBench {
    pub model: String,
    pub model_hash: String,
    pub params: usize,
    pub macs: usize,
    pub nonlinear: usize,
    pub cost: ProofCost,
    /// Whole float forward pass, seconds (sum of the per-layer medians).
    pub native_float_s: f64,
    /// Whole integer forward pass, seconds (sum of the per-part medians).
    pub native_int_s: f64,
    pub breakdown: Breakdown,
}

/// Measure one prepared model on `input`: native passes, then keygen / prove / verify `runs`
/// times each.
pub fn bench_prepared(
    name: &str,
    p: &Prepared,
    settings: &Settings,
    cache: &ParamsCache,
    input: &[f32],
    runs: usize,
) -> Result<ModelBench, PipelineError> {
    let (float, int) = native::time_native(p.graph.get()?, &p.quant, input, NATIVE_BUDGET_S)?;
    let cost = measure::measure(p, settings, cache, input, runs)?;
    let spec = crate::pipeline::compile(p, settings)?;
    let breakdown = cost::breakdown(&p.quant, &spec, &float, &int, cost.prove.median);
    let s = summarize(&p.quant);
    Ok(ModelBench {
        model: name.to_string(),
        model_hash: s.model_hash,
        params: s.params,
        macs: s.macs,
        nonlinear: s.nonlinear,
        native_float_s: float.iter().map(|x| x.seconds).sum(),
        native_int_s: int.iter().map(|x| x.seconds).sum(),
        cost,
        breakdown,
    })
}

/// One member of the MLP family `64-H-H-10`.
#[derive(Clone, Debug, Serialize)]
pub struct FamilyPoint {
    pub hidden: usize,
    pub widths: Vec<usize>,
    pub params: usize,
    pub macs: usize,
    pub nonlinear: usize,
    pub k: u32,
    /// Multiply-accumulates per dot-product row.
    pub width: usize,
    pub rows: usize,
    pub keygen_s: f64,
    pub prove_s: f64,
    pub verify_s: f64,
    pub proof_bytes: usize,
    pub native_float_s: f64,
    pub native_int_s: f64,
    /// Proving time over native integer time.
    pub overhead_int: f64,
    /// Estimated share of proving time spent on nonlinear work (ReLU).
    pub nonlinear_share: f64,
}

/// The layer widths of the family member with hidden width `h`.
pub fn family_widths(h: usize) -> Vec<usize> {
    vec![64, h, h, 10]
}

/// `settings` with the dot width `width`, or the pipeline's automatic choice for `p`.
pub fn with_width(settings: &Settings, width: Option<usize>, p: &Prepared) -> Result<Settings, PipelineError> {
    let mut s = settings.clone();
    match width {
        Some(w) => s.circuit = crate::pipeline::with_model_chips(p, &CircuitParams { width: w, ..s.circuit }),
        None => s.circuit = crate::pipeline::auto_params_for(p, &s.circuit, s.target)?,
    }
    Ok(s)
}

/// Build (seeded random weights), quantize and measure `64-H-H-10` for each `H`, at dot width
/// `width` (`None`: the automatic choice per model).
#[allow(clippy::too_many_arguments)]
pub fn mlp_family(
    hidden: &[usize],
    settings: &Settings,
    width: Option<usize>,
    cache: &ParamsCache,
    runs: usize,
    seed: u64,
    progress: &dyn Fn(&str),
) -> Result<Vec<FamilyPoint>, PipelineError> {
    let calibration = synth::samples(64, 32, false, seed ^ 0x5eed);
    let input = synth::samples(64, 1, false, seed ^ 0x1);
    let input = input.first().cloned().unwrap_or_default();
    let mut out = vec![];
    for &h in hidden {
        progress(&format!("MLP 64-{h}-{h}-10"));
        let widths = family_widths(h);
        let p = synth::prepare_graph(synth::mlp(&widths, seed.wrapping_add(h as u64)), &calibration, &settings.quant)?;
        let s = with_width(settings, width, &p)?;
        let b = bench_prepared(&format!("mlp-{}", widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("-")), &p, &s, cache, &input, runs)?;
        let nonlinear_share = b.breakdown.classes.iter().find(|c| c.kind == "nonlinear").map_or(0.0, |c| c.prove_share);
        out.push(FamilyPoint {
            hidden: h,
            widths,
            params: b.params,
            macs: b.macs,
            nonlinear: b.nonlinear,
            k: b.cost.k,
            width: b.cost.width,
            rows: b.cost.rows,
            keygen_s: b.cost.keygen.median,
            prove_s: b.cost.prove.median,
            verify_s: b.cost.verify.median,
            proof_bytes: b.cost.proof_bytes,
            native_float_s: b.native_float_s,
            native_int_s: b.native_int_s,
            overhead_int: b.cost.prove.median / b.native_int_s.max(1e-12),
            nonlinear_share,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One proof of a tiny synthetic MLP through the whole bench path: the breakdown covers the
    /// circuit and the measured runs are all there (no assertion on any time).
    #[test]
    fn bench_prepared_measures_and_breaks_down_a_tiny_mlp() {
        let cal = synth::samples(8, 8, false, 4);
        let p = synth::prepare_graph(synth::mlp(&[8, 6, 3], 2), &cal, &Settings::default().quant).unwrap();
        let dir = std::env::var_os("ZKINFER_CACHE").map(std::path::PathBuf::from);
        let cache = dir.map(ParamsCache::new).unwrap_or_default();
        let b = bench_prepared("tiny", &p, &Settings::default(), &cache, &cal[0], 2).unwrap();
        assert_eq!((b.cost.keygen.runs.len(), b.cost.prove.runs.len(), b.cost.verify.runs.len()), (2, 2, 2));
        assert_eq!(b.breakdown.total.rows, b.cost.rows);
        assert_eq!((b.macs, b.nonlinear), (8 * 6 + 6 * 3, 6));
        assert!(b.cost.proof_bytes > 0);
        let kinds: Vec<&str> = b.breakdown.kinds.iter().map(|k| k.kind.as_str()).collect();
        assert_eq!(kinds, ["input", "relu", "matmul", "rescale"]);
    }
}
