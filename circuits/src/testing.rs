//! The shared MockProver harness every chip and model passes.
//!
//! [`check_model`] proves with `MockProver` that, for one model and input,
//! 1. the honest witness is accepted at the `k` the spec computed, and
//! 2. single-cell mutations of the advice (`+delta` on one assigned cell, via [`Tamper`]) are
//!    **all** rejected: every cell when there are at most `max_mutations`, otherwise
//!    `max_mutations` cells sampled with a fixed seed (always including the first and last).
//!
//! It is public so that integration tests in other crates can run it on their models.
use std::sync::Arc;

use halo2_proofs::{dev::MockProver, halo2curves::bn256::Fr};

use crate::circuit::{CircuitParams, ModelCircuit, Tamper};
use crate::ir::CircuitModel;
use crate::spec::CircuitSpec;

/// What the harness checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarnessReport {
    pub k: u32,
    pub rows: usize,
    pub advice_cells: usize,
    /// Mutations tried (all rejected).
    pub mutations: usize,
    /// Whether every advice cell was mutated.
    pub exhaustive: bool,
}

/// A small deterministic generator (SplitMix64), so the harness needs no `rand` dependency.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Runs MockProver on `circuit` with public inputs `inst`; `Ok(())` when accepted.
pub fn mock_verify(k: u32, circuit: &ModelCircuit<Fr>, inst: Vec<Fr>) -> Result<(), String> {
    let prover = MockProver::run(k, circuit, vec![inst]).map_err(|e| format!("run: {e}"))?;
    prover
        .verify()
        .map_err(|f| format!("{} failure(s), first: {:?}", f.len(), f.first()))
}

/// The harness (see the module doc). The model hash used is a fixed test pattern.
pub fn check_model(
    model: &CircuitModel,
    input: &[i64],
    width: usize,
    max_mutations: usize,
    seed: u64,
) -> Result<HarnessReport, String> {
    let params = CircuitParams {
        width,
        ..Default::default()
    };
    check_circuit(model, input, &params, max_mutations, seed)
}

/// [`check_model`] for any circuit parameters (visibility included).
pub fn check_circuit(
    model: &CircuitModel,
    input: &[i64],
    params: &CircuitParams,
    max_mutations: usize,
    seed: u64,
) -> Result<HarnessReport, String> {
    let spec = CircuitSpec::compile_params(model, params).map_err(|e| e.to_string())?;
    let mut hash = [0u8; 32];
    for (i, b) in hash.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    let circuit =
        ModelCircuit::<Fr>::new(Arc::new(model.clone()), *params, hash, Some(input.to_vec()))
            .map_err(|e| e.to_string())?;
    let inst = circuit.instances().ok_or("no witness")?;
    mock_verify(spec.k, &circuit, inst.clone())
        .map_err(|e| format!("honest witness rejected: {e}"))?;

    let n = spec.advice_cells;
    let exhaustive = n <= max_mutations;
    let mut rng = SplitMix(seed);
    let cells: Vec<usize> = if exhaustive {
        (0..n).collect()
    } else {
        let mut v = vec![0, n.saturating_sub(1)];
        v.extend((2..max_mutations).map(|_| rng.below(n)));
        v
    };
    for &cell in &cells {
        let delta = rng.next_u64().max(1);
        let mut bad = circuit.clone();
        bad.tamper = Some(Tamper { cell, delta });
        if mock_verify(spec.k, &bad, inst.clone()).is_ok() {
            return Err(format!(
                "mutation of advice cell {cell} (+{delta}) was accepted"
            ));
        }
    }
    Ok(HarnessReport {
        k: spec.k,
        rows: spec.rows,
        advice_cells: n,
        mutations: cells.len(),
        exhaustive,
    })
}

/// Advice-cell indices of the canonical weight and bias limb cells (`hashed` weights), from a
/// dry run of the layout (the same assignment order as synthesis).
pub fn param_cells(model: &CircuitModel, params: &CircuitParams) -> Result<Vec<usize>, String> {
    dry_layout(model, params).map(|s| s.param_cells)
}

/// The advice-cell indices of the limb cells that pack tensors (input, then output), from
/// the dry run.
pub fn tensor_cells(model: &CircuitModel, params: &CircuitParams) -> Result<Vec<usize>, String> {
    dry_layout(model, params).map(|s| s.tensor_cells)
}

fn dry_layout(model: &CircuitModel, params: &CircuitParams) -> Result<crate::layout::LayoutStats, String> {
    use halo2_proofs::plonk::ConstraintSystem;
    let mut cs = ConstraintSystem::<Fr>::default();
    let cfg = crate::layout::ModelConfig::configure_with(&mut cs, params);
    let plan = crate::hashing::table_plan(model, params);
    let mut ctx = crate::chips::ctx::Ctx::<Fr>::dry();
    let (_, stats) = crate::layout::layout(&mut ctx, &cfg, model, &plan, None, Fr::zero(), params)
        .map_err(|e| e.to_string())?;
    Ok(stats)
}

/// Whether a MockProver failure is the public block's check: an advice cell of the public
/// block that differs from its instance row (the first constraint of gate `public and
/// constants`, [`crate::chips::constants`], on a public row), what a wrong public value produces.
pub fn is_public_binding_failure(f: &halo2_proofs::dev::VerifyFailure) -> bool {
    matches!(f, halo2_proofs::dev::VerifyFailure::ConstraintNotSatisfied { constraint, .. }
        if constraint.to_string().contains("('public and constants')"))
}
