//! The hashed parts of the layout (see [`crate::commit`] for what is hashed):
//!
//! - the **parameter block** (weights `hashed`): every canonical weight and bias limb gets one
//!   cell, packed with a range lookup per limb ([`crate::chips::pack`]); the dot rows copy these
//!   cells, so a weight used by many patches is still one committed value;
//! - the **model commitment**: the Poseidon sponge ([`crate::chips::poseidon`]) over the
//!   architecture tag (a constant) and the packed elements, bound to instance row 0;
//! - **tensor commitments** (input/output `hashed`): the tensor's cells are copied into pack
//!   rows (limb width `bits`) and hashed; `private` tensors are packed (range-checked) only.
//!
//! Columns: hashing adds advice columns `w_0 .. w_{W-1}` (equality-enabled: the advice weights
//! of the dot gate and the pack chip's limbs), plus unshared ones up to the Poseidon chip's
//! minimum of 9, and fixed columns up to its minimum of 6. The pack chip uses
//! [`pack_columns`] limb columns (each with its own range lookup); the Poseidon chip uses every
//! advice and fixed column.
//!
//! The compact column set ([`HashConfig::configure_compact`]) adds no column: the pack chip's
//! Horner form over `(a_0, a_1)` and `(f_0, f_1, f_2)`, one range lookup, and the sponge of
//! [`crate::chips::poseidon_compact`] over `a_0 .. a_2`, `acc` and `f_0 .. f_2`.
use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Error, Fixed},
};
use serde::{Deserialize, Serialize};

use crate::chips::ctx::{ACell, Ctx};
use crate::chips::pack::{Limb, PackChip, PackColumns, PackConfig};
use crate::chips::poseidon::{PoseidonChip, PoseidonConfig, MIN_ADVICE, MIN_FIXED};
use crate::chips::poseidon_compact::{PoseidonCompactChip, PoseidonCompactConfig};
use crate::chips::tables::{TableConfig, TablePlan};
use crate::circuit::CircuitParams;
use crate::commit::{arch_tag, pow2, ItemPlan};
use crate::ir::CircuitModel;
use crate::poseidon;
use crate::visibility::{TensorVisibility, WeightVisibility};

/// Most limb columns the pack chip uses (each costs one lookup argument).
pub const MAX_PACK_COLUMNS: usize = 4;

/// Limb columns of the pack chip at dot width `width`.
pub fn pack_columns(width: usize) -> usize {
    width.saturating_sub(1).clamp(1, MAX_PACK_COLUMNS)
}

/// Columns and chips that hashing adds.
#[derive(Clone, Debug)]
pub struct HashConfig {
    /// Added advice columns; the first `width` are the weight columns `w_i`.
    pub advice: Vec<Column<Advice>>,
    /// Added fixed columns (only at small widths).
    pub fixed: Vec<Column<Fixed>>,
    pub pack: PackConfig,
    pub poseidon: Sponge,
}

/// The Poseidon chip a circuit uses.
#[derive(Clone, Debug)]
pub enum Sponge {
    /// Several rounds per row over many columns ([`crate::chips::poseidon`]).
    Rows(PoseidonConfig),
    /// The compact column set's ([`crate::chips::poseidon_compact`]).
    Compact(PoseidonCompactConfig),
}

