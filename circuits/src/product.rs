//! The layout of a product of two activations ([`ProductLayer`]: `Q·Kᵀ`, `attention·V`,
//! element-wise `Mul`): every block `C = A·B` is one Freivalds check with a witness right
//! factor ([`crate::chips::freivalds`], `Factor::Witness`), and every element of `C` is a
//! fresh cell of its requant row, bound only by that check.
//!
//! ```text
//!   requant rows     z (fresh) | q | r | y        one per output element (rescale + table)
//!   Horner blocks    copies of A's columns and of C's columns        m · ceil((n + p) / W) rows
//!   dot rows         lane sums of A (phase 2) · copies of B          sum_j ceil(|b_j| / W) rows
//! ```
//!
//! Soundness: `A`, `B` (tensor cells) and `C` (the fresh `z` cells) are first-phase advice, so
//! they are committed before the challenge `r`; a wrong `C` passes a block's check with
//! probability at most `(m − 1)/p` (exact for `m = 1`, the element-wise case). The check holds
//! in the field, and `|sum x0·x1| < n · 2^(2·bits − 2)` is far below the modulus, so it is the
//! integer product; the requant row then proves `q = round_shift(z, s)` in range and `y = act(q)`.
use halo2_proofs::{halo2curves::ff::PrimeField, plonk::Error};

use crate::batch::requant_packed;
use crate::chips::ctx::{ACell, Ctx};
use crate::chips::freivalds::{Factor, FreivaldsChip, FreivaldsConfig, Pending, Product};
use crate::chips::requant::{RequantChip, RequantOp, ZIn};
use crate::ir::ProductLayer;

/// Checks a product layer's wiring against its input lengths and returns its output length:
/// block sizes consistent, every index inside its tensor, every output written exactly once.
pub fn check(p: &ProductLayer, lens: [usize; 2]) -> Result<usize, String> {
    let out_len: usize = p.blocks.iter().map(|b| b.c.len()).sum();
    let mut written = vec![false; out_len];
    for (bi, blk) in p.blocks.iter().enumerate() {
        let (m, n, q) = (blk.m as usize, blk.n as usize, blk.b.len());
        if m == 0 || blk.a.len() != m * n || blk.c.len() != m * q {
            return Err(format!("block {bi}: {} entries of A and {} of C for {m} x {n} · {n} x {q}", blk.a.len(), blk.c.len()));
        }
        if let Some(x) = blk.a.iter().find(|&&x| x as usize >= lens[0]) {
            return Err(format!("block {bi}: A reads element {x} of a tensor of {}", lens[0]));
        }
        if let Some((k, t)) = blk.b.iter().flatten().find(|&&(k, t)| k as usize >= n || t as usize >= lens[1]) {
            return Err(format!("block {bi}: B entry ({k}, {t}) outside {n} rows or a tensor of {}", lens[1]));
        }
        for &o in &blk.c {
            match written.get_mut(o as usize) {
                Some(w) if !*w => *w = true,
                _ => return Err(format!("block {bi}: output {o} written twice or outside {out_len} elements")),
            }
        }
    }
    Ok(out_len)
}

/// Lays out a product layer over a batch of `n` samples (tensors hold the samples one after
/// the other): the requant rows of every output with fresh `z` cells, then one Freivalds check
/// per block and sample. Returns the output cells and the second phases still to assign.
#[allow(clippy::too_many_arguments)]
pub fn product_layer<F: PrimeField>(
    ctx: &mut Ctx<'_, '_, F>,
    fr: &FreivaldsConfig,
    chips: &[RequantChip<F>],
    layer: &ProductLayer,
    srcs: [&Vec<ACell<F>>; 2],
    zs: Option<&Vec<i64>>,
    n: usize,
    op: RequantOp<'_>,
) -> Result<(Vec<ACell<F>>, Vec<Pending<F>>), Error> {
    let len: usize = layer.blocks.iter().map(|b| b.c.len()).sum();
    let items: Vec<(ZIn<'_, F>, Option<i64>)> = (0..n * len).map(|e| (ZIn::Fresh, zs.and_then(|z| z.get(e)).copied())).collect();
    let cells = requant_packed(ctx, chips, &items, op)?;
    let chip = FreivaldsChip::new(fr.clone());
    let (l0, l1) = (srcs[0].len() / n.max(1), srcs[1].len() / n.max(1));
    let mut pending = Vec::with_capacity(n * layer.blocks.len());
    for b in 0..n {
        let x = |i: u32| srcs[0].get(b * l0 + i as usize).ok_or(Error::Synthesis);
        let y = |i: u32| srcs[1].get(b * l1 + i as usize).ok_or(Error::Synthesis);
        let z = |i: u32| cells.get(b * len + i as usize).map(|(z, _)| z).ok_or(Error::Synthesis);
        for blk in &layer.blocks {
            let (m, k, p) = (blk.m as usize, blk.n as usize, blk.b.len());
            let a = (0..m)
                .map(|i| blk.a.get(i * k..(i + 1) * k).ok_or(Error::Synthesis)?.iter().map(|&t| x(t)).collect())
                .collect::<Result<Vec<Vec<_>>, Error>>()?;
            let cols = blk
                .b
                .iter()
                .map(|col| col.iter().map(|&(r, t)| Ok((r as usize, y(t)?))).collect())
                .collect::<Result<Vec<Vec<_>>, Error>>()?;
            let c = (0..m)
                .map(|i| blk.c.get(i * p..(i + 1) * p).ok_or(Error::Synthesis)?.iter().map(|&t| z(t)).collect())
                .collect::<Result<Vec<Vec<_>>, Error>>()?;
            pending.push(chip.begin(ctx, &Product { a, b: Factor::Witness(cols), c })?);
        }
    }
    Ok((cells.into_iter().map(|(_, y)| y).collect(), pending))
}
