//! Packing signed `L`-bit limbs into field elements, with a range lookup on every limb, so that
//! the packing is injective (see [`crate::commit`] for what is packed).
//!
//! One element of `n` limbs takes `m = ceil(n / C)` rows (`C` limb columns `v_i`, `acc` advice;
//! `pow_i`, `tag`, `half`, `cont` fixed). Row `k` holds limbs `kC .. kC + C - 1`:
//!
//! | row   | v_0 .. v_{C-1}            | acc   | pow_i                       | tag | half     | cont | q_pack |
//! |-------|---------------------------|-------|-----------------------------|-----|----------|------|--------|
//! | r     | c_0 .. c_{C-1}            | acc_0 | `2^(iL)`                    | L   | 2^(L-1)  | 0    | 1      |
//! | r + k | c_{kC} .. c_{kC+C-1}      | acc_k | `2^((kC+i)L)`, 0 past `n`   | L   | 2^(L-1)  | 1    | 1      |
//!
//! - gate (degree 3): `q_pack * (acc - (cont * acc_prev + sum_i (v_i + half) * pow_i)) = 0`, so
//!   `acc_{m-1} = sum_j (c_j + 2^(L-1)) 2^(jL)`, the packed element;
//! - lookups, one per limb column: `(q_pack * tag, q_pack * (v_i + half))` in the range table,
//!   i.e. `c_j in [-2^(L-1), 2^(L-1))`. With `n L <= 252` the element is below `2^252 < p`, so
//!   it determines every limb.
//!
//! Slots past `n` in the last row are not assigned and have `pow = 0`: they do not enter the
//! element. A limb is either a new cell (the canonical cell of a weight, which every use then
//! copies) or a copy of an existing cell (a tensor value). All columns are shared.
//!
//! **Horner form** (the compact column set, [`PackConfig::configure_horner`]): one limb per row
//! in `v` (`a_0`), the running element in `acc` (`a_1`, equality-enabled, so the element is
//! copied into the sponge), fixed `mul` (0 on an element's first row, `2^L` after), `half` and
//! `tag`; the limbs of an element enter most significant first:
//!
//! | row       | v          | acc   | mul   | half     | tag | q_pack |
//! |-----------|------------|-------|-------|----------|-----|--------|
//! | r         | c_{n-1}    | e_0   | 0     | 2^(L-1)  | L   | 1      |
//! | r + k     | c_{n-1-k}  | e_k   | 2^L   | 2^(L-1)  | L   | 1      |
//!
//! - gate (degree 3): `q_pack * (acc - (mul * acc_prev + v + half)) = 0`, so the last row's
//!   `e_{n-1} = sum_j (c_j + 2^(L-1)) 2^(jL)`, the same element as the column form;
//! - one lookup `(q_pack * tag, q_pack * (v + half))` in the range table.
use std::marker::PhantomData;

use halo2_proofs::{
    circuit::Value,
    halo2curves::ff::PrimeField,
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector},
    poly::Rotation,
};

use super::ctx::{known, ACell, Ctx};
use super::tables::TableConfig;
use crate::commit::{half, limbs_per_element, pow2};
use crate::field::to_field;

#[derive(Clone, Debug)]
pub struct PackConfig {
    pub q_pack: Selector,
    pub limbs: Vec<Column<Advice>>,
    pub acc: Column<Advice>,
    pub pow: Vec<Column<Fixed>>,
    pub tag: Column<Fixed>,
    pub half: Column<Fixed>,
    /// `cont` of the column form; `None` in the Horner form, whose `pow` is the one `mul`
    /// column.
    pub cont: Option<Column<Fixed>>,
}

/// The columns the pack chip uses (all passed in, shared with other chips).
pub struct PackColumns {
    pub limbs: Vec<Column<Advice>>,
    pub acc: Column<Advice>,
    /// One per limb column.
    pub pow: Vec<Column<Fixed>>,
    pub tag: Column<Fixed>,
    pub half: Column<Fixed>,
    pub cont: Column<Fixed>,
}

