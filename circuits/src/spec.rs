//! The circuit's size, computed before proving by a dry run of the real layout code.
use halo2_proofs::{halo2curves::bn256::Fr, plonk::ConstraintSystem};
use serde::{Deserialize, Serialize};

use crate::chips::ctx::Ctx;
use crate::circuit::CircuitParams;
use crate::error::CircuitError;
use crate::hashing::{table_plan, HashingStats};
use crate::ir::CircuitModel;
use crate::layout::{layout, LayerStats, ModelConfig};
use crate::validate::validate;

/// Largest `k` the compiler accepts (2^26 rows).
pub const MAX_K: u32 = 26;

/// Compiler options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompileOptions {
    /// Terms per dot-product row.
    pub width: usize,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            width: CircuitParams::default().width,
        }
    }
}

/// Everything about the circuit's shape that is known from the model alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitSpec {
    pub params: CircuitParams,
    /// Smallest `k` with `2^k - (blinding_factors + 1) >= max(rows, table_rows, constants,
    /// instance_len)`.
    pub k: u32,
    /// Rows of the layout (header and all layers).
    pub rows: usize,
    /// Rows outside the layers: the public block (one row per instance value), the packed
    /// header (model hash and inputs) and the constant rows.
    pub header_rows: usize,
    /// Rows of the longer lookup table.
    pub table_rows: usize,
    /// Cells of the constants column.
    pub constants: usize,
    /// Length of the instance column.
    pub instance_len: usize,
    pub advice_columns: usize,
    /// Fixed columns before selector compression (selectors counted separately).
    pub fixed_columns: usize,
    pub selectors: usize,
    pub lookup_arguments: usize,
    /// Maximum constraint degree.
    pub degree: usize,
    pub blinding_factors: usize,
    /// Advice cells synthesis assigns.
    pub advice_cells: usize,
    pub layers: Vec<LayerStats>,
    /// Rows and sizes of the hashed parts (zero with the default visibility).
    #[serde(default)]
    pub hashing: HashingStats,
}

impl CircuitSpec {
    /// Validates the model and computes its circuit's shape with a dry run of the layout.
    pub fn compile(model: &CircuitModel, opts: &CompileOptions) -> Result<Self, CircuitError> {
        let params = CircuitParams {
            width: opts.width,
            products: model.has_products(),
            softmax: model.has_softmax(),
            ..CircuitParams::default()
        };
        Self::compile_params(model, &params)
    }

    /// [`CircuitSpec::compile`] for full circuit parameters (width and visibility).
    pub fn compile_params(
        model: &CircuitModel,
        params: &CircuitParams,
    ) -> Result<Self, CircuitError> {
        let params = *params;
        params.check()?;
        let lens = validate(model)?;
        params.check_model(model)?;
        let mut cs = ConstraintSystem::<Fr>::default();
        let cfg = ModelConfig::configure_with(&mut cs, &params);
        let plan = table_plan(model, &params);
        let mut ctx = Ctx::<Fr>::dry();
        let (_, stats) = layout(&mut ctx, &cfg, model, &plan, None, Fr::zero(), &params)
            .map_err(|e| CircuitError::Synthesis(e.to_string()))?;
        let v = params.visibility;
        let n = params.batch;
        let instance_len = 1
            + v.input.instance_len(n * model.input_len)
            + v.output.instance_len(n * lens.last().copied().unwrap_or(0));
        let table_rows = plan.rows();
        let blinding_factors = cs.blinding_factors();
        let need = stats
            .rows
            .max(table_rows)
            .max(stats.constants)
            .max(instance_len);
        let k = smallest_k(need, blinding_factors, cs.minimum_rows()).ok_or(
            CircuitError::TooLarge {
                rows: need,
                max_k: MAX_K,
            },
        )?;
        Ok(CircuitSpec {
            params,
            k,
            rows: stats.rows,
            header_rows: stats.header_rows,
            table_rows,
            constants: stats.constants,
            instance_len,
            advice_columns: cs.num_advice_columns(),
            fixed_columns: cs.num_fixed_columns(),
            selectors: cs.num_selectors(),
            lookup_arguments: cs.lookups().len(),
            degree: cs.degree(),
            blinding_factors,
            advice_cells: stats.advice_cells,
            layers: stats.layers,
            hashing: stats.hashing,
        })
    }

    /// Rows available for the layout at this `k`.
    pub fn usable_rows(&self) -> usize {
        (1usize << self.k) - (self.blinding_factors + 1)
    }
}

fn smallest_k(need: usize, blinding: usize, min_rows: usize) -> Option<u32> {
    (1..=MAX_K).find(|&k| {
        let n = 1usize << k;
        n >= min_rows && n - (blinding + 1) >= need
    })
}
