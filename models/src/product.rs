//! Products of two activations: `Q·Kᵀ` and `attention·V` (tract's `EinSum` with two tensor
//! operands), element-wise `Mul` of two tensors and `Square`. The circuit proves them with the
//! Freivalds chip (`zkinfer_circuits::product`), so the op keeps their matrix structure: a
//! list of independent blocks `C = A·B`, one per batch/head index of a matrix product, or one
//! block for an element-wise product (`A` a single row, `B` diagonal).
//!
//! Semantics of one block (`m × n` matrix `A` read from input 0, `n × p` matrix `B` read from
//! input 1, given by its columns' nonzero entries, `m × p` product `C`):
//!
//! ```text
//!     out[c[i·p + j]] = sum_{(k, t) in b[j]} x0[a[i·n + k]] · x1[t]
//! ```
//!
//! Every output element is written by exactly one `(block, i, j)` ([`Product::check`]).
use serde::{Deserialize, Serialize};

use crate::graph::TensorId;

/// What a product came from (for reports; the semantics are in the blocks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProductKind {
    /// A matrix product of two activations (`EinSum` / `MatMul` with no constant operand).
    MatMul,
    /// Element-wise `Mul` of two activations, or `Square`.
    Mul,
}

impl ProductKind {
    pub fn label(self) -> &'static str {
        match self {
            ProductKind::MatMul => "matmul_act",
            ProductKind::Mul => "mul_act",
        }
    }
}

/// One matrix product `C = A·B` of a [`Product`] (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductBlock {
    /// Rows of `A` and `C`.
    pub m: u32,
    /// Columns of `A` (rows of `B`).
    pub n: u32,
    /// `A[i][k]` is element `a[i·n + k]` of input 0.
    pub a: Vec<u32>,
    /// Column `j` of `B`: its entries `(k, element t of input 1)`.
    pub b: Vec<Vec<(u32, u32)>>,
    /// `C[i][j]` is output element `c[i·p + j]`.
    pub c: Vec<u32>,
}

/// A product of two activations (possibly the same tensor twice).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub kind: ProductKind,
    pub inputs: [TensorId; 2],
    pub blocks: Vec<ProductBlock>,
}

impl Product {
    /// Element-wise `out[j] = x0[ia[j]] · x1[ib[j]]`: one block, `A` one row, `B` diagonal.
    pub fn elementwise(inputs: [TensorId; 2], ia: Vec<u32>, ib: Vec<u32>) -> Product {
        let n = ia.len() as u32;
        let b = ib.into_iter().enumerate().map(|(j, t)| vec![(j as u32, t)]).collect();
        let block = ProductBlock { m: 1, n, a: ia, b, c: (0..n).collect() };
        Product { kind: ProductKind::Mul, inputs, blocks: vec![block] }
    }

    /// For each output element (of `len`), the pairs `(index into input 0, index into input 1)`
    /// it sums. Assumes [`Product::check`] passed.
    pub fn pairs(&self, len: usize) -> Vec<Vec<(u32, u32)>> {
        let mut out = vec![Vec::new(); len];
        for blk in &self.blocks {
            let (m, n, p) = (blk.m as usize, blk.n as usize, blk.b.len());
            for i in 0..m {
                for (j, col) in blk.b.iter().enumerate() {
                    if let Some(o) = blk.c.get(i * p + j).and_then(|&o| out.get_mut(o as usize)) {
                        o.extend(col.iter().filter_map(|&(k, t)| blk.a.get(i * n + k as usize).map(|&x| (x, t))));
                    }
                }
            }
        }
        out
    }

    /// Multiply-accumulates of the whole product.
    pub fn macs(&self) -> usize {
        self.blocks.iter().map(|b| b.m as usize * b.b.iter().map(Vec::len).sum::<usize>()).sum()
    }

    /// The wiring: every index inside its tensor, every block's sizes consistent, and every
    /// output element written exactly once.
    pub fn check(&self, lens: [usize; 2], out_len: usize) -> Result<(), String> {
        let mut written = vec![false; out_len];
        for (bi, blk) in self.blocks.iter().enumerate() {
            let (m, n, p) = (blk.m as usize, blk.n as usize, blk.b.len());
            if blk.a.len() != m * n || blk.c.len() != m * p {
                return Err(format!("block {bi}: {} entries of A and {} of C for {m} x {n} · {n} x {p}", blk.a.len(), blk.c.len()));
            }
            if let Some(x) = blk.a.iter().find(|&&x| x as usize >= lens[0]) {
                return Err(format!("block {bi}: A reads element {x} of a tensor of {}", lens[0]));
            }
            for &(k, t) in blk.b.iter().flatten() {
                if k as usize >= n || t as usize >= lens[1] {
                    return Err(format!("block {bi}: B entry ({k}, {t}) outside {n} rows or a tensor of {}", lens[1]));
                }
            }
            for &o in &blk.c {
                match written.get_mut(o as usize) {
                    Some(w) if !*w => *w = true,
                    Some(_) => return Err(format!("block {bi}: output {o} written twice")),
                    None => return Err(format!("block {bi}: output {o} outside {out_len} elements")),
                }
            }
        }
        match written.iter().position(|w| !w) {
            Some(o) => Err(format!("output {o} is not written")),
            None => Ok(()),
        }
    }

    /// The same product with every index of input `slot` mapped through `f`.
    pub fn map_input(&mut self, slot: usize, f: impl Fn(u32) -> u32) {
        for blk in &mut self.blocks {
            match slot {
                0 => blk.a.iter_mut().for_each(|x| *x = f(*x)),
                _ => blk.b.iter_mut().flatten().for_each(|(_, t)| *t = f(*t)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_follow_the_blocks_and_check_finds_bad_wiring() {
        // [[1, 2]] · [[3], [4]] as one block, and an element-wise product of 2.
        let blk = ProductBlock { m: 1, n: 2, a: vec![0, 1], b: vec![vec![(0, 0), (1, 1)]], c: vec![0] };
        let p = Product { kind: ProductKind::MatMul, inputs: [0, 1], blocks: vec![blk] };
        p.check([2, 2], 1).unwrap();
        assert_eq!(p.pairs(1), vec![vec![(0, 0), (1, 1)]]);
        assert_eq!(p.macs(), 2);
        let e = Product::elementwise([0, 0], vec![1, 0], vec![1, 1]);
        e.check([2, 2], 2).unwrap();
        assert_eq!(e.pairs(2), vec![vec![(1, 1)], vec![(0, 1)]]);
        assert!(e.check([2, 2], 3).unwrap_err().contains("not written"));
        assert!(e.check([1, 2], 2).unwrap_err().contains("A reads"));
        let mut twice = e.clone();
        twice.blocks[0].c = vec![0, 0];
        assert!(twice.check([2, 2], 2).unwrap_err().contains("twice"));
    }
}