impl PackConfig {
    pub fn configure<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        cols: PackColumns,
        tables: &TableConfig,
    ) -> Self {
        let q_pack = meta.complex_selector();
        let PackColumns {
            limbs,
            acc,
            pow,
            tag,
            half,
            cont,
        } = cols;
        meta.create_gate("pack", |m| {
            let q = m.query_selector(q_pack);
            let acc_cur = m.query_advice(acc, Rotation::cur());
            let acc_prev = m.query_advice(acc, Rotation::prev());
            let c = m.query_fixed(cont, Rotation::cur());
            let h = m.query_fixed(half, Rotation::cur());
            let sum = limbs
                .iter()
                .zip(&pow)
                .fold(Expression::Constant(F::ZERO), |s, (v, p)| {
                    s + (m.query_advice(*v, Rotation::cur()) + h.clone())
                        * m.query_fixed(*p, Rotation::cur())
                });
            Constraints::with_selector(q, [("pack", acc_cur - (c * acc_prev + sum))])
        });
        for &v in &limbs {
            range_lookup(meta, q_pack, v, tag, half, tables);
        }
        PackConfig {
            q_pack,
            limbs,
            acc,
            pow,
            tag,
            half,
            cont: Some(cont),
        }
    }

    /// The Horner form (see the module doc) over limb column `v`, element column `acc` and
    /// fixed `[mul, half, tag]`.
    pub fn configure_horner<F: PrimeField>(
        meta: &mut ConstraintSystem<F>,
        v: Column<Advice>,
        acc: Column<Advice>,
        fixed: [Column<Fixed>; 3],
        tables: &TableConfig,
    ) -> Self {
        let [mul, half, tag] = fixed;
        let q_pack = meta.complex_selector();
        meta.create_gate("pack (horner)", |m| {
            let q = m.query_selector(q_pack);
            let e = m.query_advice(acc, Rotation::cur());
            let prev = m.query_advice(acc, Rotation::prev());
            let k = m.query_fixed(mul, Rotation::cur());
            let h = m.query_fixed(half, Rotation::cur());
            let x = m.query_advice(v, Rotation::cur());
            Constraints::with_selector(q, [("pack", e - (k * prev + x + h))])
        });
        range_lookup(meta, q_pack, v, tag, half, tables);
        PackConfig { q_pack, limbs: vec![v], acc, pow: vec![mul], tag, half, cont: None }
    }
}

/// `(q * tag, q * (v + half))` in the range table.
fn range_lookup<F: PrimeField>(
    meta: &mut ConstraintSystem<F>,
    q_pack: Selector,
    v: Column<Advice>,
    tag: Column<Fixed>,
    half: Column<Fixed>,
    tables: &TableConfig,
) {
    meta.lookup("pack range", |m| {
        let q = m.query_selector(q_pack);
        let t = m.query_fixed(tag, Rotation::cur());
        let h = m.query_fixed(half, Rotation::cur());
        let x = m.query_advice(v, Rotation::cur());
        vec![(q.clone() * t, tables.range_tag), (q * (x + h), tables.range_val)]
    });
}

/// One limb to pack: a new cell with its value, or a copy of an existing cell.
#[derive(Clone, Debug)]
pub enum Limb<'a, F: PrimeField> {
    New(Option<i64>),
    Copy(&'a ACell<F>, Option<i64>),
}

impl<F: PrimeField> Limb<'_, F> {
    fn value(&self) -> Option<i64> {
        match self {
            Limb::New(v) | Limb::Copy(_, v) => *v,
        }
    }
}

/// What [`PackChip::pack`] laid out.
#[derive(Clone, Debug)]
pub struct Packed<F: PrimeField> {
    /// One cell per limb, in order.
    pub limbs: Vec<ACell<F>>,
    /// The advice-cell index (assignment order, see [`super::ctx::Tamper`]) of each limb cell.
    pub indices: Vec<usize>,
    /// The packed elements.
    pub elements: Vec<ACell<F>>,
}

#[derive(Clone, Debug)]
pub struct PackChip<F: PrimeField> {
    config: PackConfig,
    _f: PhantomData<F>,
}

impl<F: PrimeField> PackChip<F> {
    pub fn new(config: PackConfig) -> Self {
        PackChip {
            config,
            _f: PhantomData,
        }
    }

    /// Rows that packing `n` limbs of width `l` takes with `c` limb columns.
    pub fn rows_for(n: usize, l: u32, c: usize) -> usize {
        let per = limbs_per_element(l);
        let full = n / per;
        let rest = n % per;
        full * per.div_ceil(c.max(1)) + rest.div_ceil(c.max(1))
    }

