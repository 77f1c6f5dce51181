//! The steps behind `zkinfer setup | prove | verify`, shared by the CLI and the tests.
//!
//! A proof directory holds `settings.json` (what was compiled, with which settings, and the
//! circuit size), `vk.bin` (the verifying key with its header), `pk.bin` (the proving key) and
//! `proof.json`. `prove` reuses the keys when `settings.json` names the same model hash and
//! settings, and runs setup otherwise.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use halo2_proofs::halo2curves::bn256::Fr;
use zkinfer_circuits::{
    commit as commitment, ir::CircuitModel, poseidon, CircuitParams, CircuitSpec, ModelCircuit, TensorVisibility,
    Visibility, WeightVisibility,
};
use zkinfer_models::{
    data::{Dataset, DEFAULT_INPUT_RANGE},
    Graph, QuantConfig, QuantModel,
};
use zkinfer_prover::{Backend, Keys, ParamsCache, ProverError, ProverParams};
use zkinfer_verifier::{ProofFile, PublicTensor, VkFile, VkHeader, FORMAT_VERSION};

use crate::report::Timings;
pub use crate::target::Target;
use crate::target::{evm_gas, EVM_WIDTHS};
use zkinfer_circuits::layout::MIN_WIDTH;

/// Errors of the pipeline: every lower-level error, plus file problems with their path.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Model(#[from] zkinfer_models::ModelError),
    #[error(transparent)]
    Circuit(#[from] zkinfer_circuits::CircuitError),
    #[error(transparent)]
    Prover(#[from] ProverError),
    #[error(transparent)]
    Verify(#[from] zkinfer_verifier::VerifyError),
    #[error(transparent)]
    Evm(#[from] zkinfer_verifier::evm::EvmError),
    #[error(transparent)]
    Compiled(#[from] crate::compiled::CompiledError),
    #[error(transparent)]
    Estimate(#[from] crate::estimate::EstimateError),
    #[error("cannot {action} {path}: {reason}")]
    File { action: &'static str, path: PathBuf, reason: String },
    /// An error about the input named `what` (a file's path, or how the caller named it).
    #[error("{what}: {error}")]
    Input { what: String, error: Box<PipelineError> },
    #[error("{0}")]
    Usage(String),
}

pub type Result<T> = std::result::Result<T, PipelineError>;

fn file_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> PipelineError + 'a {
    move |e| PipelineError::File { action, path: path.to_path_buf(), reason: e.to_string() }
}

/// Settings that decide the compiled circuit (all of them end up in `settings.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub quant: QuantConfig,
    pub circuit: CircuitParams,
    pub backend: Backend,
    /// What an automatic circuit shape is chosen for ([`auto_params_for`]).
    #[serde(default)]
    pub target: Target,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { quant: QuantConfig::default(), circuit: CircuitParams::default(), backend: Backend::Ipa, target: Target::default() }
    }
}

impl Settings {
    /// Sets what the proof reveals. Hashed weights are packed in limbs of the quantizer's
    /// weight bits, so set `quant.weight_bits` first.
    pub fn with_visibility(mut self, v: Visibility) -> Self {
        self.circuit.visibility = v;
        self.circuit.weight_bits = if v.weights == WeightVisibility::Hashed { self.quant.weight_bits } else { 0 };
        self
    }

    fn check(&self) -> Result<()> {
        let c = &self.circuit;
        if c.visibility.weights == WeightVisibility::Hashed && c.weight_bits != self.quant.weight_bits {
            return Err(PipelineError::Usage(format!(
                "hashed weights are packed in {}-bit limbs but the quantizer uses {}-bit weights (use Settings::with_visibility)",
                c.weight_bits, self.quant.weight_bits
            )));
        }
        Ok(())
    }
}

/// A model loaded, calibrated, quantized and lowered to the circuit IR.
pub struct Prepared {
    /// The float graph: only accuracy and the native benchmark read it, so a model read back
    /// from `compiled.json` loads it from its ONNX file on first use ([`Prepared::graph`]);
    /// setup and proving never parse the ONNX file again (nor pay tract's memory).
    pub graph: FloatGraph,
    pub quant: QuantModel,
    pub circuit: Arc<CircuitModel>,
    pub hash: [u8; 32],
    pub calibration: Calibration,
}

/// A float graph, at hand or loaded from its ONNX file when first asked for.
pub struct FloatGraph {
    loaded: std::sync::OnceLock<Graph>,
    onnx: Option<PathBuf>,
}

impl FloatGraph {
    /// A graph at hand.
    pub fn of(graph: Graph) -> FloatGraph {
        let loaded = std::sync::OnceLock::new();
        let _ = loaded.set(graph);
        FloatGraph { loaded, onnx: None }
    }

    /// The graph of the ONNX file at `path`, loaded (and simplified) on first use.
    pub fn deferred(path: PathBuf) -> FloatGraph {
        FloatGraph { loaded: std::sync::OnceLock::new(), onnx: Some(path) }
    }

    /// Whether the graph is in memory (it is, unless deferred and never asked for).
    pub fn is_loaded(&self) -> bool {
        self.loaded.get().is_some()
    }

    /// The graph, loading it from the ONNX file the first time.
    pub fn get(&self) -> Result<&Graph> {
        if let Some(g) = self.loaded.get() {
            return Ok(g);
        }
        let path = self.onnx.as_ref().ok_or_else(|| PipelineError::Usage("a float graph with neither a graph nor a file".into()))?;
        let g = zkinfer_models::simplify::simplify(zkinfer_models::load_onnx(path)?)?;
        Ok(self.loaded.get_or_init(|| g))
    }
}

/// What a model was calibrated on. In JSON a file is its path (a string, as before), the
/// default an object `{"input_range": [lo, hi], "samples": n}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Calibration {
    /// Samples from a file in EZKL's format (one list per sample, or a flat concatenation).
    File(PathBuf),
    /// No calibration data: [`Dataset::from_range`]'s deterministic samples from a declared
    /// input range (`--input-range LO,HI`, default [`DEFAULT_INPUT_RANGE`]).
    Range { input_range: [f32; 2], samples: usize },
}

// The range is checked finite with lo < hi before use, so equality is an equivalence.
impl Eq for Calibration {}

impl Calibration {
    /// The default: [`DEFAULT_INPUT_RANGE`].
    pub fn default_range() -> Calibration {
        Calibration::range(DEFAULT_INPUT_RANGE.0, DEFAULT_INPUT_RANGE.1)
    }
    pub fn range(lo: f32, hi: f32) -> Calibration {
        Calibration::Range { input_range: [lo, hi], samples: zkinfer_models::data::RANGE_SAMPLES }
    }
    /// Whether this is the default calibration (no calibration data).
    pub fn is_range(&self) -> bool {
        matches!(self, Calibration::Range { .. })
    }
    /// The calibration samples for a model whose input has `input_len` values.
    pub fn dataset(&self, input_len: usize) -> Result<Dataset> {
        Ok(match self {
            Calibration::File(path) => Dataset::load(path)?,
            Calibration::Range { input_range: [lo, hi], .. } => Dataset::from_range(input_len, *lo, *hi)?,
        })
    }
}

impl std::fmt::Display for Calibration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Calibration::File(p) => write!(f, "{}", p.display()),
            Calibration::Range { input_range: [lo, hi], samples } => write!(
                f,
                "default, no calibration data: {samples} deterministic inputs in the range [{lo}, {hi}] (--input-range; pass --calibration FILE for real data)"
            ),
        }
    }
}

