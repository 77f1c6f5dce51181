//! The column set shared by all chips and the model layout that places every layer.
//!
//! [`layout`] is the single code path used by the dry run ([`crate::spec::CircuitSpec`]),
//! keygen and proving, so the spec's row and cell counts are the circuit's by construction.
//!
//! Columns for width `W` (at least [`MIN_WIDTH`]):
//!
//! | kind     | columns                                   |
//! |----------|-------------------------------------------|
//! | advice   | `a_0 .. a_{W-1}`, `acc` (all equality-enabled); with `G = outputs > 1`, then `acc_1 .. acc_{G-1}` |
//! | fixed    | `f_0 .. f_{W-1}`, `bias`, `cont`, `constants`; with `G > 1`, then `bias_g, f_{g,0} .. f_{g,W-1}` for each `g >= 1` |
//! | instance | one: `[model_hash, input_0 .., output_0 ..]` |
//! | tables   | activation `(tag, in, out)`, range `(tag, value)` |
//!
//! Rows, top to bottom: a header holding the model hash (an advice cell constrained to a
//! constant, so the verifying key carries the hash) and the input cells, packed `W + 1` per
//! row, each bound to its instance row; then each layer's rows in order.
//! Requant rows use `(a_0, a_1, a_2, a_3)` as `(z, q, r, y)` and `(f_0, f_1, f_2, f_3)` as
//! `(pow, half, act_tag, shift_tag)`; max-pool rows use `(a_0, a_1, a_2, a_3)` as
//! `(x, y, d, p)` and `(f_0, f_1, f_3)` as `(cont, last, range tag)` (`a_3` is `acc` when
//! `W = 3`).
//!
//! The compact column set (`CircuitParams::compact`, `--target evm`,
//! [`ModelConfig::configure_compact`]): `a_0 .. a_{W-1}` equality-enabled, `acc` not; fixed
//! `f_0 .. f_{W-1}` and the kind column `K` ([`crate::chips::kind`]); one selector `q_look`.
//! Every requant is chained to the dot rows before it (a requant of a cell that is not a dot
//! result gets a one-term dot row first), so the header packs inputs into `a_0 .. a_{W-1}` only.
//! With hashing, the set's pack and Poseidon chips reuse these columns (selectors `q_pack`,
//! `q_full`, `q_part`; [`crate::hashing::HashConfig::configure_compact`]), and `hashed` weights
//! take paired input and weight rows ([`crate::chips::dot`]) instead of fixed weights.
//!
//! A batch (`CircuitParams::batch > 1`, see [`crate::batch`]) holds `N` inputs in the header and
//! `N` samples in every tensor; it adds requant lanes (`a_{4l..4l+3}`, `f_{4l..4l+3}`) and the
//! Freivalds chip's second-phase columns, and its second-phase cells are assigned after every
//! first-phase cell, at the end of [`layout`].
//!
//! With `CircuitParams::products` (a model that multiplies two activations) the Freivalds chip
//! is configured for single inferences too; product layers ([`crate::product`]) place their
//! requant rows and checks in the first phase and finish after it, like batch layers.
//!
//! With non-default visibility ([`crate::visibility`]) the hashing columns of
//! [`crate::hashing`] are added, and: the header has no model-hash cell when weights are
//! `hashed`; the parameter block follows the header; affine layers with parameters use the
//! advice-weight dot gate, copying the canonical cells; after the layers come the model
//! commitment (bound to instance row 0) and the input / output packing and commitments. The
//! instance column is `[model hash, input part, output part]`, where a tensor part is its
//! values (`public`), one hash (`hashed`) or empty (`private`).
use halo2_proofs::{
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Error, Fixed, Instance},
};
use serde::{Deserialize, Serialize};

use crate::chips::constants::ConstConfig;
use crate::chips::ctx::{known, ACell, Ctx};
use crate::batch::{affine_rows, freivalds_affine, requant_lanes, requant_packed};
use crate::chips::dot::{DotChip, DotConfig, Output};
use crate::chips::freivalds::FreivaldsConfig;
use crate::chips::maxpool::{MaxPoolChip, MaxPoolConfig};
use crate::chips::permute::permute;
use crate::chips::public::PublicConfig;
use crate::chips::requant::{RequantChip, RequantConfig, RequantOp, ZIn};
use crate::chips::tables::{TableConfig, TablePlan};
use crate::circuit::CircuitParams;
use crate::eval::Witness;
use crate::field::to_field;
use crate::hashing::{self, HashConfig, HashingStats};
use crate::ir::{CircuitModel, LayerKind, Requant};
use crate::poseidon::domain;
use crate::product::product_layer;
use crate::validate::validate;
use crate::chips::softmax::{SoftmaxDivChip, SoftmaxDivConfig};
use crate::softmax::{exp_activation, softmax_layer, SoftmaxChips};
use crate::visibility::{TensorVisibility, WeightVisibility};

