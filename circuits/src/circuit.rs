//! The halo2 circuit of a whole model.
//!
//! Public inputs (one instance column): `[model_hash, input_0 .., input_{n-1}, output_0 ..]`,
//! each an integer encoded by [`to_field`]. The model hash enters as [`hash_to_field`] of the
//! 32-byte hash and is also a **constant** of the circuit (a fixed cell copied to instance row
//! 0), so the verifying key itself commits to it: a proof verifies only against the key of the
//! model it was made for, with that hash as public input.
//!
//! With `hashed` weights instance row 0 holds the Poseidon model commitment instead (computed
//! in the circuit, see [`crate::commit`]), and the verifying key does not depend on the weights;
//! `hashed` / `private` tensors replace their values by one hash / nothing (see
//! [`crate::visibility`] and [`instances_for`]).
//!
//! A batch (`params.batch = N`) proves `N` inferences: the input and output parts hold the `N`
//! samples one after the other (see [`crate::batch`]).
//!
//! `configure_with_params` depends only on [`CircuitParams`] (the dot width, the visibility and
//! the batch size), never on the model, so a verifier can read a verifying key with
//! `VerifyingKey::read::<_, ModelCircuit<Fr>>(reader, format, params)` without the model.
use std::marker::PhantomData;
use std::sync::Arc;

use halo2_proofs::{
    circuit::{Layouter, SimpleFloorPlanner},
    halo2curves::ff::PrimeField,
    plonk::{Circuit, ConstraintSystem, Error},
};
use serde::{Deserialize, Serialize};

use crate::chips::ctx::Ctx;
pub use crate::chips::ctx::Tamper;
use crate::chips::tables::TablePlan;
use crate::commit::{model_commitment, tensor_commitment, ItemPlan};
use crate::error::CircuitError;
use crate::eval::{act_range, eval, Witness};
pub use crate::field::{hash_to_field, to_field};
use crate::hashing::table_plan;
use crate::ir::{CircuitModel, LayerKind};
use crate::layout::{layout, ModelConfig, MIN_WIDTH};
use crate::poseidon::domain;
use crate::validate::validate;
use crate::visibility::{TensorVisibility, Visibility, WeightVisibility};

/// The widest dot row `configure` accepts (it allocates `width + 1` advice columns, so a
/// hostile key header must not choose it freely).
pub const MAX_WIDTH: usize = 256;

/// The small parameters `configure` depends on; stored next to the verifying key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitParams {
    /// Terms per dot-product row (advice columns = width + 1).
    pub width: usize,
    /// What the public instance reveals of the input, output and weights.
    #[serde(default)]
    pub visibility: Visibility,
    /// Limb width of packed weights with `hashed` weights (the quantizer's weight bits: every
    /// weight lies in `[-2^(weight_bits-1), 2^(weight_bits-1))`); unused otherwise.
    #[serde(default)]
    pub weight_bits: u32,
    /// Inferences proved together (1 in files that predate batches, and then not written, so
    /// that single-inference keys and settings are unchanged). With `batch > 1` the circuit has
    /// the second-phase columns of the Freivalds chip and several requant lanes (see
    /// [`crate::layout`]).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub batch: usize,
    /// Outputs per dot-product row (see [`crate::chips::dot`]): 1 in files that predate it
    /// (then not written, so those keys and settings are unchanged). With `outputs = G > 1`
    /// the dot gate has `G` accumulators over the same `width` input cells, and affine layers
    /// lay out outputs that read the same inputs together, `G` at a time.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub outputs: usize,
    /// The circuit has the Freivalds chip for products of two activations (a model with a
    /// [`crate::ir::LayerKind::Product`] layer needs it; false in files that predate it, and
    /// then not written, so those keys and settings are unchanged).
    #[serde(default, skip_serializing_if = "is_false")]
    pub products: bool,
    /// The circuit has the softmax division chip (a model with a
    /// [`crate::ir::LayerKind::Softmax`] layer needs it; needs `width >= 4`; false in files that
    /// predate it, and then not written).
    #[serde(default, skip_serializing_if = "is_false")]
    pub softmax: bool,
    /// Identity requants (a rescale with no activation) look `q` up in an identity table of
    /// `2^bits` rows, one row per element, instead of range-checking it on a second row (see
    /// [`crate::chips::requant`]): shorter layouts for models whose rows, not tables, set
    /// `k` (transformers). False in files that predate it, and then not written.
    #[serde(default, skip_serializing_if = "is_false")]
    pub identity_table: bool,
    /// One lookup table `(tag, in, out)` for activations and ranges, and one lookup argument
    /// for a requant chip's activation and range checks (the range check of a table
    /// activation's remainder then takes a second row; see [`crate::chips::requant`]): two
    /// fixed columns and one lookup argument fewer, for longer layouts and tables. What
    /// `--target evm` trades prover time for. False in files that predate it, and then not
    /// written.
    #[serde(default, skip_serializing_if = "is_false")]
    pub merged_lookups: bool,
    /// The compact column set (see [`crate::layout::ModelConfig`] and [`crate::chips::kind`]):
    /// the kind column instead of the dot, public and constant selectors, the bias added on the
    /// requant row, which reads the dot result one row up (its column then takes no part in the
    /// copy argument), one selector for the requant gate and lookup. Five fixed columns, one
    /// copy-argument column and one grand product fewer than with merged lookups alone, for
    /// longer layouts: what `--target evm` picks for models of affine, requant and embedding
    /// layers. With hashing, the pack and Poseidon chips of the set add no column
    /// ([`crate::hashing::HashConfig::configure_compact`]) and `hashed` weights use paired
    /// input and weight rows ([`crate::chips::dot`]). Needs `merged_lookups`,
    /// `identity_table`, one output per row, a single inference and no softmax or products.
    /// False in files that predate it, and then not written.
    #[serde(default, skip_serializing_if = "is_false")]
    pub compact: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// Largest batch a circuit accepts (a guard on sizes read from files).