/// The calibration to use: the given file, else (without a declared `range`) `calibration.json`
/// beside the model, else the input range `range` (default [`DEFAULT_INPUT_RANGE`]). Never the
/// proved input: a model's identity must not depend on what it is proved on.
pub fn resolve_calibration(model: &Path, given: Option<&Path>, range: Option<(f32, f32)>) -> Calibration {
    if let Some(g) = given {
        return Calibration::File(g.to_path_buf());
    }
    if let Some((lo, hi)) = range {
        return Calibration::range(lo, hi);
    }
    let beside = model.parent().unwrap_or(Path::new(".")).join("calibration.json");
    if beside.is_file() {
        return Calibration::File(beside);
    }
    Calibration::default_range()
}

impl From<&Path> for Calibration {
    fn from(p: &Path) -> Self {
        Calibration::File(p.to_path_buf())
    }
}

impl From<&PathBuf> for Calibration {
    fn from(p: &PathBuf) -> Self {
        Calibration::File(p.clone())
    }
}

impl From<&Calibration> for Calibration {
    fn from(c: &Calibration) -> Self {
        c.clone()
    }
}

/// Load `model`, calibrate it on `calibration` (a [`Calibration`], or a file's path), quantize
/// it with `quant` and lower it.
pub fn prepare(model: &Path, calibration: impl Into<Calibration>, quant: &QuantConfig) -> Result<Prepared> {
    let graph = zkinfer_models::simplify::simplify(zkinfer_models::load_onnx(model)?)?;
    prepare_graph(graph, &calibration.into(), quant)
}

