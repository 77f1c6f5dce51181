//! `zkinfer bench`: proving cost against native cost, per kind of layer work, and as a model
//! grows (the MLP family `64-H-H-10`, with an SVG chart).
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;
use zkinfer::bench::{self, cost::KindCost, FamilyPoint, ModelBench};
use zkinfer::models::data::Dataset;
use zkinfer::models::QuantConfig;
use zkinfer::compiled::{CompiledModel, Source};
use zkinfer::pipeline::{self, Calibration, Prepared, Settings};
use zkinfer::prover::{Backend, ParamsCache};
use zkinfer::report::peak_memory_bytes;

use super::progress::Progress;

#[derive(Args, Clone)]
pub struct BenchArgs {
    /// The ONNX model to break down per kind of layer work.
    #[arg(long, conflicts_with = "compiled")]
    pub model: Option<PathBuf>,
    /// A compiled model (DIR/compiled.json from `zkinfer compile`, or DIR) instead of --model.
    #[arg(long, conflicts_with_all = ["calibration", "bits", "weight_bits", "width"])]
    pub compiled: Option<PathBuf>,
    /// Calibration samples (default: calibration.json beside the model, else the default input
    /// range [-1, 1], as `compile` does; never the input).
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// The input to prove (default: input.json beside the model, else the first calibration
    /// sample).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Also measure the MLP family 64-H-H-10 (seeded random weights) for these hidden widths,
    /// e.g. `--family 64,128,256,512`.
    #[arg(long, value_delimiter = ',')]
    pub family: Vec<usize>,
    /// Write the chart of the family's cost against its size here (SVG).
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// Runs of keygen, prove and verify; medians are reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Seed of the family's weights.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Activation bits (lookup tables have 2^bits rows).
    #[arg(long, default_value_t = QuantConfig::default().bits)]
    pub bits: u32,
    /// Signed bits of the largest weight of each layer.
    #[arg(long, default_value_t = QuantConfig::default().weight_bits)]
    pub weight_bits: u32,
    /// Multiply-accumulates per circuit row (default: chosen per model, as `prove` does).
    #[arg(long)]
    pub width: Option<usize>,
    /// Commitment backend (KZG here uses the insecure test SRS: fine for timing).
    #[arg(long, default_value = "ipa")]
    pub backend: Backend,
    /// Where parameters are cached (default: $ZKINFER_CACHE or ~/.cache/zkinfer).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Instead of the per-kind breakdown: one proof of N inferences for each N given, e.g.
    /// `--batch 1,4,16,64`, for --model and each --family size (k, rows, prove time, proof
    /// size, prove time per input). Inputs are the calibration samples, cycled.
    #[arg(long, value_delimiter = ',')]
    pub batch: Vec<usize>,
    /// Also print where the prove time of --model goes (medians of the runs, per step and
    /// halo2 phase) and the circuit facts.
    #[arg(long)]
    pub profile: bool,
}

