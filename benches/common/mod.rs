//! Shared set-up of the criterion benches: settings, the parameter cache, and a quick
//! criterion configuration (proofs take about a second each on 2 cores).
#![allow(dead_code)]
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, SamplingMode};
use criterion::measurement::WallTime;
use zkinfer::bench::synth;
use zkinfer::models::graph::Graph;
use zkinfer::pipeline::{Prepared, Settings};
use zkinfer::prover::ParamsCache;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `$ZKINFER_CACHE`, else the default cache (IPA parameters are generated once per k).
pub fn cache() -> ParamsCache {
    ParamsCache::default()
}

pub fn settings() -> Settings {
    Settings::default()
}

/// Ten samples, one proof per sample, short warm-up.
pub fn criterion() -> Criterion {
    Criterion::default().sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2))
}

pub fn flat<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat);
    g
}

/// Quantize a synthetic graph on 16 random signed samples; returns it and one input.
pub fn prepare(g: Graph, seed: u64) -> (Prepared, Vec<f32>) {
    let len = g.input_len();
    let cal = synth::samples(len, 16, true, seed);
    let p = synth::prepare_graph(g, &cal, &settings().quant).expect("synthetic graph quantizes");
    (p, cal[0].clone())
}