pub const MAX_BATCH: usize = 1 << 16;

/// Most outputs per dot row (`configure` allocates about `outputs * (width + 1)` fixed
/// columns, so a hostile key header must not choose it freely).
pub const MAX_OUTPUTS: usize = 16;

/// Most multiply-accumulates per dot row, `width * outputs`.
pub const MAX_ROW_MACS: usize = 1024;

impl Default for CircuitParams {
    fn default() -> Self {
        CircuitParams {
            width: 8,
            visibility: Visibility::default(),
            weight_bits: 0,
            batch: 1,
            outputs: 1,
            products: false,
            softmax: false,
            identity_table: false,
            merged_lookups: false,
            compact: false,
        }
    }
}

impl CircuitParams {
    /// Checks the parameters fit `model`: a model with products of activations needs
    /// `products` (the Freivalds chip's columns).
    pub fn check_model(&self, model: &CircuitModel) -> Result<(), CircuitError> {
        if model.has_products() && !self.products {
            return Err(CircuitError::BadSettings(
                "the model multiplies two activations: the circuit needs `products = true` (set by `zkinfer compile`)".into(),
            ));
        }
        if self.compact {
            if let Some(l) = model.layers.iter().find(|l| matches!(l.kind, LayerKind::MaxPool { .. })) {
                return Err(CircuitError::BadSettings(format!(
                    "layer '{}' is a max-pool, which the compact column set (`compact = true`, `--target evm`) has no rows for",
                    l.name
                )));
            }
        }
        if model.has_softmax() && !self.softmax {
            return Err(CircuitError::BadSettings(
                "the model has a softmax: the circuit needs `softmax = true` (set by `zkinfer compile`)".into(),
            ));
        }
        Ok(())
    }