/// [`prepare`] for a graph already loaded.
pub fn prepare_graph(graph: Graph, calibration: &Calibration, quant: &QuantConfig) -> Result<Prepared> {
    let data = calibration.dataset(graph.input_shape.iter().product())?;
    let qm = zkinfer_models::quantize_graph(&graph, &data, quant)?;
    Ok(prepared_from(graph, qm, calibration.clone()))
}

/// A [`Prepared`] for an already quantized model (lowered here).
pub fn prepared_from(graph: impl Into<FloatGraph>, quant: QuantModel, calibration: Calibration) -> Prepared {
    let circuit = Arc::new(zkinfer_prover::lower(&quant));
    Prepared { hash: quant.hash(), graph: graph.into(), quant, circuit, calibration }
}

impl From<Graph> for FloatGraph {
    fn from(g: Graph) -> Self {
        FloatGraph::of(g)
    }
}

/// `settings.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SettingsFile {
    pub format: u32,
    pub model_hash: String,
    pub settings: Settings,
    pub k: u32,
    pub rows: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookups: usize,
    pub calibration: Calibration,
}

/// What `setup` produced.
pub struct SetupOutput {
    pub spec: CircuitSpec,
    pub params: ProverParams,
    pub keys: Keys,
    pub vk: VkFile,
    pub reused: bool,
}

/// Dot widths the automatic choice considers. Wider rows make large layers shorter (smaller
/// k) but add advice commitments to every proof; beyond 32 the proof and an EVM verifier grow
/// faster than proving time falls.
pub const AUTO_WIDTHS: [usize; 4] = [4, 8, 16, 32];

/// `base` with the chips `p`'s model needs switched on: the Freivalds chip for products of two
/// activations, the softmax division chip (each configures columns only when on, so a model
/// without them keeps its circuit).
pub fn with_model_chips(p: &Prepared, base: &CircuitParams) -> CircuitParams {
    CircuitParams {
        products: base.products || p.circuit.has_products(),
        softmax: base.softmax || p.circuit.has_softmax(),
        ..*base
    }
}