impl HashConfig {
    /// `base_advice` = `a_0 .. a_{W-1}, acc`, `base_fixed` = `f_0 .. f_{W-1}, bias, cont`.
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        base_advice: &[Column<Advice>],
        base_fixed: &[Column<Fixed>],
        tables: &TableConfig,
        width: usize,
    ) -> Self {
        let n_adv = width.max(MIN_ADVICE.saturating_sub(base_advice.len()));
        let advice: Vec<Column<Advice>> = (0..n_adv)
            .map(|i| {
                let c = meta.advice_column();
                if i < width {
                    meta.enable_equality(c);
                }
                c
            })
            .collect();
        let c = pack_columns(width);
        let need_fixed = base_fixed.len().max(MIN_FIXED).max(c + 3);
        let fixed: Vec<Column<Fixed>> = (base_fixed.len()..need_fixed)
            .map(|_| meta.fixed_column())
            .collect();
        let all_fixed: Vec<Column<Fixed>> = base_fixed.iter().chain(&fixed).copied().collect();
        let all_advice: Vec<Column<Advice>> = base_advice.iter().chain(&advice).copied().collect();
        // Indexing is in bounds: advice has >= width >= c columns, all_fixed >= c + 3, and
        // base_advice / base_fixed have width + 1 / width + 2 columns (c + 1 <= width).
        let pack = PackConfig::configure(
            meta,
            PackColumns {
                limbs: advice[..c].to_vec(),
                acc: base_advice[width],
                pow: all_fixed[..c].to_vec(),
                tag: all_fixed[c],
                half: all_fixed[c + 1],
                cont: base_fixed[width + 1],
            },
            tables,
        );
        let poseidon = Sponge::Rows(PoseidonConfig::configure(meta, all_advice, all_fixed));
        HashConfig {
            advice,
            fixed,
            pack,
            poseidon,
        }
    }

    /// The hashing chips of the compact column set over its columns: `inputs = a_0 .. a_2`
    /// (equality-enabled), `acc`, and `fixed = f_0 .. f_2`. No column is added.
    pub fn configure_compact<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        inputs: [Column<Advice>; 3],
        acc: Column<Advice>,
        fixed: [Column<Fixed>; 3],
        tables: &TableConfig,
    ) -> Self {
        let pack = PackConfig::configure_horner(meta, inputs[0], inputs[1], fixed, tables);
        let poseidon = Sponge::Compact(PoseidonCompactConfig::configure(meta, inputs, acc, fixed));
        HashConfig { advice: Vec::new(), fixed: Vec::new(), pack, poseidon }
    }

    /// The advice weight columns `w_0 .. w_{W-1}`.
    pub fn weight_columns(&self, width: usize) -> Vec<Column<Advice>> {
        self.advice.iter().take(width).copied().collect()
    }
}

/// The tables of the circuit: the model's, plus the limb widths that packing range-checks.
pub fn table_plan(model: &CircuitModel, params: &CircuitParams) -> TablePlan {
    let v = params.visibility;
    let mut widths = Vec::new();
    if v.weights == WeightVisibility::Hashed {
        widths.push(params.weight_bits);
    }
    if v.input != TensorVisibility::Public || v.output != TensorVisibility::Public {
        widths.push(model.bits);
    }
    TablePlan::from_model(model, params.identity_table).with_ranges(&widths).merged(params.merged_lookups)
}

/// Rows and sizes of the hashed parts of one layout.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashingStats {
    /// Rows of pack chips (parameter block and tensors).
    pub pack_rows: usize,
    /// Rows of Poseidon sponges.
    pub poseidon_rows: usize,
    /// Rows of constant cells (powers `2^(kL)`, the architecture tag).
    pub constant_rows: usize,
    /// Weights and biases committed (before splitting biases into limbs).
    pub params: usize,
    /// Limbs packed (parameters and tensors).
    pub limbs: usize,
    /// Packed field elements.
    pub elements: usize,
    /// Poseidon permutations.
    pub permutations: usize,
}

impl HashingStats {
    /// All rows hashing takes.
    pub fn rows(&self) -> usize {
        self.pack_rows + self.poseidon_rows + self.constant_rows
    }
}

/// Assigns `values` in fresh rows over `cols`, each constrained to its constant.
pub fn constant_cells<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    cols: &[Column<Advice>],
    values: &[F],
    stats: &mut HashingStats,
) -> Result<Vec<ACell<F>>, Error> {
    let n = cols.len().max(1);
    let rows = values.len().div_ceil(n);
    let start = ctx.alloc(rows);
    stats.constant_rows += rows;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let col = *cols.get(i % n).ok_or(Error::Synthesis)?;
            let c = ctx.assign_advice(col, start + i / n, Value::known(*v));
            ctx.constrain_constant(c.cell, *v)?;
            Ok(c)
        })
        .collect()
}

/// The canonical parameter cells of one layer.
#[derive(Clone, Debug)]
pub struct LayerCells<F: PrimeField> {
    pub weights: Vec<ACell<F>>,
    /// The limb cells of each bias, least significant first.
    pub biases: Vec<Vec<ACell<F>>>,
}

/// The parameter block.
#[derive(Clone, Debug)]
pub struct ParamCells<F: PrimeField> {
    /// Indexed by layer; `Some` for the layers with parameters.
    pub layers: Vec<Option<LayerCells<F>>>,
    /// Constant cells `2^(kL)`, the inputs of the bias limb terms.
    pub powers: Vec<ACell<F>>,
    pub elements: Vec<ACell<F>>,
    /// Advice-cell indices of the canonical weight and bias limb cells.
    pub indices: Vec<usize>,
}

