//! Argument parsing and dispatch.
mod inspect;
mod progress;
mod prove;
mod verify;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use zkinfer::models::QuantConfig;
use zkinfer::pipeline::Settings;
use zkinfer::prover::Backend;

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
        /// Labelled data: {"input_data": [[...], ...], "labels": [...]}.
        #[arg(long)]
        data: PathBuf,
    },
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
    },
    /// Verify a proof; exit code 0 only when it is accepted.
    Verify {
        #[arg(long)]
        proof: PathBuf,
        /// Verifying key (default: vk.bin beside the proof).
        #[arg(long)]
        vk: Option<PathBuf>,
        /// Reject unless the proof is for this model hash (hex).
        #[arg(long)]
        model_hash: Option<String>,
    },
}

#[derive(Args, Clone)]
pub struct ModelArgs {
    /// The ONNX model.
    #[arg(long)]
    pub model: PathBuf,
    /// Calibration samples (EZKL format). Default: calibration.json beside the model, else
    /// the input / data file itself.
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Activation bits (lookup tables have 2^bits rows).
    #[arg(long, default_value_t = QuantConfig::default().bits)]
    pub bits: u32,
    /// Signed bits of the largest weight of each layer.
    #[arg(long, default_value_t = QuantConfig::default().weight_bits)]
    pub weight_bits: u32,
    /// Multiply-accumulates per row of the dot-product gate.
    #[arg(long, default_value_t = zkinfer::circuits::CircuitParams::default().width)]
    pub width: usize,
    /// Commitment backend.
    #[arg(long, default_value = "ipa")]
    pub backend: Backend,
    /// Where IPA parameters are cached (default: $ZKINFER_CACHE or ~/.cache/zkinfer).
    #[arg(long)]
    pub cache: Option<PathBuf>,
}

impl ModelArgs {
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.quant.bits = self.bits;
        s.quant.weight_bits = self.weight_bits;
        s.circuit.width = self.width;
        s.backend = self.backend;
        s
    }
    pub fn cache(&self) -> zkinfer::prover::ParamsCache {
        match &self.cache {
            Some(d) => zkinfer::prover::ParamsCache::new(d),
            None => zkinfer::prover::ParamsCache::default(),
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Inspect(m) => inspect::inspect(&m, cli.json),
        Command::Accuracy { model, data } => inspect::accuracy(&model, &data, cli.json),
        Command::Setup { model, out } => prove::setup(&model, &out, cli.json),
        Command::Prove { model, input, out } => prove::prove(&model, &input, &out, cli.json),
        Command::Verify { proof, vk, model_hash } => verify::verify(&proof, vk.as_deref(), model_hash.as_deref(), cli.json),
    }
}
