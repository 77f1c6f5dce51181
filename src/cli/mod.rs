//! Argument parsing and dispatch.
mod bench;
mod commit;
mod estimate;
mod evm;
mod inspect;
mod progress;
mod prove;
mod verify;
mod web;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use zkinfer::circuits::{TensorVisibility, WeightVisibility};
use zkinfer::models::QuantConfig;
use zkinfer::prover::Backend;
use zkinfer::verbs::ModelOptions;
use zkinfer::target::Target;

#[derive(Parser)]
#[command(name = "zkinfer", version, about = "Zero-knowledge proofs of quantized ONNX inference")]
pub struct Cli {
    /// Machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Print layers, shapes, parameters, MACs, nonlinear elements, scales and circuit size.
    Inspect(ModelArgs),
    /// Float vs quantized accuracy on a labelled data set.
    Accuracy {
        #[command(flatten)]
        model: ModelArgs,
        /// Labelled data: {"input_data": [[...], ...], "labels": [...]} (a label per sample,
        /// or a list per sample with one per output position, e.g. a language model's next tokens).
        #[arg(long)]
        data: PathBuf,
        /// Also print every layer's error against the float model (max and mean |error|,
        /// largest float value, share of the activation range used).
        #[arg(long)]
        layers: bool,
    },
    /// Compile a model into DIR/compiled.json: the quantized model, its settings, identity and
    /// circuit size, and the SHA-256 of the files it came from. setup, prove, commit, bench,
    /// estimate and create-evm-verifier take it (--compiled).
    Compile {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        out: PathBuf,
    },
    /// Before any key exists: predicted k, rows, columns, and per backend the peak memory,
    /// setup and prove time (cost model fitted on this machine, src/estimate/cost_model.json).
    Estimate(ModelArgs),
    /// Compile the model and generate parameters and keys into DIR.
    Setup {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        out: PathBuf,
    },
    /// Prove one inference (runs setup first when DIR has no matching keys).
    Prove {
        #[command(flatten)]
        model: ModelArgs,
        /// Input in EZKL's format: {"input_data": [[...floats...]]}.
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Print where the prove's time goes (each step and halo2 phase) and the circuit facts.
        #[arg(long)]
        profile: bool,
    },
    /// Verify a proof; exit code 0 only when it is accepted.
    Verify {
        #[arg(long)]
        proof: PathBuf,
        /// Verifying key you trust (default: vk.bin beside the proof, which proves nothing
        /// about the model unless --model-hash is given).
        #[arg(long)]
        vk: Option<PathBuf>,
        /// Reject unless the key has this model identity (what `zkinfer commit` prints:
        /// KEYDIGEST, or COMMITMENT:KEYDIGEST with hashed weights).
        #[arg(long, visible_alias = "identity")]
        model_hash: Option<String>,
        /// Accept keys made with the insecure fixed-seed KZG SRS (tests and demos only).
        #[arg(long)]
        allow_insecure_srs: bool,
    },
    /// Generate (or check the cache has) the parameters for circuit size K: IPA parameters are
    /// deterministic, the KZG ones here the INSECURE test SRS. `verify` never generates them.
    Params {
        #[arg(long)]
        k: u32,
        #[arg(long, default_value = "ipa")]
        backend: Backend,
        /// Cache directory (default: $ZKINFER_CACHE or ~/.cache/zkinfer).
        #[arg(long)]
        cache: Option<PathBuf>,
    },
    /// Print and store (in OUT, default commitment.json) the Poseidon commitment of the model's
    /// weights, as proofs with `--weights hashed` expose it, without revealing the model.
    Commit {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long, default_value = "commitment.json")]
        out: PathBuf,
    },
    /// Recompute the commitment of a revealed model (same quantization settings) and compare;
    /// exit code 0 only when it equals HASH.
    RevealCheck {
        #[command(flatten)]
        model: ModelArgs,
        /// The committed model hash (hex).
        #[arg(long)]
        hash: String,
    },
    /// Proving cost against native cost per kind of layer work, and for an MLP family.
    Bench(bench::BenchArgs),
    /// Write DIR/Verifier.sol, a Solidity verifier for DIR/vk.bin (a KZG key), and compile it
    /// with solc 0.8.19 (tools/solc: solc-js, optimizer off) into DIR/Verifier.bin.
    CreateEvmVerifier {
        #[arg(long)]
        dir: PathBuf,
        /// Verifying key (default: DIR/vk.bin).
        #[arg(long)]
        vk: Option<PathBuf>,
        /// The KZG SRS file the key was made with, when it is not in the cache yet.
        #[arg(long)]
        srs: Option<PathBuf>,
        /// A compiled model (KZG backend): when DIR has no keys for it, run setup into DIR first.
        #[arg(long)]
        compiled: Option<PathBuf>,
        /// auto (keyed where it applies, else snark), keyed (zkinfer's verifier + a key
        /// contract, VerifierKey.bin), or snark (snark-verifier's straight-line contract).
        #[arg(long, default_value = "auto")]
        verifier: zkinfer::evm::VerifierKind,
    },
    /// Run the compiled verifier contract on a KZG proof in an in-process EVM (revm); writes
    /// the calldata beside the proof (calldata.bin); exit code 0 only when the contract accepts.
    VerifyEvm {
        #[arg(long)]
        proof: PathBuf,
        /// Verifying key (default: vk.bin beside the proof).
        #[arg(long)]
        vk: Option<PathBuf>,
        /// Creation bytecode, hex (default: Verifier.bin beside the proof). It must be the
        /// contract zkinfer generates from the key (checked by regenerating it).
        #[arg(long)]
        verifier: Option<PathBuf>,
        /// Reject unless the key has this model identity (what `zkinfer commit` prints).
        #[arg(long, visible_alias = "identity")]
        model_hash: Option<String>,
        /// Accept keys made with the insecure fixed-seed KZG SRS (tests and demos only).
        #[arg(long)]
        allow_insecure_srs: bool,
        /// The kind create-evm-verifier made: snark, keyed, or auto (the kind Verifier.json
        /// beside the contract names, else as create-evm-verifier's auto).
        #[arg(long = "kind", default_value = "auto")]
        kind: zkinfer::evm::VerifierKind,
    },
    /// Write what the browser verifier (web/) needs beside a proof: params.bin, the verifier
    /// parameters in compact form (proof.json and vk.bin are already there).
    ExportWeb {
        #[arg(long)]
        proof: PathBuf,
        /// Verifying key (default: vk.bin beside the proof).
        #[arg(long)]
        vk: Option<PathBuf>,
    },
}