/// Lays out the parameter block. Values are read from `model` only when `with_values` (the
/// proving run): keygen and the dry run never read a weight.
pub fn assign_params<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    base_advice: &[Column<Advice>],
    hc: &HashConfig,
    model: &CircuitModel,
    limb_bits: u32,
    with_values: bool,
    stats: &mut HashingStats,
) -> Result<ParamCells<F>, Error> {
    let plan = ItemPlan::new(model, limb_bits);
    let values = match with_values {
        true => Some(plan.values(model).map_err(|_| Error::Synthesis)?),
        false => None,
    };
    let max_nb = plan.layers.iter().map(|l| l.bias_limbs).max().unwrap_or(0);
    let pows: Vec<F> = (0..max_nb).map(|k| pow2(k as u32 * limb_bits)).collect();
    let powers = constant_cells(ctx, base_advice, &pows, stats)?;
    let limbs: Vec<Limb<'_, F>> = (0..plan.len)
        .map(|i| Limb::New(values.as_ref().and_then(|v| v.get(i).copied())))
        .collect();
    let row0 = ctx.row;
    let packed = PackChip::new(hc.pack.clone()).pack(ctx, &limbs, limb_bits)?;
    stats.pack_rows += ctx.row - row0;
    stats.limbs += plan.len;
    stats.elements += packed.elements.len();
    let mut layers: Vec<Option<LayerCells<F>>> = vec![None; model.layers.len()];
    for li in &plan.layers {
        stats.params += li.n_weights + li.n_biases;
        let cells = |at: usize, n: usize| {
            packed
                .limbs
                .get(at..at + n)
                .map(<[ACell<F>]>::to_vec)
                .ok_or(Error::Synthesis)
        };
        let weights = cells(li.weights_at, li.n_weights)?;
        let biases = (0..li.n_biases)
            .map(|i| cells(li.biases_at + i * li.bias_limbs, li.bias_limbs))
            .collect::<Result<Vec<_>, _>>()?;
        let slot = layers.get_mut(li.layer).ok_or(Error::Synthesis)?;
        *slot = Some(LayerCells { weights, biases });
    }
    Ok(ParamCells {
        layers,
        powers,
        elements: packed.elements,
        indices: packed.indices,
    })
}

/// The model commitment in the circuit: the sponge over the architecture tag and the packed
/// parameter elements. Returns the hash cell.
pub fn commit_model<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    base_advice: &[Column<Advice>],
    hc: &HashConfig,
    model: &CircuitModel,
    limb_bits: u32,
    params: &ParamCells<F>,
    stats: &mut HashingStats,
) -> Result<ACell<F>, Error> {
    let tag = constant_cells(ctx, base_advice, &[arch_tag::<F>(model, limb_bits)], stats)?;
    let msg: Vec<ACell<F>> = tag
        .into_iter()
        .chain(params.elements.iter().cloned())
        .collect();
    hash(ctx, hc, poseidon::domain::MODEL, &msg, stats)
}

fn hash<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    hc: &HashConfig,
    domain: u64,
    msg: &[ACell<F>],
    stats: &mut HashingStats,
) -> Result<ACell<F>, Error> {
    let row0 = ctx.row;
    let h = match &hc.poseidon {
        Sponge::Rows(c) => PoseidonChip::new(c.clone()).hash(ctx, domain, msg)?,
        Sponge::Compact(c) => PoseidonCompactChip::new(c.clone()).hash(ctx, domain, msg)?,
    };
    stats.poseidon_rows += ctx.row - row0;
    stats.permutations += poseidon::permutations(msg.len());
    Ok(h)
}

/// Packs (range-checks) a tensor's cells as `bits`-bit limbs and, with `domain`, hashes them.
/// The advice-cell indices of the limb cells are appended to `limb_cells`.
#[allow(clippy::too_many_arguments)]
pub fn commit_tensor<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    hc: &HashConfig,
    cells: &[ACell<F>],
    values: Option<&[i64]>,
    bits: u32,
    domain: Option<u64>,
    stats: &mut HashingStats,
    limb_cells: &mut Vec<usize>,
) -> Result<Option<ACell<F>>, Error> {
    let limbs: Vec<Limb<'_, F>> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| Limb::Copy(c, values.and_then(|v| v.get(i).copied())))
        .collect();
    let row0 = ctx.row;
    let packed = PackChip::new(hc.pack.clone()).pack(ctx, &limbs, bits)?;
    limb_cells.extend(&packed.indices);
    stats.pack_rows += ctx.row - row0;
    stats.limbs += limbs.len();
    stats.elements += packed.elements.len();
    match domain {
        Some(d) => Ok(Some(hash(
            ctx,
            hc,
            poseidon::tensor_domain(d, cells.len()),
            &packed.elements,
            stats,
        )?)),
        None => Ok(None),
    }
}