/// The dot width and outputs per dot row for the circuit parameters `base` (its visibility
/// and batch), chosen for `target`. [`Target::Prove`]: the lowest estimated proving cost (see
/// [`shape_cost`]) over every width of [`AUTO_WIDTHS`] with one output per row (and the
/// narrowest, [`MIN_WIDTH`], for a single inference with the default visibility and neither
/// softmax nor products of activations, whose chips need width 4), and, where
/// `base` allows several (a single inference, default visibility), the shapes of
/// [`AUTO_MULTI`]. [`Target::Evm`]: the lowest estimated verify gas
/// ([`crate::target::evm_gas`]) over [`EVM_WIDTHS`], one output per row, ties to the lower
/// proving cost, each also with merged lookups (`CircuitParams::merged_lookups`: one lookup
/// argument and two table columns fewer, longer layouts and tables). Each shape with and
/// without an identity table (`CircuitParams::identity_table`), and, for [`Target::Evm`], in
/// the compact column set (`CircuitParams::compact`) where the model allows it.
pub fn auto_params_for(p: &Prepared, base: &CircuitParams, target: Target) -> Result<CircuitParams> {
    let base = &with_model_chips(p, base);
    let multi = base.batch == 1 && base.visibility == Visibility::default();
    let shapes: Vec<(usize, usize)> = match target {
        Target::Prove => std::iter::once((MIN_WIDTH, 1))
            .filter(|_| multi && !base.softmax && !base.products)
            .chain(AUTO_WIDTHS.iter().map(|&w| (w, 1)))
            .chain(AUTO_MULTI.iter().copied().filter(|_| multi))
            .collect(),
        Target::Evm => EVM_WIDTHS.iter().map(|&w| (w, 1)).collect(),
    };
    let mut best: Option<((u64, f64), CircuitParams)> = None;
    // Each shape with identity requants range-checked (two rows, no identity table: the
    // smaller tables) and looked up (one row, a table of 2^bits rows more); ties keep the
    // range check. The `evm` target ranks by estimated gas first, then proving cost.
    let merges: &[bool] = match target {
        Target::Prove => &[false],
        Target::Evm => &[false, true],
    };
    for (width, outputs) in shapes {
        let mut candidates: Vec<CircuitParams> = [false, true]
            .into_iter()
            .flat_map(|identity_table| merges.iter().map(move |&merged_lookups| (identity_table, merged_lookups)))
            .map(|(identity_table, merged_lookups)| CircuitParams { width, outputs, identity_table, merged_lookups, ..*base })
            .collect();
        // The `evm` target also tries the compact column set where the model allows it.
        let compact = CircuitParams { width, outputs, identity_table: true, merged_lookups: true, compact: true, ..*base };
        if target == Target::Evm && compact.check().is_ok() && compact.check_model(&p.circuit).is_ok() {
            candidates.push(compact);
        }
        for params in candidates {
            let spec = CircuitSpec::compile_params(&p.circuit, &params)?;
            let gas = match target {
                Target::Prove => 0,
                Target::Evm => evm_gas(&spec.verifier_shape()),
            };
            let cost = (gas, shape_cost(&spec));
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, params));
            }
        }
    }
    Ok(best.map(|(_, p)| p).unwrap_or(*base))
}

/// Shapes `(width, outputs)` with several outputs per dot row that [`auto_params_for`] tries.
/// `(16, 8)` (128 MACs per row) takes large dense layers one `k` lower than `(8, 8)`: fewer
/// rows of the fixed weight columns' coset FFTs per prove (BENCHMARKS.md, change 6).
pub const AUTO_MULTI: [(usize, usize); 7] = [(4, 2), (4, 4), (8, 2), (8, 4), (8, 8), (16, 4), (16, 8)];

/// Estimated proving cost of a circuit: `2^k` times a weighted count of its columns, with
/// weights set from the structure of `zkinfer prove --profile` (BENCHMARKS.md; not fitted): an advice column
/// costs a commitment, an inverse FFT and its coset FFTs; a fixed column only its coset FFTs;
/// an equality-enabled column its permutation polynomial's coset FFTs and a share of a grand
/// product; the constant stands for the lookups, the quotient and the opening.
pub fn shape_cost(spec: &CircuitSpec) -> f64 {
    let advice = spec.advice_columns as f64;
    let fixed = (spec.fixed_columns + spec.selectors) as f64;
    // Every advice column is equality-enabled (the instance and the constants are bound by
    // gates: `circuits/src/chips/public.rs`, `constants.rs`).
    let equality = advice;
    (1u64 << spec.k) as f64 * (COST_ADVICE * advice + COST_FIXED * fixed + COST_EQUALITY * equality + COST_BASE)
}

/// Weights of [`shape_cost`], per column and `2^k` rows, relative to an advice column.
pub const COST_ADVICE: f64 = 1.0;
pub const COST_FIXED: f64 = 0.25;
pub const COST_EQUALITY: f64 = 0.35;
pub const COST_BASE: f64 = 30.0;