    /// Checks the parameters are supported.
    pub fn check(&self) -> Result<(), CircuitError> {
        if self.width < MIN_WIDTH || self.width > MAX_WIDTH {
            return Err(CircuitError::BadWidth {
                width: self.width,
                min: MIN_WIDTH,
                max: MAX_WIDTH,
            });
        }
        if !(1..=MAX_BATCH).contains(&self.batch) {
            return Err(CircuitError::BadSettings(format!(
                "the batch size must lie in [1, {MAX_BATCH}], got {}",
                self.batch
            )));
        }
        if !(1..=MAX_OUTPUTS).contains(&self.outputs) || self.width * self.outputs > MAX_ROW_MACS {
            return Err(CircuitError::BadSettings(format!(
                "outputs per dot row must lie in [1, {MAX_OUTPUTS}] with width x outputs at most {MAX_ROW_MACS}, got {} x {}",
                self.width, self.outputs
            )));
        }
        if self.outputs > 1 && (self.batch > 1 || self.visibility != Visibility::default()) {
            return Err(CircuitError::BadSettings(
                "several outputs per dot row need a single inference and the default visibility".into(),
            ));
        }
        if self.compact
            && !(self.merged_lookups
                && self.identity_table
                && self.outputs == 1
                && self.batch == 1
                && !self.softmax
                && !self.products)
        {
            return Err(CircuitError::BadSettings(
                "the compact column set needs merged lookups, an identity table, one output per dot row, a single inference and neither softmax nor products".into(),
            ));
        }
        if self.softmax && self.width < 4 {
            return Err(CircuitError::BadSettings("the softmax division rows need a dot width of at least 4".into()));
        }
        if self.weight_bits > crate::validate::MAX_SHIFT {
            return Err(CircuitError::BadSettings(format!(
                "the limb width of packed weights is at most {}, got {}",
                crate::validate::MAX_SHIFT,
                self.weight_bits
            )));
        }
        if self.visibility.weights == WeightVisibility::Hashed
            && !(2..=crate::validate::MAX_SHIFT).contains(&self.weight_bits)
        {
            return Err(CircuitError::BadSettings(format!(
                "hashed weights need a limb width in [2, {}], got {}",
                crate::validate::MAX_SHIFT,
                self.weight_bits
            )));
        }
        Ok(())
    }
}

/// The circuit proving one inference of `model`.
#[derive(Clone, Debug)]
pub struct ModelCircuit<F: PrimeField> {
    pub model: Arc<CircuitModel>,
    pub params: CircuitParams,
    /// The model hash (see [`hash_to_field`] for how it becomes a field element).
    pub model_hash: [u8; 32],
    /// The input vector (a batch: the samples one after the other); `None` for keygen.
    pub input: Option<Vec<i64>>,
    /// Every intermediate value, computed from `input` by [`eval`] at construction (a batch:
    /// each tensor holds the samples one after the other, see [`crate::batch::eval_batch`]).
    pub witness: Option<Witness>,
    /// Test-only single-cell mutation (see [`Tamper`]); `None` in real use.
    #[doc(hidden)]
    pub tamper: Option<Tamper>,
    /// Test-only multi-cell forgery: `(advice cell index, signed delta)` pairs, to build a
    /// consistent cheating witness (for example a wrong quotient with its matching
    /// remainder) and check that a specific constraint rejects it. Empty in real use.
    #[doc(hidden)]
    pub forge: Vec<(usize, i64)>,
    plan: TablePlan,
    _f: PhantomData<F>,
}

impl<F: PrimeField> ModelCircuit<F> {
    /// Validates the model and parameters and, when an input is given, evaluates the model on
    /// it (so an out-of-range value is an error here, before any proving).
    pub fn new(
        model: Arc<CircuitModel>,
        params: CircuitParams,
        model_hash: [u8; 32],
        input: Option<Vec<i64>>,
    ) -> Result<Self, CircuitError> {
        params.check()?;
        validate(&model)?;
        params.check_model(&model)?;
        if params.visibility.weights == WeightVisibility::Hashed {
            // Every weight and bias must fit its limbs (typed error, before any proving).
            ItemPlan::new(&model, params.weight_bits).values(&model)?;
        }
        let witness = match (&input, params.batch) {
            (Some(x), 1) => Some(eval(&model, x)?),
            (Some(x), n) => Some(crate::batch::eval_batch(&model, x, n)?),
            (None, _) => None,
        };
        if let (Some(x), true) = (&input, params.visibility.input != TensorVisibility::Public) {
            // Non-public inputs are range-checked by the circuit (public ones by the verifier).
            let (min, max) = act_range(model.bits);
            if let Some((index, &v)) = x.iter().enumerate().find(|(_, &v)| v < min || v > max) {
                return Err(CircuitError::OutOfRange {
                    layer: "input".into(),
                    index,
                    value: v as i128,
                    min,
                    max,
                });
            }
        }
        let plan = table_plan(&model, &params);
        Ok(ModelCircuit {
            model,
            params,
            model_hash,
            input,
            witness,
            tamper: None,
            forge: Vec::new(),
            plan,
            _f: PhantomData,
        })
    }