/// Smallest supported dot-product width (requant rows need four advice cells).
pub const MIN_WIDTH: usize = 3;

/// All columns and chip configs of the model circuit.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    pub instance: Column<Instance>,
    /// The public block: instance row `i` = `(a_0, i)` ([`crate::chips::public`]).
    pub public: PublicConfig,
    /// The constant rows ([`crate::chips::constants`]).
    pub consts: ConstConfig,
    /// `a_0 .. a_{W-1}, acc`.
    pub advice: Vec<Column<Advice>>,
    /// `f_0 .. f_{W-1}, bias, cont` (the compact set: `f_0 .. f_{W-1}, K`).
    pub fixed: Vec<Column<Fixed>>,
    pub dot: DotConfig,
    pub requant: RequantConfig,
    /// `None` in the compact column set (`CircuitParams::compact`), which has no max-pool rows.
    pub maxpool: Option<MaxPoolConfig>,
    pub tables: TableConfig,
    /// The hashing columns and chips; `None` with the default visibility.
    pub hash: Option<HashConfig>,
    /// Batches only: requant lanes beside `requant` (see [`crate::batch::requant_lanes`]).
    pub requant_lanes: Vec<RequantConfig>,
    /// Softmax only: the division chip ([`crate::chips::softmax`]).
    pub softmax: Option<SoftmaxDivConfig>,
    /// Batches and products of activations only: the Freivalds chip (its second-phase columns
    /// and challenge).
    pub freivalds: Option<FreivaldsConfig>,
}

impl ModelConfig {
    /// Configures every column, gate and lookup for dot width `width` (raised to
    /// [`MIN_WIDTH`] if smaller; [`crate::spec::CircuitSpec::compile`] rejects such widths).
    pub fn configure<F: PrimeField>(meta: &mut ConstraintSystem<F>, width: usize) -> Self {
        Self::configure_with(
            meta,
            &CircuitParams {
                width,
                ..CircuitParams::default()
            },
        )
    }

