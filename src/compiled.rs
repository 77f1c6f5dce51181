//! The compiled model: one versioned file, `compiled.json`, that `setup`, `prove`, `commit`,
//! `bench`, `estimate` and `create-evm-verifier` take (`--compiled`).
//!
//! It holds the quantized model (the exact integer specification), the settings it was
//! compiled with, its identity (the model hash, and for hashed weights the Poseidon
//! commitment), the circuit size, and where it came from: the ONNX file and every external
//! data file by path and SHA-256, and the calibration. Compiling is deterministic and never
//! looks at a proved input, so every input proved with one compiled model gets the same
//! identity and the same keys.
//!
//! ```text
//! compiled.json = { format, model_hash, public_hash, source, calibration, auto_width,
//!                   settings, circuit, quant }
//! ```
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zkinfer_circuits::WeightVisibility;
use zkinfer_models::QuantModel;

use crate::pipeline::{self, Calibration, PipelineError, Prepared, Result, Settings};

/// Version of `compiled.json`. A file of another version is refused ([`CompiledError::Format`]).
pub const COMPILED_FORMAT: u32 = 1;
/// The file name `compile` writes into its output directory.
pub const COMPILED_FILE: &str = "compiled.json";

/// Errors reading or using a compiled model.
#[derive(Debug, thiserror::Error)]
pub enum CompiledError {
    #[error("{path}: compiled model format {found}, but this zkinfer reads format {expected}: recompile with `zkinfer compile`")]
    Format { path: PathBuf, found: u32, expected: u32 },
    #[error("{path} was compiled from {file} with SHA-256 {recorded}, but that file now has SHA-256 {found}: recompile with `zkinfer compile`")]
    SourceChanged { path: PathBuf, file: PathBuf, recorded: String, found: String },
    #[error("{path} is not a compiled model: {reason}")]
    Malformed { path: PathBuf, reason: String },
}

/// One file a model was read from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    pub path: PathBuf,
    pub sha256: String,
}

/// Where a compiled model came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// An ONNX file; `files` is the model file, then its external data files.
    Onnx { path: PathBuf, files: Vec<SourceFile> },
    /// The synthetic MLP `widths` of `zkinfer bench` (seeded weights, see `bench::synth::mlp`).
    SyntheticMlp { widths: Vec<usize>, seed: u64 },
}

/// The calibration a compiled model used, with the SHA-256 of its file (none for the default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalibrationRecord {
    pub calibration: Calibration,
    pub sha256: Option<String>,
}

/// The circuit a compiled model gives (the dry-run layout; no key exists yet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitSize {
    pub k: u32,
    pub width: usize,
    pub rows: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub instance_len: usize,
    pub lookups: usize,
    pub table_rows: usize,
}

/// `compiled.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompiledModel {
    pub format: u32,
    /// SHA-256 of the quantized model (hex): the model hash proofs with fixed weights carry.
    pub model_hash: String,
    /// What proofs expose as the model hash: `model_hash` for fixed weights, the Poseidon
    /// commitment of the weights for hashed weights.
    pub public_hash: String,
    pub source: Source,
    pub calibration: CalibrationRecord,
    /// Whether the dot width was chosen automatically (`settings.circuit.width` holds it).
    pub auto_width: bool,
    /// Every setting the circuit depends on. New settings go into [`Settings`] with
    /// `#[serde(default)]`, so older files still read.
    pub settings: Settings,
    pub circuit: CircuitSize,
    pub quant: QuantModel,
}

/// What to compile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompileRequest {
    pub source: SourceSpec,
    pub calibration: Calibration,
    /// `settings.circuit.width` is ignored when `auto_width` is set.
    pub settings: Settings,
    pub auto_width: bool,
}

/// The model to compile (JSON: `{"onnx": "m.onnx"}` or `{"synthetic_mlp": {"widths": [..], "seed": 1}}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceSpec {
    Onnx(PathBuf),
    SyntheticMlp { widths: Vec<usize>, seed: u64 },
}

