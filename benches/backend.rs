//! Keygen, prove and verify per circuit size k (IPA), on a matrix-vector product sized to fill
//! about 80% of the 2^k rows. k from 11 to `ZKINFER_BENCH_MAX_K` (default 14; each k's
//! parameters are generated once and cached). Run: `cargo bench --bench backend`.
mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use zkinfer::bench::{measure::Harness, synth};
use zkinfer::pipeline;

/// The largest n whose n x n product fits 80% of 2^k rows at the default width.
fn n_for(k: u32) -> usize {
    let width = common::settings().circuit.width;
    let target = (1usize << k) * 8 / 10;
    (1..4096).take_while(|&n: &usize| n * n.div_ceil(width) + n + n.div_ceil(width + 1) <= target).last().unwrap_or(1)
}

fn backend(c: &mut Criterion) {
    let max_k: u32 = std::env::var("ZKINFER_BENCH_MAX_K").ok().and_then(|v| v.parse().ok()).unwrap_or(14);
    let settings = common::settings();
    for k in 11..=max_k {
        let n = n_for(k);
        let (p, input) = common::prepare(synth::matvec(n, k as u64), 7);
        let spec = pipeline::compile(&p, &settings).expect("compiles");
        eprintln!("k = {k}: matvec {n}x{n}, compiled k = {}, rows = {}", spec.k, spec.rows);
        let mut h = Harness::new(&p, &settings, &common::cache()).expect("setup");
        let id = BenchmarkId::from_parameter(spec.k);
        let mut g = common::flat(c, "keygen");
        g.bench_function(id.clone(), |b| b.iter(|| h.keygen().expect("keygen")));
        g.finish();
        let mut g = common::flat(c, "prove");
        g.bench_function(id.clone(), |b| b.iter(|| h.prove(&input).expect("prove")));
        g.finish();
        let (proof, _) = h.prove(&input).expect("prove");
        let mut g = common::flat(c, "verify");
        g.bench_function(id, |b| b.iter(|| h.verify(&proof).expect("verify")));
        g.finish();
    }
}

criterion_group! { name = benches; config = common::criterion(); targets = backend }
criterion_main!(benches);
