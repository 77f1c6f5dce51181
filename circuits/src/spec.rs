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
    /// Selectors the layout enables somewhere; the others are all-zero columns whose
    /// commitment is the identity (an EVM verifier leaves them out of its MSM).
    #[serde(default)]
    pub selectors_used: usize,
    pub lookup_arguments: usize,
    /// Columns in the copy argument.
    #[serde(default)]
    pub equality_columns: usize,
    /// Distinct (column, rotation) queries of advice and of fixed columns (selectors not
    /// counted: each is one more query at the current row). With the columns and the degree they
    /// give a proof's size and an EVM verifier's work ([`CircuitSpec::verifier_shape`]).
    #[serde(default)]
    pub advice_queries: usize,
    #[serde(default)]
    pub fixed_queries: usize,
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

/// The proof and verifier work of a circuit shape ([`CircuitSpec::verifier_shape`]), for a
/// KZG proof with SHPLONK: the terms of the final multi-scalar multiplication (an EVM
/// verifier's largest cost: one ecMul each, before the pairing) are the proof's points and the
/// key's commitments. An upper bound: a commitment of the key that is the point at infinity (an
/// unused selector) is left out by the keyed verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifierShape {
    pub proof_points: usize,
    pub evaluations: usize,
    pub msm_terms: usize,
    pub proof_bytes: usize,
    pub instance_len: usize,
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
            selectors_used: stats.selectors_used,
            lookup_arguments: cs.lookups().len(),
            equality_columns: cs.permutation().get_columns().len(),
            advice_queries: cs.advice_queries().len(),
            fixed_queries: cs.fixed_queries().len(),
            degree: cs.degree(),
            blinding_factors,
            advice_cells: stats.advice_cells,
            layers: stats.layers,
            hashing: stats.hashing,
        })
    }

    /// What a verifier of this circuit handles (halo2's proof layout with KZG/SHPLONK).
    pub fn verifier_shape(&self) -> VerifierShape {
        let d = self.degree.max(3);
        let products = self.equality_columns.div_ceil(d - 2);
        let pieces = d - 1;
        let lookups = self.lookup_arguments;
        // Advice, three per lookup (two permuted columns and the product), the copy products,
        // the vanishing argument's random polynomial and quotient pieces, and SHPLONK's W, W'.
        let proof_points = self.advice_columns + 3 * lookups + products + 1 + pieces + 2;
        // Every fixed column and used selector (an unused one commits to the identity), every
        // copy-argument column's sigma, and [1]G1.
        let key_points = self.fixed_columns + self.selectors_used + self.equality_columns + 1;
        // Each query, the sigmas, each copy product at x and wx (and all but the last at the
        // last row), five per lookup, the random polynomial.
        let evaluations = self.advice_queries
            + self.fixed_queries
            + self.selectors
            + self.equality_columns
            + (3 * products).saturating_sub(1)
            + 5 * lookups
            + 1;
        VerifierShape {
            proof_points,
            evaluations,
            msm_terms: proof_points + key_points,
            proof_bytes: 64 * proof_points + 32 * evaluations,
            instance_len: self.instance_len,
        }
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