/// The older width-only choice, still used by `bench --batch` (one output per row): the dot
/// width with the lowest estimated proving cost `2^k * (advice columns + 48)` for the circuit
/// parameters `base`; ties go to the narrower width. The constant 48 stands for the per-row
/// work that does not grow with the width (lookups, permutation, quotient), fitted to prove
/// times of a 64-512-512-10 MLP at widths 8..128 and the zoo MLP. Compiling and proving use
/// [`auto_params_for`].
pub fn auto_width_for(p: &Prepared, base: &CircuitParams) -> Result<usize> {
    let mut best: Option<(u128, usize)> = None;
    for w in AUTO_WIDTHS {
        let spec = CircuitSpec::compile_params(&p.circuit, &CircuitParams { width: w, ..with_model_chips(p, base) })?;
        let cost = (1u128 << spec.k) * (spec.advice_columns as u128 + 48);
        if best.is_none_or(|(c, _)| cost < c) {
            best = Some((cost, w));
        }
    }
    Ok(best.map(|(_, w)| w).unwrap_or(CircuitParams::default().width))
}

pub fn compile(p: &Prepared, settings: &Settings) -> Result<CircuitSpec> {
    settings.check()?;
    Ok(CircuitSpec::compile_params(&p.circuit, &settings.circuit)?)
}

/// The Poseidon model commitment of `p` (hex): what proofs with hashed weights expose, and what
/// `zkinfer commit` prints. It depends on the weights, the architecture and the quantization
/// settings (through the quantized model), not on the circuit width.
pub fn model_commitment(p: &Prepared, settings: &Settings) -> Result<String> {
    let h: Fr = commitment::model_commitment(&p.circuit, settings.quant.weight_bits)?;
    Ok(poseidon::to_hex(&h))
}

/// The architecture digest (hex) that a hashed-weights verifying key names.
pub fn architecture_digest(p: &Prepared, settings: &Settings) -> String {
    hex::encode(commitment::arch_digest(&p.circuit, settings.quant.weight_bits))
}

/// `commitment.json`: what `zkinfer commit` stores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentFile {
    pub format: u32,
    /// The model identity (see `zkinfer_verifier::identity`): the key digest with fixed
    /// weights, `COMMITMENT:KEYDIGEST` with hashed weights. What `verify --model-hash` takes.
    pub identity: String,
    /// Hashed weights: the Poseidon weights commitment (64 hex digits); fixed weights: the
    /// SHA-256 of the quantized model.
    pub model_hash: String,
    /// SHA-256 of the architecture the weights are used in (public anyway: the verifying key
    /// has the same structure).
    pub architecture: String,
    /// The settings the identity depends on; `reveal-check` and `prove` need the same.
    pub settings: Settings,
    pub k: u32,
    pub calibration: Calibration,
}

/// The commitment record of `p` under `settings`: generates the keys (in a temporary
/// directory; keygen is deterministic, so `prove` with the same settings makes the same key)
/// to derive the identity from them.
pub fn commit(p: &Prepared, settings: &Settings, cache: &ParamsCache, t: &mut Timings) -> Result<CommitmentFile> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("zkinfer-commit-{}-{nanos}", std::process::id()));
    let out = setup(p, settings, &dir, cache, false, t, &|_| {});
    let _ = std::fs::remove_dir_all(&dir);
    let out = out?;
    let identity = identity_of_setup(p, settings, &out)?;
    Ok(CommitmentFile {
        format: FORMAT_VERSION,
        identity: identity.to_string(),
        model_hash: match settings.circuit.visibility.weights {
            WeightVisibility::Fixed => hex::encode(p.hash),
            WeightVisibility::Hashed => model_commitment(p, settings)?,
        },
        architecture: architecture_digest(p, settings),
        settings: settings.clone(),
        k: out.spec.k,
        calibration: p.calibration.clone(),
    })
}

/// Whether two model hashes are the same (case and a `0x` prefix ignored).
pub fn same_hash(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().trim_start_matches("0x").to_ascii_lowercase();
    norm(a) == norm(b)
}

/// The public shape of a tensor of shape `shape` in a batch of `n`: `shape` itself for one
/// inference (so single-inference files are unchanged), `[n, shape..]` for a batch.
pub fn batch_shape(shape: &[usize], n: usize) -> Vec<usize> {
    match n {
        1 => shape.to_vec(),
        n => std::iter::once(n).chain(shape.iter().copied()).collect(),
    }
}