/// Options that choose a model and how it is compiled. Either `--model M.onnx` (or `--mlp`)
/// with compile options, or `--compiled C` (a `compiled.json` from `zkinfer compile`, or its
/// directory), which fixes them all.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// The ONNX model (external data files, e.g. model.onnx.data, are read from its directory).
    #[arg(long, required_unless_present_any = ["compiled", "mlp"])]
    pub model: Option<PathBuf>,
    /// A compiled model: DIR/compiled.json from `zkinfer compile --out DIR` (or DIR itself).
    /// It fixes the quantization, calibration and circuit settings.
    #[arg(long, conflicts_with_all = ["model", "mlp", "calibration", "input_range", "bits", "weight_bits", "width",
        "weights", "input_visibility", "output_visibility", "target"])]
    pub compiled: Option<PathBuf>,
    /// Instead of an ONNX file, the synthetic MLP of `zkinfer bench` with these layer widths,
    /// e.g. `64,512,512,10` (seeded random weights, see --seed).
    #[arg(long, value_delimiter = ',', conflicts_with = "model")]
    pub mlp: Vec<usize>,
    /// Seed of the --mlp weights.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Calibration samples (EZKL format: one list per sample, or all samples concatenated in
    /// one list). Default: calibration.json beside the model, else the --input-range default.
    /// Never the proved input.
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Without calibration data: calibrate on 32 deterministic inputs in [LO, HI] (the two
    /// constant inputs LO and HI, then uniform values from a fixed seed). Default -1,1.
    #[arg(long, value_name = "LO,HI", conflicts_with = "calibration", allow_hyphen_values = true, value_parser = parse_range)]
    pub input_range: Option<(f32, f32)>,
    /// Activation bits (lookup tables have 2^bits rows).
    #[arg(long, default_value_t = QuantConfig::default().bits)]
    pub bits: u32,
    /// Signed bits of the largest weight of each layer.
    #[arg(long, default_value_t = QuantConfig::default().weight_bits)]
    pub weight_bits: u32,
    /// Multiply-accumulates per row of the dot-product gate (default: chosen per model for the
    /// lowest estimated proving cost, see `pipeline::auto_params_for`).
    #[arg(long)]
    pub width: Option<usize>,
    /// What the automatic shape (no --width) is chosen for: `prove` (the lowest estimated
    /// proving cost, the default) or `evm` (the lowest estimated gas of an on-chain verify:
    /// fewer, longer columns; `inspect` shows the estimate). Part of the compiled settings.
    #[arg(long, default_value = "prove")]
    pub target: Target,
    /// Weights: `fixed` (in the verifying key; the default) or `hashed` (private; their
    /// Poseidon commitment is a public input; the default of `commit` and `reveal-check`).
    #[arg(long)]
    pub weights: Option<WeightVisibility>,
    /// Input: `public` (its values are public inputs), `hashed` (only its Poseidon hash) or
    /// `private`.
    #[arg(long, default_value = "public")]
    pub input_visibility: TensorVisibility,
    /// Output: `public`, `hashed` or `private`.
    #[arg(long, default_value = "public")]
    pub output_visibility: TensorVisibility,
    /// Inferences per proof (default 1; `prove` takes it from the input file: one list per
    /// sample, or EZKL's flat layout of N x input size). Part of the compiled settings.
    #[arg(long)]
    pub batch: Option<usize>,
    /// Commitment backend (default ipa; with --compiled, the compiled model's).
    #[arg(long)]
    pub backend: Option<Backend>,
    /// Where IPA parameters are cached (default: $ZKINFER_CACHE or ~/.cache/zkinfer).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// KZG only: an SRS file in halo2's ParamsKZG format (a powers-of-tau ceremony, as EZKL
    /// uses); default: an INSECURE SRS from a fixed public seed, for tests and demos.
    #[arg(long)]
    pub srs: Option<PathBuf>,
    /// The SHA-256 (hex) the --srs file must have.
    #[arg(long, requires = "srs")]
    pub srs_sha256: Option<String>,
}