    /// Lays out `limbs` (width `l`) as packed elements of [`limbs_per_element`] limbs on fresh
    /// rows. Returns the limb cells (one per limb, in order) and the element cells.
    pub fn pack(
        &self,
        ctx: &mut Ctx<'_, '_, F>,
        limbs: &[Limb<'_, F>],
        l: u32,
    ) -> Result<Packed<F>, Error> {
        let c = &self.config;
        let Some(cont) = c.cont else { return self.pack_horner(ctx, limbs, l) };
        let ncol = c.limbs.len();
        let mut cells = Vec::with_capacity(limbs.len());
        let mut indices = Vec::with_capacity(limbs.len());
        let mut elements = Vec::new();
        let h: F = to_field(half(l));
        for chunk in limbs.chunks(limbs_per_element(l)) {
            let rows = chunk.len().div_ceil(ncol);
            let start = ctx.alloc(rows);
            let mut acc: Value<F> = Value::known(F::ZERO);
            let mut last = None;
            for k in 0..rows {
                let row = start + k;
                ctx.enable(&c.q_pack, row)?;
                ctx.assign_fixed(c.tag, row, F::from(l as u64));
                ctx.assign_fixed(c.half, row, h);
                ctx.assign_fixed(cont, row, F::from(u64::from(k > 0)));
                for (i, (&col, &pcol)) in c.limbs.iter().zip(&c.pow).enumerate() {
                    let j = k * ncol + i;
                    let Some(limb) = chunk.get(j) else {
                        ctx.assign_fixed(pcol, row, F::ZERO);
                        continue;
                    };
                    let p: F = pow2(j as u32 * l);
                    ctx.assign_fixed(pcol, row, p);
                    let v: Value<F> = known(limb.value().map(to_field));
                    indices.push(ctx.advice_cells);
                    let cell = match limb {
                        Limb::New(_) => ctx.assign_advice(col, row, v),
                        Limb::Copy(src, _) => ctx.copy_advice(src, col, row),
                    };
                    acc = acc + (cell.value + Value::known(h)) * Value::known(p);
                    cells.push(cell);
                }
                last = Some(ctx.assign_advice(c.acc, row, acc));
            }
            // rows >= 1 (chunks are not empty), so `last` is set.
            elements.push(last.ok_or(Error::Synthesis)?);
        }
        Ok(Packed {
            limbs: cells,
            indices,
            elements,
        })
    }

    /// [`PackChip::pack`] in the Horner form: one limb per row, each element's limbs most
    /// significant first; the limb cells are returned in limb order all the same.
    fn pack_horner(&self, ctx: &mut Ctx<'_, '_, F>, limbs: &[Limb<'_, F>], l: u32) -> Result<Packed<F>, Error> {
        let c = &self.config;
        let (&v, &mul) = (c.limbs.first().ok_or(Error::Synthesis)?, c.pow.first().ok_or(Error::Synthesis)?);
        let h: F = to_field(half(l));
        let base: F = pow2(l);
        let mut cells = Vec::with_capacity(limbs.len());
        let mut indices = Vec::with_capacity(limbs.len());
        let mut elements = Vec::new();
        for chunk in limbs.chunks(limbs_per_element(l)) {
            let start = ctx.alloc(chunk.len());
            let mut acc: Value<F> = Value::known(F::ZERO);
            let mut at = Vec::with_capacity(chunk.len());
            let mut last = None;
            for (k, limb) in chunk.iter().rev().enumerate() {
                let row = start + k;
                let m = if k == 0 { F::ZERO } else { base };
                ctx.enable(&c.q_pack, row)?;
                ctx.assign_fixed(mul, row, m);
                ctx.assign_fixed(c.half, row, h);
                ctx.assign_fixed(c.tag, row, F::from(l as u64));
                let index = ctx.advice_cells;
                let cell = match limb {
                    Limb::New(x) => ctx.assign_advice(v, row, known(x.map(to_field))),
                    Limb::Copy(src, _) => ctx.copy_advice(src, v, row),
                };
                acc = acc * Value::known(m) + cell.value + Value::known(h);
                at.push((index, cell));
                last = Some(ctx.assign_advice(c.acc, row, acc));
            }
            for (index, cell) in at.into_iter().rev() {
                indices.push(index);
                cells.push(cell);
            }
            elements.push(last.ok_or(Error::Synthesis)?);
        }
        Ok(Packed { limbs: cells, indices, elements })
    }
}