    /// Configures the circuit for `params` (dot width and visibility). Only with non-default
    /// visibility are columns, gates or lookups added, after those of the default circuit.
    pub fn configure_with<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        params: &CircuitParams,
    ) -> Self {
        if params.compact {
            return Self::configure_compact(meta, params);
        }
        let w = params.width.max(MIN_WIDTH);
        // Neither the instance column nor a constants column takes part in the copy argument:
        // public values and constants are bound by gates (chips `public` and `constants`).
        let instance = meta.instance_column();
        let advice: Vec<Column<Advice>> = (0..=w).map(|_| meta.advice_column()).collect();
        for &a in &advice {
            meta.enable_equality(a);
        }
        let fixed: Vec<Column<Fixed>> = (0..w + 2).map(|_| meta.fixed_column()).collect();
        let tables = TableConfig::configure(meta, params.merged_lookups);
        // Indexing below is within bounds: advice has w + 1 >= 4 and fixed w + 2 >= 5 columns.
        let slots = advice[..w]
            .iter()
            .copied()
            .zip(fixed[..w].iter().copied())
            .collect();
        // Several outputs per dot row: accumulators acc_1.. after acc_0 = advice[w], and each
        // output's bias and weight columns after the single-output columns (so `outputs = 1`
        // configures exactly the single-output circuit).
        let mut advice = advice;
        let mut fixed = fixed;
        let extra: Vec<Output> = (1..params.outputs.max(1))
            .map(|_| {
                let acc = meta.advice_column();
                meta.enable_equality(acc);
                advice.push(acc);
                let bias = meta.fixed_column();
                let weights: Vec<Column<Fixed>> = (0..w).map(|_| meta.fixed_column()).collect();
                fixed.push(bias);
                fixed.extend(&weights);
                Output { acc, bias, weights }
            })
            .collect();
        let mut dot = DotConfig::configure(meta, slots, advice[w], fixed[w], fixed[w + 1], extra);
        let a4 = [advice[0], advice[1], advice[2], advice[3]];
        let f4 = [fixed[0], fixed[1], fixed[2], fixed[3]];
        let requant = RequantConfig::configure(meta, a4, f4, &tables);
        let maxpool = Some(MaxPoolConfig::configure(
            meta,
            [advice[0], advice[1], advice[3]],
            [fixed[0], fixed[1]],
            requant.range,
        ));
        let consts = ConstConfig::configure(meta, advice[..w].to_vec(), fixed[..w].to_vec(), instance);
        let public = PublicConfig { q_pub: consts.q_const, col: advice[0], instance };
        let hash = params
            .visibility
            .needs_hashing()
            .then(|| HashConfig::configure(meta, &advice, &fixed, &tables, w));
        if let (Some(h), WeightVisibility::Hashed) = (&hash, params.visibility.weights) {
            dot = dot.with_advice_weights(meta, h.weight_columns(w));
        }
        // Batches: more requant lanes and the Freivalds chip, after everything else (so a
        // single-inference circuit is unchanged). Lane l uses a_{4l..4l+3} and f_{4l..4l+3}.
        let lanes = (1..requant_lanes(w, params.batch))
            .map(|l| {
                let a = [advice[4 * l], advice[4 * l + 1], advice[4 * l + 2], advice[4 * l + 3]];
                let f = [fixed[4 * l], fixed[4 * l + 1], fixed[4 * l + 2], fixed[4 * l + 3]];
                RequantConfig::configure(meta, a, f, &tables)
            })
            .collect();
        let freivalds = (params.batch > 1 || params.products).then(|| {
            FreivaldsConfig::configure(meta, advice[..w].to_vec(), fixed[..w].to_vec(), fixed[w + 1])
        });
        let softmax = (params.softmax && w >= 4).then(|| {
            SoftmaxDivConfig::configure(
                meta,
                [advice[0], advice[1], advice[2], advice[3], advice[w]],
                [fixed[0], fixed[1], fixed[2]],
                requant.range,
                &tables,
            )
        });
        ModelConfig {
            softmax,
            instance,
            public,
            consts,
            advice,
            fixed,
            dot,
            requant,
            maxpool,
            tables,
            hash,
            requant_lanes: lanes,
            freivalds,
        }
    }

    /// The compact column set (`CircuitParams::compact`, chosen by `--target evm`): the fewest
    /// commitments for an on-chain verifier. Advice `a_0 .. a_{W-1}` (equality-enabled) and
    /// `acc` (not: the requant row right after a dot product reads it one row up); fixed
    /// `f_0 .. f_{W-1}` and the kind column `K` ([`crate::chips::kind`]), which switches the
    /// dot rows and the public and constant rows; one selector `q_look` for the chained requant
    /// ([`RequantConfig::configure_chained`]: `(x, r, y) = (a_0, a_1, a_2)`, `(pow, half, tag) =
    /// (f_0, f_1, f_2)`) and the merged table. No bias, `cont`, max-pool or hashing columns:
    /// hashing reuses these (`HashConfig::configure_compact`), and `hashed` weights switch the
    /// dot to paired input and weight rows (`DotConfig::configure_paired`).
    fn configure_compact<F: PrimeField>(meta: &mut ConstraintSystem<F>, params: &CircuitParams) -> Self {
        let w = params.width.max(MIN_WIDTH);
        let instance = meta.instance_column();
        let inputs: Vec<Column<Advice>> = (0..w).map(|_| meta.advice_column()).collect();
        for &a in &inputs {
            meta.enable_equality(a);
        }
        let acc = meta.advice_column();
        let weights: Vec<Column<Fixed>> = (0..w).map(|_| meta.fixed_column()).collect();
        let kind = meta.fixed_column();
        let tables = TableConfig::configure(meta, true);
        let slots = inputs.iter().copied().zip(weights.iter().copied()).collect();
        // `hashed` weights: paired input and weight rows, `f_i` free for the hashing chips.
        let dot = match params.visibility.weights {
            WeightVisibility::Hashed => DotConfig::configure_paired(meta, slots, acc, kind),
            WeightVisibility::Fixed => DotConfig::configure_kind(meta, slots, acc, kind),
        };
        // In bounds: w >= MIN_WIDTH = 3.
        let requant = RequantConfig::configure_chained(
            meta,
            [inputs[0], inputs[1], inputs[2]],
            acc,
            [weights[0], weights[1], weights[2]],
            &tables,
        );
        let consts = ConstConfig::configure_switched(meta, inputs.clone(), weights.clone(), instance, Some(kind));
        let public = PublicConfig { q_pub: consts.q_const, col: inputs[0], instance };
        let hash = params.visibility.needs_hashing().then(|| {
            HashConfig::configure_compact(
                meta,
                [inputs[0], inputs[1], inputs[2]],
                acc,
                [weights[0], weights[1], weights[2]],
                &tables,
            )
        });
        let mut advice = inputs;
        advice.push(acc);
        let mut fixed = weights;
        fixed.push(kind);
        ModelConfig {
            softmax: None,
            instance,
            public,
            consts,
            advice,
            fixed,
            dot,
            requant,
            maxpool: None,
            tables,
            hash,
            requant_lanes: Vec::new(),
            freivalds: None,
        }
    }
}