    /// The circuit for keygen (no witness).
    pub fn for_keygen(
        model: Arc<CircuitModel>,
        params: CircuitParams,
        model_hash: [u8; 32],
    ) -> Result<Self, CircuitError> {
        Self::new(model, params, model_hash, None)
    }

    /// The public inputs of this proof (`None` without a witness).
    pub fn instances(&self) -> Option<Vec<F>> {
        self.witness
            .as_ref()
            .and_then(|w| instances_for(&self.model, &self.params, &self.model_hash, w).ok())
    }

    fn mutations(&self) -> Vec<(usize, F)> {
        let mut m: Vec<(usize, F)> = self.forge.iter().map(|&(c, d)| (c, to_field(d))).collect();
        if let Some(t) = self.tamper {
            m.push((t.cell, F::from(t.delta)));
        }
        m
    }

    /// Number of advice cells synthesis assigns (the range of [`Tamper::cell`]).
    pub fn advice_cell_count(&self) -> Result<usize, CircuitError> {
        Ok(crate::spec::CircuitSpec::compile_params(&self.model, &self.params)?.advice_cells)
    }
}

/// The public inputs for a witness of `model` under `params`: `[model hash, input part,
/// output part]`, where the model hash is [`hash_to_field`] of `model_hash` (fixed weights) or
/// the Poseidon model commitment (hashed weights), and a tensor part is its values (`public`),
/// its [`tensor_commitment`] (`hashed`) or nothing (`private`).
pub fn instances_for<F: PrimeField>(
    model: &CircuitModel,
    params: &CircuitParams,
    model_hash: &[u8; 32],
    w: &Witness,
) -> Result<Vec<F>, CircuitError> {
    let v = params.visibility;
    let mut out = Vec::new();
    out.push(match v.weights {
        WeightVisibility::Fixed => hash_to_field(model_hash),
        WeightVisibility::Hashed => model_commitment(model, params.weight_bits)?,
    });
    let input = w.tensors.first().map(Vec::as_slice).unwrap_or(&[]);
    for (vis, values, dom) in [
        (v.input, input, domain::INPUT),
        (v.output, w.output(), domain::OUTPUT),
    ] {
        match vis {
            TensorVisibility::Public => out.extend(values.iter().map(|&x| to_field::<F>(x))),
            TensorVisibility::Hashed => out.push(tensor_commitment(values, model.bits, dom)),
            TensorVisibility::Private => {}
        }
    }
    Ok(out)
}

/// The public inputs `[model_hash, input.., output..]` for a witness of `model` (default
/// visibility).
pub fn instances<F: PrimeField>(
    model: &CircuitModel,
    model_hash: &[u8; 32],
    w: &Witness,
) -> Vec<F> {
    let mut v = Vec::with_capacity(1 + model.input_len + w.output().len());
    v.push(hash_to_field(model_hash));
    if let Some(input) = w.tensors.first() {
        v.extend(input.iter().map(|&x| to_field::<F>(x)));
    }
    v.extend(w.output().iter().map(|&x| to_field::<F>(x)));
    v
}

impl<F: PrimeField> Circuit<F> for ModelCircuit<F> {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitParams;

    fn without_witnesses(&self) -> Self {
        ModelCircuit {
            input: None,
            witness: None,
            tamper: None,
            forge: Vec::new(),
            ..self.clone()
        }
    }

    fn params(&self) -> CircuitParams {
        self.params
    }

    fn configure_with_params(meta: &mut ConstraintSystem<F>, params: CircuitParams) -> ModelConfig {
        ModelConfig::configure_with(meta, &params)
    }

    fn configure(meta: &mut ConstraintSystem<F>) -> ModelConfig {
        ModelConfig::configure(meta, CircuitParams::default().width)
    }

    fn synthesize(&self, config: ModelConfig, mut layouter: impl Layouter<F>) -> Result<(), Error> {
        config.tables.load(&mut layouter, &self.plan)?;
        let hash = hash_to_field::<F>(&self.model_hash);
        // The public values are bound inside the region (the public block of `layout`).
        layouter.assign_region(
            || "model",
            |mut region| {
                let mut ctx = Ctx::new(&mut region, self.mutations());
                layout(
                    &mut ctx,
                    &config,
                    &self.model,
                    &self.plan,
                    self.witness.as_ref(),
                    hash,
                    &self.params,
                )
            },
        )?;
        Ok(())
    }
}