pub fn bench(a: &BenchArgs, json: bool) -> anyhow::Result<()> {
    if a.model.is_none() && a.compiled.is_none() && a.family.is_empty() {
        anyhow::bail!("nothing to measure: pass --model M.onnx and/or --family 64,128,256,512");
    }
    if a.chart.is_some() && a.family.is_empty() {
        anyhow::bail!("--chart draws the MLP family: pass --family too");
    }
    let mut settings = Settings::default();
    settings.quant.bits = a.bits;
    settings.quant.weight_bits = a.weight_bits;
    settings.backend = a.backend;
    let cache = a.cache.as_ref().map(ParamsCache::new).unwrap_or_default();
    if !a.batch.is_empty() {
        return bench_batches(a, &settings, &cache, json);
    }
    let bar = Progress::new(json);
    let result = (|| {
        let model = match (&a.model, &a.compiled) {
            (Some(m), _) => {
                bar.step(&format!("measuring {}", m.display()));
                let calib = pipeline::resolve_calibration(m, a.calibration.as_deref(), None);
                let p = pipeline::prepare(m, &calib, &settings.quant)?;
                let settings = bench::with_width(&settings, a.width, &p)?;
                Some(bench_model(a, m, &p, &settings, &cache)?)
            }
            (None, Some(c)) => {
                bar.step(&format!("measuring {}", c.display()));
                let c = CompiledModel::read(c)?;
                let Source::Onnx { path, .. } = &c.source else {
                    anyhow::bail!("bench --compiled needs a model compiled from an ONNX file (the MLP family has --family)")
                };
                let mut s = c.settings.clone();
                s.backend = a.backend;
                Some(bench_model(a, path, &c.prepared()?, &s, &cache)?)
            }
            (None, None) => None,
        };
        let family = if a.family.is_empty() {
            vec![]
        } else {
            bench::mlp_family(&a.family, &settings, a.width, &cache, a.runs, a.seed, &|m| bar.step(&format!("measuring {m}")))?
        };
        Ok::<_, anyhow::Error>((model, family))
    })();
    bar.finish();
    let (model, family) = result?;
    if let Some(path) = &a.chart {
        let title = format!("zkinfer: MLP 64-H-H-10 ({}), cost against size", a.backend);
        bench::chart::family_chart(&family, path, &title)
            .map_err(|e| anyhow::anyhow!("cannot draw {}: {e}", path.display()))?;
    }
    let peak = peak_memory_bytes();
    if json {
        let v = json!({ "model": model, "family": family, "chart": a.chart, "runs": a.runs, "peak_memory_bytes": peak,
                        "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if let Some(m) = &model {
        print_model(m, a.runs);
        if a.profile {
            print!("{}", bench::profile::render(&m.cost.profile));
        }
    }
    if !family.is_empty() {
        print_family(&family, a.runs);
    }
    if let Some(path) = &a.chart {
        println!("chart       {}", path.display());
    }
    if let Some(b) = peak {
        println!("peak memory {:.1} MiB (whole run)", b as f64 / (1 << 20) as f64);
    }
    Ok(())
}

fn bench_model(a: &BenchArgs, model: &Path, p: &Prepared, settings: &Settings, cache: &ParamsCache) -> anyhow::Result<ModelBench> {
    let beside = |name: &str| model.parent().unwrap_or(Path::new(".")).join(name);
    let input_path = match (&a.input, &p.calibration) {
        (Some(i), _) => i.clone(),
        (None, _) if beside("input.json").is_file() => beside("input.json"),
        (None, Calibration::File(f)) => f.clone(),
        (None, Calibration::Range { .. }) => anyhow::bail!("no input to prove: pass --input FILE (or put input.json beside the model)"),
    };
    let data = Dataset::load(&input_path)?.fit(&p.quant.input_shape)?;
    let input = data.samples.first().ok_or_else(|| anyhow::anyhow!("{}: no sample", input_path.display()))?;
    Ok(bench::bench_prepared(&model.display().to_string(), p, settings, cache, input, a.runs)?)
}

fn bench_batches(a: &BenchArgs, settings: &Settings, cache: &ParamsCache, json: bool) -> anyhow::Result<()> {
    let bar = Progress::new(json);
    let result = (|| {
        let mut points = Vec::new();
        if let Some(model) = &a.model {
            let calib = pipeline::resolve_calibration(model, a.calibration.as_deref(), None);
            let data_path = match (&a.input, &calib) {
                (Some(i), _) => i.clone(),
                (None, Calibration::File(f)) => f.clone(),
                (None, Calibration::Range { .. }) => anyhow::bail!("no samples to batch: pass --input FILE (N samples)"),
            };
            let p = pipeline::prepare(model, calib, &settings.quant)?;
            let data = Dataset::load(&data_path)?;
            let samples = pipeline::batch_samples(&data, &p.quant.input_shape)?;
            let name = model.display().to_string();
            points.extend(bench::batch::batch_sweep(&name, &p, settings, a.width, &a.batch, &samples, cache, a.runs, &|m| bar.step(m))?);
        }
        for &h in &a.family {
            let widths = bench::family_widths(h);
            let calibration = bench::synth::samples(64, 32, false, a.seed ^ 0x5eed);
            let graph = bench::synth::mlp(&widths, a.seed.wrapping_add(h as u64));
            let p = bench::synth::prepare_graph(graph, &calibration, &settings.quant)?;
            let name = format!("mlp-64-{h}-{h}-10");
            points.extend(bench::batch::batch_sweep(&name, &p, settings, a.width, &a.batch, &calibration, cache, a.runs, &|m| bar.step(m))?);
        }
        Ok::<_, anyhow::Error>(points)
    })();
    bar.finish();
    let points = result?;
    if json {
        let v = json!({ "batches": points, "runs": a.runs, "peak_memory_bytes": peak_memory_bytes(),
                        "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "{:<28} {:>5} {:>5} {:>3} {:>8} {:>6} {:>9} {:>9} {:>10} {:>11} {:>9} {:>9}",
        "model", "batch", "width", "k", "rows", "advice", "freivalds", "keygen", "prove", "per input", "vs N=1", "proof"
    );
    for pt in &points {
        let first = points.iter().find(|q| q.model == pt.model && q.batch == 1);
        let vs = first.map_or("-".into(), |f| format!("{:.3}", pt.per_input_s / f.per_input_s.max(1e-12)));
        println!(
            "{:<28} {:>5} {:>5} {:>3} {:>8} {:>6} {:>9} {:>9} {:>10} {:>11} {:>9} {:>8}B",
            truncate(&pt.model, 28), pt.batch, pt.width, pt.k, pt.rows, pt.advice_columns, pt.freivalds_layers,
            secs(pt.keygen_s), secs(pt.prove_s), secs(pt.per_input_s), vs, pt.proof_bytes
        );
    }
    println!("prove: median of {} run(s); vs N=1: prove time per input against the batch of 1", a.runs.max(1));
    if let Some(b) = peak_memory_bytes() {
        println!("peak memory {:.1} MiB (whole run)", b as f64 / (1 << 20) as f64);
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    match s.chars().count() <= n {
        true => s.to_string(),
        false => std::iter::once('…').chain(s.chars().rev().take(n - 1).collect::<Vec<_>>().into_iter().rev()).collect(),
    }
}

/// Seconds in a readable unit.
fn secs(s: f64) -> String {
    match s {
        s if s >= 1.0 => format!("{s:.2} s"),
        s if s >= 1e-3 => format!("{:.2} ms", s * 1e3),
        s if s > 0.0 => format!("{:.2} µs", s * 1e6),
        _ => "-".into(),
    }
}

fn ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 1e4 => format!("{r:.1e}x"),
        Some(r) => format!("{r:.0}x"),
        None => "-".into(),
    }
}

fn kind_line(k: &KindCost) {
    println!(
        "{:<12} {:<10} {:>6} {:>10} {:>8} {:>6.1}% {:>9} {:>8} {:>8.1}% {:>10} {:>10} {:>10} {:>9} {:>9}",
        k.kind,
        k.class,
        k.layers,
        k.elements,
        k.rows,
        100.0 * k.row_share,
        k.advice_cells,
        k.lookups,
        100.0 * k.prove_share,
        secs(k.prove_s),
        secs(k.float_s),
        secs(k.int_s),
        ratio(k.overhead_float),
        ratio(k.overhead_int)
    );
}

fn print_model(m: &ModelBench, runs: usize) {
    let c = &m.cost;
    println!("model       {}  ({} params, {} MACs, {} nonlinear elements)", m.model, m.params, m.macs, m.nonlinear);
    println!("circuit     k = {}, width {}, {} rows, {} advice / {} fixed columns, {} lookup arguments", c.k, c.width, c.rows, c.advice_columns, c.fixed_columns, c.lookup_arguments);
    println!(
        "proof       keygen {} | prove {} | verify {} | {} bytes   (medians of {runs}; params load {})",
        secs(c.keygen.median),
        secs(c.prove.median),
        secs(c.verify.median),
        c.proof_bytes,
        secs(c.params_s)
    );
    println!("native      float {} | integer {} per inference (one thread)", secs(m.native_float_s), secs(m.native_int_s));
    println!();
    println!(
        "{:<12} {:<10} {:>6} {:>10} {:>8} {:>7} {:>9} {:>8} {:>9} {:>10} {:>10} {:>10} {:>9} {:>9}",
        "kind", "class", "parts", "elements", "rows", "rows%", "adv.cells", "lookups", "est.prove", "prove(est)", "float", "integer", "ovh.float", "ovh.int"
    );
    let b = &m.breakdown;
    for k in &b.kinds {
        kind_line(k);
    }
    println!("{}", "-".repeat(148));
    for k in &b.classes {
        kind_line(k);
    }
    kind_line(&b.total);
    println!();
    if let Some(r) = b.nonlinear_over_linear {
        println!("nonlinear vs linear: the integer overhead of nonlinear work is {r:.2}x that of linear work");
    }
    for ((kind, rows), (_, units)) in b.element_in_macs_rows.iter().zip(&b.element_in_macs_units) {
        println!("one {kind} element costs as much as {rows:.2} MACs in rows, {units:.2} MACs in cost units");
    }
    println!("elements: MACs for linear work, elements otherwise; parts: layers, or the halves of a fused matmul+activation");
    println!("{}", b.method);
}

fn print_family(f: &[FamilyPoint], runs: usize) {
    println!();
    println!("MLP family (seeded random weights, medians of {runs}):");
    println!(
        "{:<16} {:>9} {:>9} {:>3} {:>5} {:>8} {:>10} {:>10} {:>10} {:>7} {:>10} {:>10} {:>9}",
        "model", "params", "MACs", "k", "width", "rows", "keygen", "prove", "verify", "proof B", "native int", "overhead", "nonlin.%"
    );
    for p in f {
        let name = p.widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("-");
        println!(
            "{:<16} {:>9} {:>9} {:>3} {:>5} {:>8} {:>10} {:>10} {:>10} {:>7} {:>10} {:>10} {:>8.1}%",
            name,
            p.params,
            p.macs,
            p.k,
            p.width,
            p.rows,
            secs(p.keygen_s),
            secs(p.prove_s),
            secs(p.verify_s),
            p.proof_bytes,
            secs(p.native_int_s),
            ratio(Some(p.overhead_int)),
            100.0 * p.nonlinear_share
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn needs_a_model_or_a_family_and_a_chart_needs_a_family() {
        let parse = |args: &[&str]| crate::cli::Cli::try_parse_from(["zkinfer", "bench"].iter().chain(args)).unwrap();
        for (args, msg) in [(&[][..], "nothing to measure"), (&["--chart", "x.svg", "--model", "m.onnx"][..], "--chart draws")] {
            let crate::cli::Command::Bench(a) = parse(args).command else { panic!("not bench") };
            let e = bench(&a, true).unwrap_err().to_string();
            assert!(e.contains(msg), "{e}");
        }
        let crate::cli::Command::Bench(a) = parse(&["--family", "64,128", "--runs", "5"]).command else { panic!() };
        assert_eq!((a.family, a.runs, a.width), (vec![64, 128], 5, None));
    }

    #[test]
    fn times_and_ratios_read_well() {
        assert_eq!(secs(2.5), "2.50 s");
        assert_eq!(secs(0.0123), "12.30 ms");
        assert_eq!(secs(2.5e-6), "2.50 µs");
        assert_eq!(secs(0.0), "-");
        assert_eq!((ratio(Some(12.3)), ratio(Some(2.5e5)), ratio(None)), ("12x".to_string(), "2.5e5x".to_string(), "-".to_string()));
    }
}