/// Size of one layer in the circuit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerStats {
    pub name: String,
    /// `affine`, `requant`, `maxpool` or `permute`.
    pub kind: String,
    pub rows: usize,
    /// Lookups performed (one per looked-up row and argument).
    pub lookups: usize,
    pub advice_cells: usize,
}

/// Size of the whole layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutStats {
    pub header_rows: usize,
    pub layers: Vec<LayerStats>,
    /// Total rows (header and layers).
    pub rows: usize,
    pub advice_cells: usize,
    /// Cells of the constants column.
    pub constants: usize,
    /// The hashed parts (all zero with the default visibility).
    #[serde(default)]
    pub hashing: HashingStats,
    /// Advice-cell indices of the canonical weight and bias limb cells (`hashed` weights).
    #[serde(skip)]
    pub param_cells: Vec<usize>,
    /// Selectors enabled on at least one row ([`Ctx::selectors_used`]).
    #[serde(default)]
    pub selectors_used: usize,
    /// Advice-cell indices of the limb cells that pack tensors (the copies of a `hashed` or
    /// `private` input, then output), in limb order. Test only.
    #[serde(skip)]
    pub tensor_cells: Vec<usize>,
}

/// Cells bound to instance rows: `(cell, instance row)`.
pub type Bindings<F> = Vec<(ACell<F>, usize)>;

