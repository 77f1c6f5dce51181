//! Products of two activations ([`crate::product`]): tract's `EinSum` with two tensor operands
//! (what its declutter makes of `MatMul(Q, Transpose(K))` and `MatMul(scores, V)`, with the
//! head split's `Reshape` and `Transpose` folded into the expression, e.g. `mbk,nbk->bmn` and
//! `bmk,kbn->ambn`), `Mul` of two tensors (numpy broadcasting) and `Square` (tract's rewrite of
//! `Mul(x, x)` and `Pow(x, 2)`).
use tract_onnx::tract_core::ops::einsum::EinSum;

use super::convert::{Ctx, Lowered, Unsupported};
use super::index::{broadcast_index, coords, strides};
use crate::graph::Op;
use crate::product::{Product, ProductBlock, ProductKind};

/// How an einsum axis takes part in `C = A·B`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// In both operands and the output: one block per index.
    Batch,
    /// In the left operand and the output: rows of `A` and `C`.
    Row,
    /// In the right operand and the output: columns of `B` and `C`.
    Col,
    /// In both operands only: summed.
    Sum,
    /// Of size 1 anywhere else (an output axis of size 1 neither operand has).
    Unit,
}

struct Ax {
    pos: [Option<usize>; 3],
    size: usize,
    role: Role,
}

/// `EinSum` of two activations: one [`ProductBlock`] per index of the batch axes.
pub(crate) fn einsum(ctx: &Ctx, e: &EinSum) -> Lowered {
    let inputs = [ctx.tensor(0)?, ctx.tensor(1)?];
    let shapes = [&ctx.input_shapes[0], &ctx.input_shapes[1], &ctx.out_shape];
    let mut axes = vec![];
    for a in e.axes.iter_all_axes() {
        let pos = |v: &[usize]| -> Result<Option<usize>, Unsupported> {
            match v.len() {
                0 => Ok(None),
                1 => Ok(Some(v[0])),
                _ => Err(Unsupported(format!("axis '{}' repeated (diagonal einsum)", a.repr))),
            }
        };
        let empty: &[usize] = &[];
        let p = [pos(&a.inputs[0])?, pos(&a.inputs[1])?, pos(a.outputs.first().map(|v| v.as_slice()).unwrap_or(empty))?];
        let size = (0..3).filter_map(|t| p[t].map(|q| shapes[t][q])).max().unwrap_or(1);
        let role = match (p[0].is_some(), p[1].is_some(), p[2].is_some()) {
            (true, true, true) => Role::Batch,
            (true, false, true) => Role::Row,
            (false, true, true) => Role::Col,
            (true, true, false) => Role::Sum,
            _ if size == 1 => Role::Unit,
            _ => return Err(Unsupported(format!("axis '{}' is summed over one operand only", a.repr))),
        };
        axes.push(Ax { pos: p, size, role });
    }
    let st = [strides(shapes[0]), strides(shapes[1]), strides(shapes[2])];
    // Flat index in tensor `t` (0, 1: operands, 2: output) of the axis coordinates `coord`; an
    // axis of size 1 in a tensor broadcasts.
    let index = |t: usize, coord: &[usize]| -> u32 {
        axes.iter()
            .zip(coord)
            .filter_map(|(a, &c)| a.pos[t].map(|p| if shapes[t][p] == 1 { 0 } else { c * st[t][p] }))
            .sum::<usize>() as u32
    };
    let of = |role: Role| -> Vec<usize> { (0..axes.len()).filter(|&i| axes[i].role == role).collect() };
    let (batch, rows, cols, sums) = (of(Role::Batch), of(Role::Row), of(Role::Col), of(Role::Sum));
    let sizes = |ids: &[usize]| -> Vec<usize> { ids.iter().map(|&i| axes[i].size).collect() };
    let count = |ids: &[usize]| -> usize { ids.iter().map(|&i| axes[i].size).product() };
    let (m, n, p) = (count(&rows), count(&sums), count(&cols));
    let mut coord = vec![0usize; axes.len()];
    let set = |coord: &mut Vec<usize>, ids: &[usize], flat: usize| {
        for (&i, c) in ids.iter().zip(coords(flat, &sizes(ids))) {
            coord[i] = c;
        }
    };
    let mut blocks = Vec::with_capacity(count(&batch));
    for bi in 0..count(&batch) {
        set(&mut coord, &batch, bi);
        let (mut a, mut c) = (Vec::with_capacity(m * n), Vec::with_capacity(m * p));
        for i in 0..m {
            set(&mut coord, &rows, i);
            for k in 0..n {
                set(&mut coord, &sums, k);
                a.push(index(0, &coord));
            }
            for j in 0..p {
                set(&mut coord, &cols, j);
                c.push(index(2, &coord));
            }
        }
        let b = (0..p)
            .map(|j| {
                set(&mut coord, &cols, j);
                (0..n)
                    .map(|k| {
                        set(&mut coord, &sums, k);
                        (k as u32, index(1, &coord))
                    })
                    .collect()
            })
            .collect();
        blocks.push(ProductBlock { m: m as u32, n: n as u32, a, b, c });
    }
    Ok(Op::Product(Product { kind: ProductKind::MatMul, inputs, blocks }))
}

/// `Mul` of two activations, numpy broadcasting.
pub(crate) fn mul(ctx: &Ctx) -> Lowered {
    let inputs = [ctx.tensor(0)?, ctx.tensor(1)?];
    let n: usize = ctx.out_shape.iter().product();
    let idx = |slot: usize| -> Vec<u32> {
        (0..n).map(|o| broadcast_index(&coords(o, &ctx.out_shape), &ctx.input_shapes[slot]) as u32).collect()
    };
    Ok(Op::Product(Product::elementwise(inputs, idx(0), idx(1))))
}

/// `Square`: `x · x`.
pub(crate) fn square(ctx: &Ctx) -> Lowered {
    let x = ctx.tensor(0)?;
    let n = ctx.out_shape.iter().product::<usize>() as u32;
    Ok(Op::Product(Product::elementwise([x, x], (0..n).collect(), (0..n).collect())))
}

#[cfg(test)]
mod tests {
    //! Each fixture through [`check_op`] (float forward against tract, integer reference
    //! against float within the derived bound).
    use crate::graph::{Op, ProductKind};
    use crate::testing::{check_op, labels};

    #[test]
    fn two_head_attention_products_are_two_blocks_each() {
        let c = check_op("attention_heads");
        assert_eq!(labels(&c.graph), ["matmul", "matmul", "matmul_act", "scale", "matmul", "matmul_act", "reshape"]);
        for node in &c.graph.nodes {
            if let Op::Product(p) = &node.op {
                assert_eq!(p.kind, ProductKind::MatMul);
                // Two heads; Q·Kᵀ: 4 x 3 · 3 x 4; scores·V: 4 x 4 · 4 x 3.
                let dims: Vec<(u32, u32, usize)> = p.blocks.iter().map(|b| (b.m, b.n, b.b.len())).collect();
                assert!(dims == [(4, 3, 4); 2] || dims == [(4, 4, 3); 2], "{dims:?}");
            }
        }
    }

    #[test]
    fn mul_of_two_activations_and_square() {
        let c = check_op("mul_two");
        assert_eq!(labels(&c.graph), ["matmul", "mul_act"]);
        let c = check_op("mul_square");
        assert_eq!(labels(&c.graph), ["mul_act"]);
        let Op::Product(p) = &c.graph.nodes[0].op else { panic!() };
        assert_eq!(p.inputs, [0, 0]);
    }
}