/// SHA-256 (hex) of a file's contents.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| PipelineError::File { action: "read", path: path.to_path_buf(), reason: e.to_string() })?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

fn source_files(model: &Path) -> Result<Vec<SourceFile>> {
    zkinfer_models::onnx_files(model)?
        .into_iter()
        .map(|path| Ok(SourceFile { sha256: sha256_file(&path)?, path }))
        .collect()
}

fn calibration_record(c: &Calibration) -> Result<CalibrationRecord> {
    let sha256 = match c {
        Calibration::File(p) => Some(sha256_file(p)?),
        Calibration::Range { .. } => None,
    };
    Ok(CalibrationRecord { calibration: c.clone(), sha256 })
}

/// Load, calibrate, quantize and size the circuit: a compiled model and its [`Prepared`] form.
pub fn compile(req: &CompileRequest) -> Result<(CompiledModel, Prepared)> {
    let (source, p) = match &req.source {
        SourceSpec::Onnx(path) => {
            let files = source_files(path)?;
            let p = pipeline::prepare(path, &req.calibration, &req.settings.quant)?;
            (Source::Onnx { path: path.clone(), files }, p)
        }
        SourceSpec::SyntheticMlp { widths, seed } => {
            let graph = crate::bench::synth::mlp(widths, *seed);
            let p = pipeline::prepare_graph(graph, &req.calibration, &req.settings.quant)?;
            (Source::SyntheticMlp { widths: widths.clone(), seed: *seed }, p)
        }
    };
    let mut settings = req.settings.clone();
    // Products of two activations and softmax need their chips' columns.
    settings.circuit = pipeline::with_model_chips(&p, &settings.circuit);
    if req.auto_width {
        settings.circuit = pipeline::auto_params_for(&p, &settings.circuit, settings.target)?;
    }
    let spec = pipeline::compile(&p, &settings)?;
    let public_hash = match settings.circuit.visibility.weights {
        WeightVisibility::Fixed => hex::encode(p.hash),
        WeightVisibility::Hashed => pipeline::model_commitment(&p, &settings)?,
    };
    let compiled = CompiledModel {
        format: COMPILED_FORMAT,
        model_hash: hex::encode(p.hash),
        public_hash,
        source,
        calibration: calibration_record(&req.calibration)?,
        auto_width: req.auto_width,
        circuit: CircuitSize {
            k: spec.k,
            width: settings.circuit.width,
            rows: spec.rows,
            advice_columns: spec.advice_columns,
            fixed_columns: spec.fixed_columns,
            instance_len: spec.instance_len,
            lookups: spec.lookup_arguments,
            table_rows: spec.table_rows,
        },
        settings,
        quant: p.quant.clone(),
    };
    Ok((compiled, p))
}