/// Lays out the whole model. `witness` is `None` for the dry run and keygen; `hash` is the
/// fixed-weights model hash (unused with `hashed` weights).
pub fn layout<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    cfg: &ModelConfig,
    model: &CircuitModel,
    plan: &TablePlan,
    witness: Option<&Witness>,
    hash: F,
    params: &CircuitParams,
) -> Result<(Bindings<F>, LayoutStats), Error> {
    let vis = params.visibility;
    let hashed_weights = vis.weights == WeightVisibility::Hashed;
    let hc = || cfg.hash.as_ref().ok_or(Error::Synthesis);
    let mut hstats = HashingStats::default();
    let mut bindings = Vec::new();
    // Header: hash (fixed weights only) then inputs, packed across all advice columns (the
    // equality-enabled ones in the compact set).
    let ncols = if params.compact { cfg.dot.width() } else { cfg.advice.len() };
    let lead = usize::from(!hashed_weights);
    // A batch holds its samples one after the other (see [`crate::batch`]).
    let n = params.batch.max(1);
    let input_len = n * model.input_len;
    let header_items = lead + input_len;
    let header_rows = header_items.div_ceil(ncols);
    // The public block first (instance row i is circuit row i), filled at the end.
    let out_len = *validate(model).map_err(|_| Error::Synthesis)?.last().ok_or(Error::Synthesis)?;
    let public_rows = 1 + vis.input.instance_len(input_len) + vis.output.instance_len(n * out_len);
    let public_start = ctx.alloc(public_rows);
    let start = ctx.alloc(header_rows);
    let place = |k: usize| (cfg.advice[k % ncols], start + k / ncols);
    if !hashed_weights {
        let (col, row) = place(0);
        let h = ctx.assign_advice(col, row, halo2_proofs::circuit::Value::known(hash));
        ctx.constrain_constant(h.cell, hash)?;
        bindings.push((h.clone(), 0));
    }
    let input_vals = witness.and_then(|w| w.tensors.first());
    let mut tensors: Vec<Vec<ACell<F>>> = Vec::with_capacity(model.layers.len() + 1);
    let mut inputs = Vec::with_capacity(input_len);
    for i in 0..input_len {
        let (col, row) = place(lead + i);
        let v = input_vals.and_then(|t| t.get(i)).map(|&x| to_field::<F>(x));
        let c = ctx.assign_advice(col, row, known(v));
        if vis.input == TensorVisibility::Public {
            bindings.push((c.clone(), 1 + i));
        }
        inputs.push(c);
    }
    tensors.push(inputs);
    let param_cells = match hashed_weights {
        true => Some(hashing::assign_params(
            ctx,
            &cfg.advice[..ncols],
            hc()?,
            model,
            params.weight_bits,
            witness.is_some(),
            &mut hstats,
        )?),
        false => None,
    };

    let dot = DotChip::<F>::new(cfg.dot.clone());
    let req = RequantChip::<F>::new(cfg.requant);
    let lanes: Vec<RequantChip<F>> = std::iter::once(cfg.requant)
        .chain(cfg.requant_lanes.iter().copied())
        .map(RequantChip::new)
        .collect();
    let pool = cfg.maxpool.map(MaxPoolChip::<F>::new);
    let pool = || pool.as_ref().ok_or(Error::Synthesis);
    // The compact set's requant of a cell that is not a dot result: a one-term dot row
    // (coefficient 1) first, whose result the chained requant reads.
    let chained = |ctx: &mut Ctx<'_, '_, F>, x: &ACell<F>, xi: Option<i64>, rq: RequantOp<'_>| {
        let acc = dot.assign(ctx, 0, &[(x, 1)])?;
        req.assign_chained(ctx, &acc, 0, xi, rq)
    };
    let mut stats = Vec::with_capacity(model.layers.len());
    let mut pending = Vec::new();
    for (l, layer) in model.layers.iter().enumerate() {
        let (row0, cells0) = (ctx.row, ctx.advice_cells);
        let ints = |t: usize| witness.and_then(|w| w.tensors.get(t));
        let tensor = |t: usize| tensors.get(t).ok_or(Error::Synthesis);
        let op = |r: &'_ Requant| -> Result<(u64, u32), Error> {
            Ok((plan.act_tag(&r.act).ok_or(Error::Synthesis)?, r.shift))
        };
        let (out, kind, lookups_per_row) = match &layer.kind {
            LayerKind::Affine(aff) => {
                let (tag, shift) = op(&aff.requant)?;
                let rq = RequantOp {
                    shift,
                    tag,
                    act: &aff.requant.act,
                    bits: model.bits,
                };
                let srcs = aff
                    .inputs
                    .iter()
                    .map(|&t| tensor(t))
                    .collect::<Result<Vec<_>, _>>()?;
                let zs = witness
                    .and_then(|w| w.accumulators.get(l))
                    .and_then(Option::as_ref);
                // The layer's canonical parameter cells (hashed weights, layers with params).
                let pcells = param_cells
                    .as_ref()
                    .and_then(|pc| pc.layers.get(l).and_then(Option::as_ref).map(|c| (pc, c)));
                let lookups = 2 * n * aff.rows.len();
                let freivalds = match (&cfg.freivalds, pcells) {
                    (Some(fr), None) => {
                        let (direct, checked) = affine_rows(aff, n, cfg.dot.width());
                        (checked < direct).then_some(fr)
                    }
                    _ => None,
                };
                if params.compact {
                    // Each output's dot rows, then its chained requant (a fixed bias is added
                    // there; a hashed one is terms of the dot rows).
                    let mut out = Vec::with_capacity(aff.rows.len());
                    for (j, row) in aff.rows.iter().enumerate() {
                        let x = |t: &crate::ir::Term| srcs.get(t.src as usize).and_then(|s| s.get(t.idx as usize)).ok_or(Error::Synthesis);
                        let (acc, bias) = match (pcells, &aff.params) {
                            (Some((pc, lc)), Some(pm)) => {
                                let terms = hashed_terms(pc, lc, pm, j, row, x)?;
                                (dot.assign_advice_weights(ctx, &terms)?, 0)
                            }
                            _ => {
                                let terms = row.terms.iter().map(|t| Ok((x(t)?, t.coeff))).collect::<Result<Vec<_>, Error>>()?;
                                (dot.assign(ctx, 0, &terms)?, row.bias)
                            }
                        };
                        let z_int = zs.and_then(|z| z.get(j)).copied();
                        out.push(req.assign_chained(ctx, &acc, bias, z_int, rq)?);
                    }
                    (out, "affine", lookups)
                } else if cfg.dot.outputs() > 1 && pcells.is_none() && n == 1 {
                    // Several outputs per dot row (single inference, fixed weights).
                    let zc = multi_affine(ctx, &dot, cfg.dot.outputs(), aff, &srcs)?;
                    let mut out = Vec::with_capacity(zc.len());
                    for (j, z) in zc.iter().enumerate() {
                        let z_int = zs.and_then(|z| z.get(j)).copied();
                        out.push(req.assign(ctx, z, z_int, rq)?);
                    }
                    (out, "affine", lookups)
                } else if let Some(fr) = freivalds {
                    let (out, p) =
                        freivalds_affine(ctx, fr, cfg.advice[0], &lanes, aff, &srcs, zs, n, rq)?;
                    pending.push(p);
                    (out, "affine (freivalds)", lookups)
                } else {
                    let mut out = Vec::with_capacity(n * aff.rows.len());
                    let mut packed = Vec::new();
                    for b in 0..n {
                        for (j, row) in aff.rows.iter().enumerate() {
                            let input = |t: &crate::ir::Term| {
                                srcs.get(t.src as usize)
                                    .and_then(|s| s.get(b * (s.len() / n) + t.idx as usize))
                                    .ok_or(Error::Synthesis)
                            };
                            let z = match (pcells, &aff.params) {
                                (Some((pc, lc)), Some(pm)) => {
                                    let terms = hashed_terms(pc, lc, pm, j, row, input)?;
                                    dot.assign_advice_weights(ctx, &terms)?
                                }
                                _ => {
                                    let terms = row
                                        .terms
                                        .iter()
                                        .map(|t| Ok((input(t)?, t.coeff)))
                                        .collect::<Result<Vec<_>, Error>>()?;
                                    dot.assign(ctx, row.bias, &terms)?
                                }
                            };
                            let z_int = zs.and_then(|z| z.get(b * aff.rows.len() + j)).copied();
                            match lanes.len() {
                                1 => out.push(req.assign(ctx, &z, z_int, rq)?),
                                _ => packed.push((z, z_int)),
                            }
                        }
                    }
                    if !packed.is_empty() {
                        let items: Vec<_> =
                            packed.iter().map(|(z, zi)| (ZIn::Copy(z), *zi)).collect();
                        out.extend(requant_packed(ctx, &lanes, &items, rq)?.into_iter().map(|(_, y)| y));
                    }
                    (out, "affine", lookups)
                }
            }
            LayerKind::Requant { input, requant } => {
                let (tag, shift) = op(requant)?;
                let x = tensor(*input)?;
                let xi = ints(*input);
                let rq = RequantOp {
                    shift,
                    tag,
                    act: &requant.act,
                    bits: model.bits,
                };
                let items: Vec<_> = x
                    .iter()
                    .enumerate()
                    .map(|(j, c)| (ZIn::Copy(c), xi.and_then(|v| v.get(j)).copied()))
                    .collect();
                let out: Vec<ACell<F>> = match lanes.len() {
                    // The compact set has one lane (a single inference).
                    1 => items
                        .iter()
                        .map(|&(z, zi)| match z {
                            ZIn::Copy(c) if params.compact => chained(ctx, c, zi, rq),
                            ZIn::Copy(c) => req.assign(ctx, c, zi, rq),
                            ZIn::Fresh => Err(Error::Synthesis),
                        })
                        .collect::<Result<_, _>>()?,
                    _ => requant_packed(ctx, &lanes, &items, rq)?
                        .into_iter()
                        .map(|(_, y)| y)
                        .collect(),
                };
                let count = out.len();
                (out, "requant", 2 * count)
            }
            LayerKind::MaxPool { input, windows } => {
                let x = tensor(*input)?;
                let xi = ints(*input);
                let len = x.len() / n;
                let mut out = Vec::with_capacity(n * windows.len());
                let mut lookups = 0;
                for b in 0..n {
                    for w in windows {
                        let at = |i: u32| b * len + i as usize;
                        let cells = w
                            .iter()
                            .map(|&i| x.get(at(i)).ok_or(Error::Synthesis))
                            .collect::<Result<Vec<_>, _>>()?;
                        let vals: Option<Vec<i64>> = xi.map(|v| {
                            w.iter()
                                .map(|&i| v.get(at(i)).copied().unwrap_or(0))
                                .collect()
                        });
                        out.push(pool()?.assign(ctx, &cells, vals.as_deref(), model.bits)?);
                        lookups += w.len();
                    }
                }
                (out, "maxpool", lookups)
            }
            LayerKind::Embedding { input, tables } => {
                // One requant row per output: the id copied, shift 0, column d's table.
                let x = tensor(*input)?;
                let xi = ints(*input);
                let mut out = Vec::with_capacity(x.len() * tables.len());
                for (t, c) in x.iter().enumerate() {
                    for act in tables {
                        let tag = plan.act_tag(act).ok_or(Error::Synthesis)?;
                        let rq = RequantOp { shift: 0, tag, act, bits: model.bits };
                        let id = xi.and_then(|v| v.get(t)).copied();
                        out.push(match params.compact {
                            true => chained(ctx, c, id, rq)?,
                            false => req.assign(ctx, c, id, rq)?,
                        });
                    }
                }
                let count = out.len();
                (out, "embedding", 2 * count)
            }
            LayerKind::Softmax(sm) => {
                let div = SoftmaxDivChip::new(*cfg.softmax.as_ref().ok_or(Error::Synthesis)?);
                let exp_tag = plan.act_tag(&exp_activation(sm, model.bits)).ok_or(Error::Synthesis)?;
                let chips = SoftmaxChips { pool: pool()?, dot: &dot, requant: &req, div: &div, exp_tag, zero_cols: &cfg.advice[..=cfg.dot.width()] };
                let out = softmax_layer(ctx, &chips, sm, tensor(sm.input)?, ints(sm.input), n, model.bits)?;
                // Per element: the max-pool range, the exp lookup and range, three ranges.
                let count = out.len();
                (out, "softmax", 6 * count)
            }
            LayerKind::Product(prod) => {
                let (tag, shift) = op(&prod.requant)?;
                let rq = RequantOp {
                    shift,
                    tag,
                    act: &prod.requant.act,
                    bits: model.bits,
                };
                let fr = cfg.freivalds.as_ref().ok_or(Error::Synthesis)?;
                let zs = witness
                    .and_then(|w| w.accumulators.get(l))
                    .and_then(Option::as_ref);
                let srcs = [tensor(prod.inputs[0])?, tensor(prod.inputs[1])?];
                let (out, p) = product_layer(ctx, fr, &lanes, prod, srcs, zs, n, rq)?;
                pending.extend(p);
                let count = out.len();
                (out, "product (freivalds)", 2 * count)
            }
            LayerKind::Permute { input, perm } => {
                let x = tensor(*input)?;
                let len = x.len() / n;
                let mut out = Vec::with_capacity(n * perm.len());
                for b in 0..n {
                    let part = x.get(b * len..(b + 1) * len).ok_or(Error::Synthesis)?;
                    out.extend(permute(part, perm).ok_or(Error::Synthesis)?);
                }
                (out, "permute", 0)
            }
        };
        stats.push(LayerStats {
            name: layer.name.clone(),
            kind: kind.to_string(),
            rows: ctx.row - row0,
            lookups: lookups_per_row,
            advice_cells: ctx.advice_cells - cells0,
        });
        tensors.push(out);
    }
    if let Some(pc) = &param_cells {
        let h = hashing::commit_model(
            ctx,
            &cfg.advice[..ncols],
            hc()?,
            model,
            params.weight_bits,
            pc,
            &mut hstats,
        )?;
        bindings.push((h.clone(), 0));
    }
    // Input: bound above when public; hashed or range-checked here otherwise.
    let input_cells = tensors.first().ok_or(Error::Synthesis)?;
    let mut tensor_cells = Vec::new();
    let mut commit = |ctx: &mut Ctx<'_, '_, F>,
                      v: TensorVisibility,
                      cells: &[ACell<F>],
                      vals: Option<&[i64]>,
                      dom: u64|
     -> Result<Option<ACell<F>>, Error> {
        match v {
            TensorVisibility::Public => Ok(None),
            TensorVisibility::Hashed | TensorVisibility::Private => hashing::commit_tensor(
                ctx,
                hc()?,
                cells,
                vals,
                model.bits,
                (v == TensorVisibility::Hashed).then_some(dom),
                &mut hstats,
                &mut tensor_cells,
            ),
        }
    };
    if let Some(h) = commit(
        ctx,
        vis.input,
        input_cells,
        input_vals.map(Vec::as_slice),
        domain::INPUT,
    )? {
        bindings.push((h.clone(), 1));
    }
    let out_base = 1 + vis.input.instance_len(input_len);
    let output = tensors.last().ok_or(Error::Synthesis)?;
    match vis.output {
        TensorVisibility::Public => {
            for (j, c) in output.iter().enumerate() {
                bindings.push((c.clone(), out_base + j));
            }
        }
        v => {
            let vals = witness.map(Witness::output);
            if let Some(h) = commit(ctx, v, output, vals, domain::OUTPUT)? {
                bindings.push((h.clone(), out_base));
            }
        }
    }
    // The constant rows and the public block: first-phase cells, so before the second phase.
    let constant_rows = cfg.consts.place(ctx, public_start + public_rows)?;
    cfg.public.assign(ctx, public_start, public_rows, &bindings)?;
    // Second phase: every first-phase cell is assigned above; the Freivalds checks use the
    // challenge drawn after their commitments.
    if let Some(fr) = &cfg.freivalds {
        ctx.next_phase();
        let r = ctx.challenge(fr.r);
        for p in &pending {
            p.finish(ctx, fr, r)?;
        }
    }
    if !ctx.constants_placed() {
        return Err(Error::Synthesis);
    }
    let stats = LayoutStats {
        header_rows: public_rows + header_rows + constant_rows,
        layers: stats,
        rows: ctx.row,
        advice_cells: ctx.advice_cells,
        constants: ctx.constants,
        hashing: hstats,
        param_cells: param_cells.map(|p| p.indices).unwrap_or_default(),
        tensor_cells,
        selectors_used: ctx.selectors_used.len(),
    };
    Ok((bindings, stats))
}