/// The samples of an input file for a model with input shape `shape`: one list per sample,
/// or EZKL's flat layout (one list of `N × size` values) split into `N` samples. A sample of
/// any other length is one error naming it and the expected count.
pub fn batch_samples(data: &Dataset, shape: &[usize]) -> Result<Vec<Vec<f32>>> {
    let size: usize = shape.iter().product();
    if let [flat] = data.samples.as_slice() {
        if size > 0 && flat.len() > size && flat.len() % size == 0 {
            return Ok(flat.chunks(size).map(<[f32]>::to_vec).collect());
        }
    }
    data.check_shape(shape)?;
    Ok(data.samples.clone())
}

fn vk_header(p: &Prepared, settings: &Settings, k: u32) -> VkHeader {
    let n = settings.circuit.batch;
    VkHeader {
        format: FORMAT_VERSION,
        backend: settings.backend,
        k,
        model_hash: match settings.circuit.visibility.weights {
            WeightVisibility::Fixed => hex::encode(p.hash),
            WeightVisibility::Hashed => architecture_digest(p, settings),
        },
        circuit: settings.circuit,
        bits: p.quant.config.bits,
        input_shape: batch_shape(&p.quant.input_shape, n),
        input_scale: p.quant.input_scale,
        output_shape: batch_shape(p.quant.output_shape(), n),
        output_scale: p.quant.output_scale(),
        srs: None,
    }
}

