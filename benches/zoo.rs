//! End to end per zoo model (every `models/zoo/*.onnx`, calibrated on the zoo's
//! calibration.json, proving input.json): keygen, prove (with witness) and verify, IPA.
//! Run: `cargo bench --bench zoo`.
mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use zkinfer::bench::measure::Harness;
use zkinfer::models::data::Dataset;
use zkinfer::pipeline;

fn zoo(c: &mut Criterion) {
    let dir = common::root().join("models/zoo");
    let mut models: Vec<_> = std::fs::read_dir(&dir)
        .expect("models/zoo")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
        .collect();
    models.sort();
    let settings = common::settings();
    let input = Dataset::load(&dir.join("input.json")).expect("input.json").samples.remove(0);
    for m in models {
        let name = m.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let p = match pipeline::prepare(&m, &dir.join("calibration.json"), &settings.quant) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{name}: skipped ({e})");
                continue;
            }
        };
        // The dot width the CLI would choose for this model.
        let settings = zkinfer::bench::with_width(&settings, None, &p).expect("width");
        let mut h = match Harness::new(&p, &settings, &common::cache()) {
            Ok(h) => h,
            Err(e) => {
                eprintln!("{name}: skipped ({e})");
                continue;
            }
        };
        eprintln!("{name}: k = {}, width {}, rows = {}", h.setup.spec.k, h.setup.spec.params.width, h.setup.spec.rows);
        let mut g = common::flat(c, "zoo");
        g.bench_function(BenchmarkId::new("keygen", &name), |b| b.iter(|| h.keygen().expect("keygen")));
        g.bench_function(BenchmarkId::new("prove", &name), |b| b.iter(|| h.prove(&input).expect("prove")));
        let (proof, _) = h.prove(&input).expect("prove");
        g.bench_function(BenchmarkId::new("verify", &name), |b| b.iter(|| h.verify(&proof).expect("verify")));
        g.finish();
    }
}

criterion_group! { name = benches; config = common::criterion(); targets = zoo }
criterion_main!(benches);