/// `(input cell, weight cell)` terms of an advice-weight dot product.
type WeightTerms<'c, F> = Vec<(&'c ACell<F>, &'c ACell<F>)>;

/// The terms `(input, weight cell)` of output `j` of an affine layer with `hashed` weights:
/// one per term, with the canonical weight cell of `lc`, then one per bias limb, whose input is
/// the constant cell `2^(kL)`.
fn hashed_terms<'c, F: PrimeField>(
    pc: &'c hashing::ParamCells<F>,
    lc: &'c hashing::LayerCells<F>,
    pm: &crate::ir::ParamMap,
    j: usize,
    row: &crate::ir::AffineRow,
    input: impl Fn(&crate::ir::Term) -> Result<&'c ACell<F>, Error>,
) -> Result<WeightTerms<'c, F>, Error> {
    let tw = pm.term_weight.get(j).ok_or(Error::Synthesis)?;
    let mut terms = row
        .terms
        .iter()
        .zip(tw)
        .map(|(t, &wi)| Ok((input(t)?, lc.weights.get(wi as usize).ok_or(Error::Synthesis)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let bi = *pm.row_bias.get(j).ok_or(Error::Synthesis)?;
    let limbs = lc.biases.get(bi as usize).ok_or(Error::Synthesis)?;
    terms.extend(pc.powers.iter().zip(limbs));
    Ok(terms)
}

/// The accumulators `z_j` of every output of `aff` with `g` outputs per dot row: outputs that
/// read the same input positions (every term, zero or not: all outputs of a dense layer, all
/// channels of one convolution patch) are laid out `g` at a time on shared rows
/// ([`DotChip::assign_multi`]), each over the positions with a nonzero coefficient in one of
/// them. Returns the cells in output order.
fn multi_affine<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    dot: &DotChip<F>,
    g: usize,
    aff: &crate::ir::AffineLayer,
    srcs: &[&Vec<ACell<F>>],
) -> Result<Vec<ACell<F>>, Error> {
    use std::collections::HashMap;
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<Vec<(u8, u32)>, usize> = HashMap::new();
    for (j, row) in aff.rows.iter().enumerate() {
        let key: Vec<(u8, u32)> = row.terms.iter().map(|t| (t.src, t.idx)).collect();
        let next = groups.len();
        let at = *index.entry(key).or_insert(next);
        if at == next {
            groups.push(Vec::new());
        }
        groups[at].push(j);
    }
    let mut z: Vec<Option<ACell<F>>> = vec![None; aff.rows.len()];
    for chunk in groups.iter().flat_map(|js| js.chunks(g.max(1))) {
        let mut pos: Vec<(u8, u32)> = Vec::new();
        let mut slot: HashMap<(u8, u32), usize> = HashMap::new();
        for &j in chunk {
            for t in aff.rows.get(j).ok_or(Error::Synthesis)?.terms.iter().filter(|t| t.coeff != 0) {
                slot.entry((t.src, t.idx)).or_insert_with(|| {
                    pos.push((t.src, t.idx));
                    pos.len() - 1
                });
            }
        }
        let mut coeffs = vec![vec![0i64; pos.len()]; chunk.len()];
        let mut biases = Vec::with_capacity(chunk.len());
        for (c, &j) in chunk.iter().enumerate() {
            let row = aff.rows.get(j).ok_or(Error::Synthesis)?;
            biases.push(row.bias);
            for t in row.terms.iter().filter(|t| t.coeff != 0) {
                let u = *slot.get(&(t.src, t.idx)).ok_or(Error::Synthesis)?;
                coeffs[c][u] = coeffs[c][u].checked_add(t.coeff).ok_or(Error::Synthesis)?;
            }
        }
        let cells = pos
            .iter()
            .map(|&(s, i)| srcs.get(s as usize).and_then(|v| v.get(i as usize)).ok_or(Error::Synthesis))
            .collect::<Result<Vec<_>, _>>()?;
        let out = dot.assign_multi(ctx, &cells, &biases, &coeffs)?;
        for (&j, cell) in chunk.iter().zip(out) {
            z[j] = Some(cell);
        }
    }
    z.into_iter().map(|c| c.ok_or(Error::Synthesis)).collect()
}