fn read_settings(dir: &Path) -> Option<SettingsFile> {
    let text = std::fs::read_to_string(dir.join("settings.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Compile, fetch params, generate keys and write `settings.json`, `vk.bin`, `pk.bin` in `dir`.
/// With `reuse`, keys already in `dir` for the same model hash and settings are loaded instead.
pub fn setup(
    p: &Prepared,
    settings: &Settings,
    dir: &Path,
    cache: &ParamsCache,
    reuse: bool,
    t: &mut Timings,
    progress: &dyn Fn(&str),
) -> Result<SetupOutput> {
    let spec = t.time("compile", || compile(p, settings))?;
    std::fs::create_dir_all(dir).map_err(file_err("create", dir))?;
    let hash = hex::encode(p.hash);
    let mut header = vk_header(p, settings, spec.k);
    let params = match settings.backend {
        Backend::Ipa => {
            progress(if cache.has_ipa(spec.k) { "loading IPA parameters" } else { "generating IPA parameters (cached for next time)" });
            ProverParams::Ipa(t.time("params", || cache.ipa(spec.k))?)
        }
        Backend::Kzg => {
            progress(match (cache.kzg_is_insecure(), cache.has_kzg(spec.k)) {
                (false, _) => "loading the KZG SRS file",
                (true, true) => "loading the INSECURE test KZG SRS",
                (true, false) => "generating the INSECURE test KZG SRS (cached for next time)",
            });
            let (params, srs) = t.time("params", || cache.kzg(spec.k))?;
            header.srs = Some(srs);
            ProverParams::Kzg(params)
        }
    };
    if reuse {
        if let Some(s) = read_settings(dir) {
            if s.model_hash == hash && s.settings == *settings && s.k == spec.k {
                progress("loading proving key");
                let pk = t.time("load_keys", || zkinfer_prover::read_pk(&dir.join("pk.bin"), settings.circuit));
                let vk_file = std::fs::read(dir.join("vk.bin")).ok().and_then(|b| VkFile::from_bytes(&b).ok());
                if let (Ok(keys), Some(vk)) = (pk, vk_file) {
                    if vk.header == header && vk.key == keys.vk_bytes() {
                        return Ok(SetupOutput { spec, params, keys, vk, reused: true });
                    }
                }
            }
        }
    }
    progress("generating keys");
    let circuit = ModelCircuit::for_keygen(p.circuit.clone(), settings.circuit, p.hash)?;
    let keys = t.time("keygen", || params.keygen(&circuit))?;
    let vk = VkFile { header, key: keys.vk_bytes() };
    zkinfer_prover::write_pk(&keys, &dir.join("pk.bin"))?;
    std::fs::write(dir.join("vk.bin"), vk.to_bytes()).map_err(file_err("write", &dir.join("vk.bin")))?;
    let sf = SettingsFile {
        format: FORMAT_VERSION,
        model_hash: hash,
        settings: settings.clone(),
        k: spec.k,
        rows: spec.rows,
        advice_columns: spec.advice_columns,
        fixed_columns: spec.fixed_columns,
        lookups: spec.lookup_arguments,
        calibration: p.calibration.clone(),
    };
    let path = dir.join("settings.json");
    std::fs::write(&path, serde_json::to_string_pretty(&sf).unwrap_or_default()).map_err(file_err("write", &path))?;
    Ok(SetupOutput { spec, params, keys, vk, reused: false })
}

/// Quantize `input`, run the integer reference, prove, and write `dir/proof.json`.
pub fn prove(
    p: &Prepared,
    settings: &Settings,
    setup: &SetupOutput,
    input: &[f32],
    dir: &Path,
    t: &mut Timings,
    progress: &dyn Fn(&str),
) -> Result<ProofFile> {
    prove_batch(p, settings, setup, &[input.to_vec()], dir, t, progress)
}

/// [`prove`] for a batch: `inputs.len()` must be the compiled batch size
/// (`settings.circuit.batch`); the proof's input and output hold the samples one after the
/// other, with shapes `[N, ..]` (see [`batch_shape`]).
pub fn prove_batch(
    p: &Prepared,
    settings: &Settings,
    setup: &SetupOutput,
    inputs: &[Vec<f32>],
    dir: &Path,
    t: &mut Timings,
    progress: &dyn Fn(&str),
) -> Result<ProofFile> {
    let n = settings.circuit.batch;
    if inputs.len() != n {
        return Err(PipelineError::Usage(format!(
            "{} input samples for a circuit compiled for a batch of {n}",
            inputs.len()
        )));
    }
    let q_inputs = inputs.iter().map(|x| p.quant.quantize_input(x)).collect::<std::result::Result<Vec<_>, _>>()?;
    let reference = t.time("witness", || {
        q_inputs
            .iter()
            .map(|q| p.quant.forward(q).map(|tr| tr.output().iter().copied().collect::<Vec<i64>>()))
            .collect::<std::result::Result<Vec<_>, _>>()
    })?;
    let reference: Vec<i64> = reference.concat();
    let q_input: Vec<i64> = q_inputs.concat();
    let circuit = t.time("circuit", || ModelCircuit::new(p.circuit.clone(), settings.circuit, p.hash, Some(q_input.clone())))?;
    // The public instance: the commitments in the proof file are exactly its values.
    let instance: Vec<Fr> = circuit.instances().unwrap_or_default();
    progress("proving");
    let proved = t.time("prove", || zkinfer_prover::prove(&setup.params, &setup.keys, circuit))?;
    // The phases of `create_proof` (measured from its transcript calls), as `prove/<phase>`.
    t.0.extend(proved.profile.phases.iter().map(|ph| (format!("prove/{}", ph.name), ph.seconds)));
    if proved.output != reference {
        return Err(ProverError::ReferenceMismatch { circuit: proved.output, reference }.into());
    }
    let vis = settings.circuit.visibility;
    let hex_at = |i: usize| instance.get(i).map(poseidon::to_hex);
    let hashed = |v: TensorVisibility, i: usize| if v == TensorVisibility::Hashed { hex_at(i) } else { None };
    let shown = |v: TensorVisibility, values: Vec<i64>| if v == TensorVisibility::Public { values } else { Vec::new() };
    let proof = ProofFile {
        format: FORMAT_VERSION,
        backend: settings.backend,
        k: setup.spec.k,
        model_hash: match vis.weights {
            WeightVisibility::Fixed => hex::encode(p.hash),
            WeightVisibility::Hashed => hex_at(0).unwrap_or_default(),
        },
        input: PublicTensor {
            shape: batch_shape(&p.quant.input_shape, n),
            scale: p.quant.input_scale,
            values: shown(vis.input, q_input),
        },
        output: PublicTensor {
            shape: batch_shape(p.quant.output_shape(), n),
            scale: p.quant.output_scale(),
            values: shown(vis.output, proved.output),
        },
        visibility: vis,
        input_hash: hashed(vis.input, 1),
        output_hash: hashed(vis.output, instance.len().saturating_sub(1)),
        proof: hex::encode(&proved.proof),
    };
    let path = dir.join("proof.json");
    t.time("write", || std::fs::write(&path, proof.to_json())).map_err(file_err("write", &path))?;
    Ok(proof)
}

/// Reads at most `limit` bytes of `path` (a file a verifier is handed may be hostile).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(file_err("read", path))?;
    let mut bytes = Vec::new();
    f.take(limit + 1).read_to_end(&mut bytes).map_err(file_err("read", path))?;
    if bytes.len() as u64 > limit {
        return Err(PipelineError::File { action: "read", path: path.to_path_buf(), reason: format!("larger than {limit} bytes") });
    }
    Ok(bytes)
}

/// Reads and parses a proof file (bounded).
pub fn read_proof_file(path: &Path) -> Result<ProofFile> {
    let bytes = read_bounded(path, zkinfer_verifier::artifact::MAX_PROOF_FILE)?;
    let text = String::from_utf8(bytes).map_err(|e| PipelineError::File { action: "read", path: path.to_path_buf(), reason: e.to_string() })?;
    Ok(ProofFile::from_json(&text)?)
}

/// Reads and parses a verifying key (bounded), and checks its header's bounds before anything
/// else is done with it.
pub fn read_vk_file(path: &Path) -> Result<VkFile> {
    let bytes = read_bounded(path, zkinfer_verifier::artifact::MAX_VK_FILE)?;
    let vk = VkFile::from_bytes(&bytes)?;
    vk.header.check()?;
    Ok(vk)
}

/// The verifying key for a proof: `vk_path`, else `vk.bin` beside the proof.
pub fn vk_path_for(proof_path: &Path, vk_path: Option<&Path>) -> PathBuf {
    match vk_path {
        Some(v) => v.to_path_buf(),
        None => proof_path.parent().unwrap_or(Path::new(".")).join("vk.bin"),
    }
}

/// Read a proof file and its verifying key (`vk` or `vk.bin` beside the proof) and verify
/// under `opts`. Parameters come from the cache only: nothing is generated on this path.
pub fn verify_files(
    proof_path: &Path,
    vk_path: Option<&Path>,
    opts: &zkinfer_verifier::VerifyOptions<'_>,
    cache: &ParamsCache,
) -> Result<zkinfer_verifier::VerifiedOutput> {
    let proof = read_proof_file(proof_path)?;
    let vk = read_vk_file(&vk_path_for(proof_path, vk_path))?;
    // The cheap checks first, so that a bad file is refused before any parameters are read.
    zkinfer_verifier::public_instances(&vk, &proof)?;
    let params = verifier_params(&vk, cache)?;
    Ok(zkinfer_verifier::verify_with(&params, &vk, &proof, opts)?)
}

/// The parameters `vk` was made with, from the cache only (IPA by `k`, KZG by the SRS its
/// header records): a verifier never generates parameters because a file names some `k`.
pub fn verifier_params(vk: &VkFile, cache: &ParamsCache) -> Result<zkinfer_verifier::VerifierParams> {
    let h = &vk.header;
    h.check()?;
    Ok(match h.backend {
        Backend::Ipa => zkinfer_verifier::VerifierParams::Ipa(cache.ipa_cached(h.k)?),
        Backend::Kzg => {
            let srs = h.srs.as_ref().ok_or_else(|| zkinfer_verifier::VerifyError::Malformed {
                what: "verifying key",
                reason: "a KZG key without its SRS record".into(),
            })?;
            zkinfer_verifier::VerifierParams::Kzg(cache.kzg_for_verify(srs, h.k)?)
        }
    })
}

/// The model identity of the key `setup` made (see `zkinfer_verifier::identity`): what
/// `zkinfer commit` publishes and `verify --model-hash` checks.
pub fn identity_of_setup(p: &Prepared, settings: &Settings, setup: &SetupOutput) -> Result<zkinfer_verifier::ModelIdentity> {
    let commitment = match settings.circuit.visibility.weights {
        WeightVisibility::Fixed => None,
        WeightVisibility::Hashed => Some(model_commitment(p, settings)?),
    };
    Ok(zkinfer_verifier::model_identity(&setup.vk, commitment.as_deref())?)
}
