//! Per-chip proving cost: a matrix-vector product n x n, ReLU and sigmoid over n elements, a
//! 3x3 convolution, 2x2 max and average pooling. Each case is one small model proved end to
//! end (IPA); its row count is printed beside the time, so a row regression shows even on a
//! noisy machine. Run: `cargo bench --bench chips` (filter: `cargo bench --bench chips -- relu`).
mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use zkinfer::bench::{measure::Harness, synth};
use zkinfer::models::graph::{Graph, Nonlinearity};
use zkinfer::pipeline;

fn case(c: &mut Criterion, group: &str, param: String, graph: Graph, seed: u64) {
    let (p, input) = common::prepare(graph, seed);
    let settings = common::settings();
    let spec = pipeline::compile(&p, &settings).expect("compiles");
    let layer_rows: usize = spec.layers.iter().map(|l| l.rows).sum();
    let layer_lookups: usize = spec.layers.iter().map(|l| l.lookups).sum();
    eprintln!("{group}/{param}: k = {}, rows = {} (layers {layer_rows}, lookups {layer_lookups})", spec.k, spec.rows);
    let h = Harness::new(&p, &settings, &common::cache()).expect("setup");
    let mut g = common::flat(c, group);
    g.bench_with_input(BenchmarkId::new("prove", &param), &input, |b, x| b.iter(|| h.prove(x).expect("prove")));
    g.finish();
}

fn chips(c: &mut Criterion) {
    for n in [16, 32, 64, 128] {
        case(c, "matvec", format!("{n}x{n}"), synth::matvec(n, n as u64), 1);
    }
    for n in [256, 1024, 4096] {
        case(c, "relu", n.to_string(), synth::activation(n, Nonlinearity::Relu), 2);
        case(c, "sigmoid", n.to_string(), synth::activation(n, Nonlinearity::Sigmoid), 3);
    }
    for (ci, co, s) in [(1, 4, 8), (4, 8, 8), (8, 16, 8)] {
        case(c, "conv3x3", format!("{ci}to{co}_{s}x{s}"), synth::conv(ci, co, s, 4), 4);
    }
    for (ch, s) in [(4, 8), (16, 8), (16, 16)] {
        case(c, "maxpool2x2", format!("{ch}x{s}x{s}"), synth::maxpool(ch, s), 5);
        case(c, "avgpool2x2", format!("{ch}x{s}x{s}"), synth::avgpool(ch, s), 6);
    }
}

criterion_group! { name = benches; config = common::criterion(); targets = chips }
criterion_main!(benches);