/// Whether `given` (a `compiled.json` or its directory) is the compiled model file of `dir`.
pub fn same_file(given: &Path, dir: &Path) -> bool {
    let file = |p: &Path| if p.is_dir() { p.join(COMPILED_FILE) } else { p.to_path_buf() };
    match (std::fs::canonicalize(file(given)), std::fs::canonicalize(dir.join(COMPILED_FILE))) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The one field read before the rest, so that another version is named as such.
#[derive(Deserialize)]
struct FormatOnly {
    format: Option<u64>,
}

impl CompiledModel {
    /// Read `path` (a `compiled.json`, or a directory holding one), refusing another format
    /// version and a model whose source files changed since it was compiled.
    pub fn read(path: &Path) -> Result<CompiledModel> {
        let path = if path.is_dir() { path.join(COMPILED_FILE) } else { path.to_path_buf() };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| PipelineError::File { action: "read", path: path.clone(), reason: e.to_string() })?;
        let malformed = |reason: String| CompiledError::Malformed { path: path.clone(), reason };
        // The format first (a scan that builds nothing), then the typed model in one pass.
        let found = serde_json::from_str::<FormatOnly>(&text)
            .map_err(|e| malformed(e.to_string()))?
            .format
            .ok_or_else(|| malformed("no format version".into()))?;
        if found != u64::from(COMPILED_FORMAT) {
            let found = u32::try_from(found).unwrap_or(u32::MAX);
            return Err(CompiledError::Format { path, found, expected: COMPILED_FORMAT }.into());
        }
        let c: CompiledModel = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
        if c.quant.hash_hex() != c.model_hash {
            return Err(malformed(format!("its quantized model hashes to {}, not the recorded {}", c.quant.hash_hex(), c.model_hash)).into());
        }
        c.check_sources(&path)?;
        Ok(c)
    }

    /// Every source file still has the SHA-256 it had when compiled.
    fn check_sources(&self, path: &Path) -> Result<()> {
        if let Source::Onnx { files, .. } = &self.source {
            for f in files {
                let found = sha256_file(&f.path)?;
                if found != f.sha256 {
                    return Err(CompiledError::SourceChanged {
                        path: path.to_path_buf(),
                        file: f.path.clone(),
                        recorded: f.sha256.clone(),
                        found,
                    }
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Write `dir/compiled.json`.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir)
            .map_err(|e| PipelineError::File { action: "create", path: dir.to_path_buf(), reason: e.to_string() })?;
        let path = dir.join(COMPILED_FILE);
        let text = serde_json::to_string(self).map_err(|e| CompiledError::Malformed { path: path.clone(), reason: e.to_string() })?;
        std::fs::write(&path, text).map_err(|e| PipelineError::File { action: "write", path: path.clone(), reason: e.to_string() })?;
        Ok(path)
    }

    /// The model ready for setup and proving: the stored quantized model (not requantized),
    /// with its float graph to be reloaded from the source (checked unchanged by
    /// [`Self::read`]) only if something asks for it (accuracy, the native benchmark).
    pub fn prepared(&self) -> Result<Prepared> {
        let graph = match &self.source {
            Source::Onnx { path, .. } => pipeline::FloatGraph::deferred(path.clone()),
            Source::SyntheticMlp { widths, seed } => crate::bench::synth::mlp(widths, *seed).into(),
        };
        Ok(pipeline::prepared_from(graph, self.quant.clone(), self.calibration.calibration.clone()))
    }

    /// Whether this compiled model answers `req` as it stands now: same source files (by
    /// SHA-256), same calibration (path and contents), same settings.
    pub fn answers(&self, req: &CompileRequest) -> bool {
        let same_source = match (&self.source, &req.source) {
            (Source::Onnx { path, files }, SourceSpec::Onnx(p)) => {
                path == p && source_files(p).map(|now| &now == files).unwrap_or(false)
            }
            (Source::SyntheticMlp { widths, seed }, SourceSpec::SyntheticMlp { widths: w, seed: s }) => widths == w && seed == s,
            _ => false,
        };
        let same_calibration = calibration_record(&req.calibration).map(|c| c == self.calibration).unwrap_or(false);
        let mut wanted = req.settings.clone();
        // The chips the model needs are switched on by `compile`, whatever the request said.
        wanted.circuit.products |= self.settings.circuit.products;
        wanted.circuit.softmax |= self.settings.circuit.softmax;
        if req.auto_width {
            wanted.circuit.width = self.settings.circuit.width;
            wanted.circuit.outputs = self.settings.circuit.outputs;
            wanted.circuit.identity_table = self.settings.circuit.identity_table;
            wanted.circuit.merged_lookups = self.settings.circuit.merged_lookups;
            wanted.circuit.compact = self.settings.circuit.compact;
        }
        same_source && same_calibration && self.auto_width == req.auto_width && wanted == self.settings
    }
}

/// The compiled model in `dir` when it answers `req`, else a fresh compilation written there.
/// Returns whether the one in `dir` was reused: what lets `prove --model M --out DIR` compile
/// once and prove many inputs with the same identity and keys.
pub fn compile_into(req: &CompileRequest, dir: &Path) -> Result<(CompiledModel, Prepared, bool)> {
    if let Ok(c) = CompiledModel::read(dir) {
        if c.answers(req) {
            let p = c.prepared()?;
            return Ok((c, p, true));
        }
    }
    let (c, p) = compile(req)?;
    c.write(dir)?;
    Ok((c, p, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(widths: &[usize]) -> CompileRequest {
        CompileRequest {
            source: SourceSpec::SyntheticMlp { widths: widths.to_vec(), seed: 3 },
            calibration: Calibration::default_range(),
            settings: Settings::default(),
            auto_width: true,
        }
    }

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("zkinfer-compiled-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn compiling_is_deterministic_and_round_trips() {
        let req = request(&[8, 6, 3]);
        let (a, p) = compile(&req).unwrap();
        let (b, _) = compile(&req).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.model_hash, hex::encode(p.hash));
        assert!(a.calibration.calibration.is_range() && a.calibration.sha256.is_none());
        let dir = temp("round-trip");
        a.write(&dir).unwrap();
        assert_eq!(CompiledModel::read(&dir).unwrap(), a);
        assert!(a.answers(&req));
        // Another setting or model is another compilation.
        let mut bits = req.clone();
        bits.settings.quant.bits = 12;
        assert!(!a.answers(&bits));
        assert!(!a.answers(&request(&[8, 7, 3])));
        let (c, _, reused) = compile_into(&req, &dir).unwrap();
        assert!(reused && c == a);
        let (_, _, reused) = compile_into(&bits, &dir).unwrap();
        assert!(!reused);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_compiled_onnx_model_loads_its_float_graph_only_when_asked() {
        let model = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/zoo/mlp.onnx");
        let req = CompileRequest { source: SourceSpec::Onnx(model), ..request(&[4, 2]) };
        let (a, fresh) = compile(&req).unwrap();
        assert!(fresh.graph.is_loaded());
        let dir = temp("deferred-graph");
        a.write(&dir).unwrap();
        let p = CompiledModel::read(&dir).unwrap().prepared().unwrap();
        // Setup and proving read only the quantized model and its circuit.
        assert!(!p.graph.is_loaded());
        assert_eq!(p.hash, fresh.hash);
        let g = p.graph.get().unwrap();
        assert!(p.graph.is_loaded());
        assert_eq!(g.nodes.len(), fresh.graph.get().unwrap().nodes.len());
        assert_eq!(g.input_shape, fresh.graph.get().unwrap().input_shape);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn another_format_version_is_a_typed_error() {
        let (a, _) = compile(&request(&[4, 2])).unwrap();
        let dir = temp("format");
        let path = a.write(&dir).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        v["format"] = serde_json::json!(COMPILED_FORMAT + 1);
        std::fs::write(&path, v.to_string()).unwrap();
        let e = CompiledModel::read(&path).unwrap_err();
        assert!(matches!(e, PipelineError::Compiled(CompiledError::Format { found, .. }) if found == COMPILED_FORMAT + 1), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_request_round_trips_through_json() {
        let mut r = request(&[4, 2]);
        let back: CompileRequest = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        r.source = SourceSpec::Onnx("m.onnx".into());
        assert!(serde_json::to_string(&r).unwrap().contains(r#""source":{"onnx":"m.onnx"}"#));
    }

    #[test]
    fn calibration_reads_a_plain_path_and_the_range_object() {
        let f: Calibration = serde_json::from_str(r#""models/zoo/calibration.json""#).unwrap();
        assert_eq!(f, Calibration::File("models/zoo/calibration.json".into()));
        let r = Calibration::default_range();
        assert_eq!(serde_json::from_str::<Calibration>(&serde_json::to_string(&r).unwrap()).unwrap(), r);
    }
}
