//! Argument parsing and dispatch.
mod bench;
mod commit;
mod evm;
mod inspect;
mod progress;
mod prove;
mod verify;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use zkinfer::circuits::{TensorVisibility, Visibility, WeightVisibility};
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
    /// Multiply-accumulates per row of the dot-product gate (default: chosen per model for the
    /// lowest estimated proving cost, see `pipeline::auto_width`).
    #[arg(long)]
    pub width: Option<usize>,
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
    /// Commitment backend.
    #[arg(long, default_value = "ipa")]
    pub backend: Backend,
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

impl ModelArgs {
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.quant.bits = self.bits;
        s.quant.weight_bits = self.weight_bits;
        if let Some(w) = self.width {
            s.circuit.width = w;
        }
        s.backend = self.backend;
        s.circuit.batch = self.batch.unwrap_or(1);
        s.with_visibility(self.visibility())
    }
    pub fn visibility(&self) -> Visibility {
        Visibility {
            input: self.input_visibility,
            output: self.output_visibility,
            weights: self.weights.unwrap_or(WeightVisibility::Fixed),
        }
    }
    /// Settings with the automatic width resolved for the prepared model.
    pub fn settings_for(&self, p: &zkinfer::pipeline::Prepared) -> anyhow::Result<Settings> {
        self.settings_for_batch(p, self.batch.unwrap_or(1))
    }
    /// [`ModelArgs::settings_for`] for a batch of `n` inferences per proof.
    pub fn settings_for_batch(&self, p: &zkinfer::pipeline::Prepared, n: usize) -> anyhow::Result<Settings> {
        let mut s = self.settings();
        s.circuit.batch = n;
        if self.width.is_none() {
            s.circuit.width = zkinfer::pipeline::auto_width_for(p, &s.circuit)?;
        }
        Ok(s)
    }
    pub fn cache(&self) -> zkinfer::prover::ParamsCache {
        let cache = match &self.cache {
            Some(d) => zkinfer::prover::ParamsCache::new(d),
            None => zkinfer::prover::ParamsCache::default(),
        };
        match &self.srs {
            Some(path) => cache.with_srs(zkinfer::prover::SrsFile { path: path.clone(), sha256: self.srs_sha256.clone() }),
            None => cache,
        }
    }
    /// `--srs` only means something for KZG; KZG without it uses the insecure SRS: say so.
    fn check_backend_options(&self) -> anyhow::Result<()> {
        match (self.backend, &self.srs) {
            (Backend::Ipa, Some(_)) => anyhow::bail!("--srs is a KZG option: add --backend kzg (IPA needs no SRS)"),
            (Backend::Kzg, None) => evm::warn_insecure_srs(),
            _ => {}
        }
        Ok(())
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Inspect(m) => inspect::inspect(&m, cli.json),
        Command::Accuracy { model, data } => inspect::accuracy(&model, &data, cli.json),
        Command::Setup { model, out } => {
            model.check_backend_options()?;
            prove::setup(&model, &out, cli.json)
        }
        Command::Prove { model, input, out } => {
            model.check_backend_options()?;
            prove::prove(&model, &input, &out, cli.json)
        }
        Command::Verify { proof, vk, model_hash, allow_insecure_srs } => {
            verify::verify(&proof, vk.as_deref(), model_hash.as_deref(), allow_insecure_srs, cli.json)
        }
        Command::Params { k, backend, cache } => verify::params(k, backend, cache.as_deref(), cli.json),
        Command::Commit { model, out } => commit::commit(&model, &out, cli.json),
        Command::RevealCheck { model, hash } => commit::reveal_check(&model, &hash, cli.json),
        Command::Bench(a) => bench::bench(&a, cli.json),
        Command::CreateEvmVerifier { dir, vk, srs } => evm::create(&dir, vk.as_deref(), srs.as_deref(), cli.json),
        Command::VerifyEvm { proof, vk, verifier, model_hash, allow_insecure_srs } => {
            evm::verify(&proof, vk.as_deref(), verifier.as_deref(), model_hash.as_deref(), allow_insecure_srs, cli.json)
        }
    }
}
