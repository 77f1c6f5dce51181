//! [`ModelOptions`]: which model, and how it is compiled (the CLI's `ModelArgs` without clap).
use std::path::{Path, PathBuf};

use zkinfer_circuits::{TensorVisibility, Visibility, WeightVisibility};
use zkinfer_models::QuantConfig;
use zkinfer_prover::{Backend, ParamsCache, SrsFile};

use crate::compiled::{self, CompileRequest, CompiledModel, SourceSpec};
use crate::pipeline::{self, Calibration, PipelineError, Prepared, Result, Settings, Target};

/// Options that choose a model and how it is compiled. Either `model` (an ONNX file) or `mlp`
/// (the synthetic MLP of `zkinfer bench`) with compile options, or `compiled` (a
/// `compiled.json`, or its directory), which fixes them all. [`Default`] is the CLI's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelOptions {
    pub model: Option<PathBuf>,
    pub compiled: Option<PathBuf>,
    /// Layer widths of the synthetic MLP (empty: none).
    pub mlp: Vec<usize>,
    pub seed: u64,
    pub calibration: Option<PathBuf>,
    /// Calibrate on deterministic inputs in `[lo, hi]` (checked finite, `lo < hi`).
    pub input_range: Option<(f32, f32)>,
    pub bits: u32,
    pub weight_bits: u32,
    /// Dot width (`None`: chosen per model, [`pipeline::auto_params_for`]).
    pub width: Option<usize>,
    /// What the automatic width is chosen for.
    pub target: Target,
    pub weights: Option<WeightVisibility>,
    pub input_visibility: TensorVisibility,
    pub output_visibility: TensorVisibility,
    pub batch: Option<usize>,
    pub backend: Option<Backend>,
    /// Parameter cache (default: `$ZKINFER_CACHE` or `~/.cache/zkinfer`).
    pub cache: Option<PathBuf>,
    /// KZG only: an SRS file in halo2's ParamsKZG format, and the SHA-256 it must have.
    pub srs: Option<PathBuf>,
    pub srs_sha256: Option<String>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        let q = QuantConfig::default();
        ModelOptions {
            model: None,
            compiled: None,
            mlp: Vec::new(),
            seed: 1,
            calibration: None,
            input_range: None,
            bits: q.bits,
            weight_bits: q.weight_bits,
            width: None,
            target: Target::Prove,
            weights: None,
            input_visibility: TensorVisibility::Public,
            output_visibility: TensorVisibility::Public,
            batch: None,
            backend: None,
            cache: None,
            srs: None,
            srs_sha256: None,
        }
    }
}

impl ModelOptions {
    /// The settings the compile options ask for (not for `compiled`).
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.quant.bits = self.bits;
        s.quant.weight_bits = self.weight_bits;
        if let Some(w) = self.width {
            s.circuit.width = w;
        }
        s.backend = self.backend.unwrap_or(Backend::Ipa);
        s.target = self.target;
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

    /// What `model` / `mlp` and the compile options ask for (not for `compiled`).
    pub fn request(&self) -> Result<CompileRequest> {
        if let Some((lo, hi)) = self.input_range {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(PipelineError::Usage(format!("input range: need finite LO < HI, got [{lo}, {hi}]")));
            }
        }
        let (source, calibration) = match (&self.model, self.mlp.is_empty()) {
            (Some(m), _) => {
                (SourceSpec::Onnx(m.clone()), pipeline::resolve_calibration(m, self.calibration.as_deref(), self.input_range))
            }
            (None, false) => {
                let c = match (&self.calibration, self.input_range) {
                    (Some(f), _) => Calibration::File(f.clone()),
                    (None, Some((lo, hi))) => Calibration::range(lo, hi),
                    (None, None) => Calibration::default_range(),
                };
                (SourceSpec::SyntheticMlp { widths: self.mlp.clone(), seed: self.seed }, c)
            }
            (None, true) => return Err(PipelineError::Usage("no model: pass --model M.onnx, --mlp WIDTHS or --compiled C".into())),
        };
        Ok(CompileRequest { source, calibration, settings: self.settings(), auto_width: self.width.is_none() })
    }

    /// The compiled model these options name: `compiled` read (and checked), or the model
    /// compiled in memory. `backend` overrides a compiled model's backend.
    pub fn compiled(&self) -> Result<(CompiledModel, Prepared)> {
        if let Some(c) = &self.compiled {
            let mut c = CompiledModel::read(c)?;
            if let Some(b) = self.backend {
                c.settings.backend = b;
            }
            let p = c.prepared()?;
            return Ok((c, p));
        }
        compiled::compile(&self.request()?)
    }

    /// The compiled model, kept in `dir/compiled.json`: `compiled` copied there, or the model
    /// compiled there unless the one already there answers the same request. The flag says
    /// whether `dir`'s compiled model was reused.
    pub fn compile_into(&self, dir: &Path) -> Result<(CompiledModel, Prepared, bool)> {
        if let Some(path) = &self.compiled {
            let given = CompiledModel::read(path)?;
            let mut c = given.clone();
            if let Some(b) = self.backend {
                c.settings.backend = b;
            }
            // `--compiled DIR/compiled.json --out DIR` (the usual prove of a compiled model)
            // names one file: it is not parsed twice (9 MB of JSON for 300k weights).
            let same = if compiled::same_file(path, dir) {
                given == c
            } else {
                CompiledModel::read(dir).map(|d| d == c).unwrap_or(false)
            };
            if !same {
                c.write(dir)?;
            }
            let p = c.prepared()?;
            return Ok((c, p, same));
        }
        compiled::compile_into(&self.request()?, dir)
    }

    /// The parameter cache (with the KZG SRS file, when one is given).
    pub fn cache(&self) -> ParamsCache {
        let cache = match &self.cache {
            Some(d) => ParamsCache::new(d),
            None => ParamsCache::default(),
        };
        match &self.srs {
            Some(path) => cache.with_srs(SrsFile { path: path.clone(), sha256: self.srs_sha256.clone() }),
            None => cache,
        }
    }

    /// `srs` only means something for KZG: an error for IPA. `Ok(true)` when KZG runs on the
    /// INSECURE test SRS (no `srs` file), which callers should say.
    pub fn check_backend(&self, backend: Backend) -> Result<bool> {
        match (backend, &self.srs) {
            (Backend::Ipa, Some(_)) => Err(PipelineError::Usage("--srs is a KZG option: add --backend kzg (IPA needs no SRS)".into())),
            (Backend::Kzg, None) => Ok(true),
            _ => Ok(false),
        }
    }

    /// The model's name for messages.
    pub fn name(&self) -> String {
        match (&self.model, &self.compiled) {
            (Some(p), _) | (None, Some(p)) => p.display().to_string(),
            (None, None) => format!("MLP {:?}", self.mlp),
        }
    }
}
