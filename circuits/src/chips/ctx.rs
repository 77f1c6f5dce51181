//! The assignment context every chip writes through.
//!
//! One code path serves three purposes, so that they cannot drift apart:
//! - the **dry run** ([`Ctx::dry`]) that [`crate::spec::CircuitSpec`] uses to count rows,
//!   advice cells and constants before anything is proved,
//! - **keygen** (a real region, all witness values unknown),
//! - **proving** (a real region, witness values known).
//!
//! halo2-axiom's `SimpleFloorPlanner` starts every region at row 0, so the context tracks
//! absolute rows itself: [`Ctx::alloc`] hands out fresh rows and chips write at absolute offsets.
//!
//! It also implements the test-only mutation hook: advice cells are numbered in assignment
//! order and [`Tamper`] adds a delta to exactly one of them (the honest value travels on, so a
//! mutation changes a single cell).
use halo2_proofs::{
    circuit::{Cell, Region, Value},
    halo2curves::ff::PrimeField,
    plonk::{Advice, Challenge, Column, Error, Fixed, Selector},
};
use serde::{Deserialize, Serialize};

/// A single-cell witness mutation: add `delta` to the `cell`-th assigned advice cell
/// (0-based, in the circuit's fixed assignment order). Test only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tamper {
    pub cell: usize,
    pub delta: u64,
}

/// An assigned advice cell with its honest value.
#[derive(Clone, Debug)]
pub struct ACell<F: PrimeField> {
    pub cell: Cell,
    pub value: Value<F>,
    /// The value written into the cell: `value` unless a test mutation targets it.
    pub written: Value<F>,
}

/// Assignment context over an optional halo2 region (`None` in the dry run).
pub struct Ctx<'a, 'r, F: PrimeField> {
    region: Option<&'a mut Region<'r, F>>,
    /// `(cell index, delta)` added to the written value of that advice cell.
    mutations: Vec<(usize, F)>,
    /// Number of advice cells assigned so far.
    pub advice_cells: usize,
    /// Number of cells constrained to a constant so far.
    pub constants: usize,
    /// Constant requests not yet placed by [`super::constants::ConstConfig::place`].
    pending_constants: Vec<(Cell, F)>,
    /// Next free row.
    pub row: usize,
    /// Indices of the selectors enabled on at least one row (an unused selector's column is
    /// all zero: its commitment is the identity, which an EVM verifier leaves out of its MSM).
    pub selectors_used: std::collections::BTreeSet<usize>,
}

impl<'a, 'r, F: PrimeField> Ctx<'a, 'r, F> {
    /// A context that assigns nothing and only counts.
    pub fn dry() -> Self {
        Ctx {
            region: None,
            mutations: Vec::new(),
            advice_cells: 0,
            constants: 0,
            pending_constants: Vec::new(),
            row: 0,
            selectors_used: std::collections::BTreeSet::new(),
        }
    }

    /// A context over a real region. `mutations` (test only, normally empty) lists
    /// `(advice cell index, delta)` pairs added to the written values.
    pub fn new(region: &'a mut Region<'r, F>, mutations: Vec<(usize, F)>) -> Self {
        Ctx {
            region: Some(region),
            mutations,
            advice_cells: 0,
            constants: 0,
            pending_constants: Vec::new(),
            row: 0,
            selectors_used: std::collections::BTreeSet::new(),
        }
    }

    /// Reserves `n` fresh rows and returns the first.
    pub fn alloc(&mut self, n: usize) -> usize {
        let start = self.row;
        self.row += n;
        start
    }

    /// Assigns an advice cell (applying the tamper hook if it targets this cell).
    pub fn assign_advice(&mut self, col: Column<Advice>, row: usize, value: Value<F>) -> ACell<F> {
        let index = self.advice_cells;
        self.advice_cells += 1;
        let delta = self
            .mutations
            .iter()
            .filter(|(c, _)| *c == index)
            .fold(F::ZERO, |acc, (_, d)| acc + d);
        let written = if delta == F::ZERO {
            value
        } else {
            value.map(|v| v + delta)
        };
        let cell = match self.region.as_deref_mut() {
            Some(region) => region.assign_advice(col, row, written).cell(),
            None => Cell {
                row_offset: row,
                column: col.into(),
            },
        };
        ACell { cell, value, written }
    }

    /// Assigns an advice cell holding a copy of `src`, with a copy constraint.
    pub fn copy_advice(&mut self, src: &ACell<F>, col: Column<Advice>, row: usize) -> ACell<F> {
        let dst = self.assign_advice(col, row, src.value);
        self.constrain_equal(src.cell, dst.cell);
        dst
    }

    /// Like [`Ctx::copy_advice`], but the copy holds the value written into `src` (which
    /// differs from its honest value only under a test mutation): a copy that stands for the
    /// cell itself, so that a mutated cell reaches it as it would reach a direct binding.
    pub fn copy_written(&mut self, src: &ACell<F>, col: Column<Advice>, row: usize) -> ACell<F> {
        let dst = self.assign_advice(col, row, src.written);
        self.constrain_equal(src.cell, dst.cell);
        dst
    }

    /// Assigns a fixed cell.
    pub fn assign_fixed(&mut self, col: Column<Fixed>, row: usize, value: F) {
        if let Some(region) = self.region.as_deref_mut() {
            region.assign_fixed(col, row, value);
        }
    }

    /// Enables a selector at a row.
    pub fn enable(&mut self, selector: &Selector, row: usize) -> Result<(), Error> {
        self.selectors_used.insert(selector.index());
        match self.region.as_deref_mut() {
            Some(region) => selector.enable(region, row),
            None => Ok(()),
        }
    }

    /// Copy-constrains two cells.
    pub fn constrain_equal(&mut self, a: Cell, b: Cell) {
        if let Some(region) = self.region.as_deref_mut() {
            region.constrain_equal(a, b);
        }
    }

    /// Constrains a cell to a constant: recorded here, bound to a fixed cell of the verifying
    /// key when [`super::constants::ConstConfig::place`] lays the constants out.
    pub fn constrain_constant(&mut self, cell: Cell, value: F) -> Result<(), Error> {
        self.constants += 1;
        self.pending_constants.push((cell, value));
        Ok(())
    }

    /// The constant requests not yet placed (and forgets them).
    pub fn take_constants(&mut self) -> Vec<(Cell, F)> {
        std::mem::take(&mut self.pending_constants)
    }

    /// Whether every constant request has been placed.
    pub fn constants_placed(&self) -> bool {
        self.pending_constants.is_empty()
    }
}

impl<F: PrimeField> Ctx<'_, '_, F> {
    /// Ends the first phase: the real prover commits every first-phase advice column here and
    /// draws the challenges (MockProver and keygen ignore it). Every first-phase cell must be
    /// assigned before this call.
    pub fn next_phase(&mut self) {
        if let Some(region) = self.region.as_deref_mut() {
            region.next_phase();
        }
    }

    /// The value of `challenge` (unknown in the dry run, at keygen and before the phase it is
    /// usable after has ended).
    pub fn challenge(&self, challenge: Challenge) -> Value<F> {
        match self.region.as_deref() {
            Some(region) => region.get_challenge(challenge),
            None => Value::unknown(),
        }
    }
}

/// `Value::known(x)` when the witness is present.
pub fn known<F: PrimeField>(x: Option<F>) -> Value<F> {
    match x {
        Some(v) => Value::known(v),
        None => Value::unknown(),
    }
}