fn parse_range(s: &str) -> Result<(f32, f32), String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [lo, hi] = parts.as_slice() else { return Err(format!("expected LO,HI, got {s:?}")) };
    let num = |v: &str| v.parse::<f32>().map_err(|e| format!("{v:?}: {e}"));
    let (lo, hi) = (num(lo)?, num(hi)?);
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(format!("need finite LO < HI, got [{lo}, {hi}]"));
    }
    Ok((lo, hi))
}

impl ModelArgs {
    /// The library's options for these arguments (`zkinfer::verbs`).
    pub fn options(&self) -> ModelOptions {
        ModelOptions {
            model: self.model.clone(),
            compiled: self.compiled.clone(),
            mlp: self.mlp.clone(),
            seed: self.seed,
            calibration: self.calibration.clone(),
            input_range: self.input_range,
            bits: self.bits,
            weight_bits: self.weight_bits,
            width: self.width,
            target: self.target,
            weights: self.weights,
            input_visibility: self.input_visibility,
            output_visibility: self.output_visibility,
            batch: self.batch,
            backend: self.backend,
            cache: self.cache.clone(),
            srs: self.srs.clone(),
            srs_sha256: self.srs_sha256.clone(),
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Inspect(m) => inspect::inspect(&m, cli.json),
        Command::Accuracy { model, data, layers } => inspect::accuracy(&model, &data, layers, cli.json),
        Command::Compile { model, out } => prove::compile(&model, &out, cli.json),
        Command::Estimate(m) => estimate::estimate(&m, cli.json),
        Command::Setup { model, out } => prove::setup(&model, &out, cli.json),
        Command::Prove { model, input, out, profile } => prove::prove(&model, &input, &out, cli.json, profile),
        Command::Verify { proof, vk, model_hash, allow_insecure_srs } => {
            verify::verify(&proof, vk.as_deref(), model_hash.as_deref(), allow_insecure_srs, cli.json)
        }
        Command::Params { k, backend, cache } => verify::params(k, backend, cache.as_deref(), cli.json),
        Command::Commit { model, out } => commit::commit(&model, &out, cli.json),
        Command::RevealCheck { model, hash } => commit::reveal_check(&model, &hash, cli.json),
        Command::Bench(a) => bench::bench(&a, cli.json),
        Command::CreateEvmVerifier { dir, vk, srs, compiled, verifier } => {
            evm::create(&dir, vk.as_deref(), srs.as_deref(), compiled.as_deref(), verifier, cli.json)
        }
        Command::VerifyEvm { proof, vk, verifier, model_hash, allow_insecure_srs, kind } => {
            evm::verify(&proof, vk.as_deref(), verifier.as_deref(), model_hash.as_deref(), allow_insecure_srs, kind, cli.json)
        }
        Command::ExportWeb { proof, vk } => web::export(&proof, vk.as_deref(), cli.json),
    }
}

/// A `--json` report on stdout.
fn print_json<T: serde::Serialize>(report: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(report)?);
    Ok(())
}
