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
    pub cont: Column<Fixed>,
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
            meta.lookup("pack range", |m| {
                let q = m.query_selector(q_pack);
                let t = m.query_fixed(tag, Rotation::cur());
                let h = m.query_fixed(half, Rotation::cur());
                let x = m.query_advice(v, Rotation::cur());
                vec![
                    (q.clone() * t, tables.range_tag),
                    (q * (x + h), tables.range_val),
                ]
            });
        }
        PackConfig {
            q_pack,
            limbs,
            acc,
            pow,
            tag,
            half,
            cont,
        }
    }
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
                ctx.assign_fixed(c.cont, row, F::from(u64::from(k > 0)));
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
}
