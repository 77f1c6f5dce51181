//! EinSum (Gemm, MatMul and everything tract folds into them) and axis changes.
use tract_onnx::tract_core::ops::change_axes::AxisOp;
use tract_onnx::tract_core::ops::einsum::EinSum;

use super::convert::{Ctx, Lowered, Unsupported, Value};
use super::index::{coords, strides};
use crate::graph::{Affine, AffineKind, Op, Row, Term};

/// `EinSum` with exactly one constant operand becomes a dense affine map. Every axis is either
/// in the output (free) or summed; broadcasting axes of size 1 read index 0.
pub(crate) fn einsum(ctx: &Ctx, e: &EinSum) -> Lowered {
    if e.q_params.is_some() {
        return Err(Unsupported("quantized EinSum (already-quantized models) is not supported".into()));
    }
    if ctx.inputs.len() != 2 {
        return Err(Unsupported(format!("EinSum with {} inputs", ctx.inputs.len())));
    }
    let (data_slot, w_slot) = match (&ctx.inputs[0], &ctx.inputs[1]) {
        (Value::Tensor(_), Value::Const(_)) => (0, 1),
        (Value::Const(_), Value::Tensor(_)) => (1, 0),
        (Value::Tensor(_), Value::Tensor(_)) => return super::product::einsum(ctx, e),
        _ => return Err(Unsupported("EinSum of two constants".into())),
    };
    let data = ctx.tensor(data_slot)?;
    let w = ctx.konst(w_slot)?;
    let w_shape = w.shape().to_vec();
    let x_shape = &ctx.input_shapes[data_slot];
    let out_shape = &ctx.out_shape;
    let w_vals: Vec<f32> = w.iter().copied().collect();

    // For each axis: its position in x, in w, in the output, and its size.
    struct Ax {
        x: Option<usize>,
        w: Option<usize>,
        out: Option<usize>,
        size: usize,
    }
    let mut axes = vec![];
    for a in e.axes.iter_all_axes() {
        let pos = |v: &[usize]| -> Result<Option<usize>, Unsupported> {
            match v.len() {
                0 => Ok(None),
                1 => Ok(Some(v[0])),
                _ => Err(Unsupported(format!("axis '{}' repeated (diagonal einsum)", a.repr))),
            }
        };
        let x = pos(&a.inputs[data_slot])?;
        let wp = pos(&a.inputs[w_slot])?;
        let out = pos(a.outputs.first().map(|v| v.as_slice()).unwrap_or(&[]))?;
        let size = [out.map(|p| out_shape[p]), x.map(|p| x_shape[p]), wp.map(|p| w_shape[p])]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(1);
        axes.push(Ax { x, w: wp, out, size });
    }
    let summed: Vec<usize> = (0..axes.len()).filter(|&i| axes[i].out.is_none()).collect();
    let sum_shape: Vec<usize> = summed.iter().map(|&i| axes[i].size).collect();
    let sum_count: usize = sum_shape.iter().product();
    let (xs, ws) = (strides(x_shape), strides(&w_shape));
    let n_out: usize = out_shape.iter().product();
    let mut rows = Vec::with_capacity(n_out);
    let mut coord = vec![0usize; axes.len()];
    for o in 0..n_out {
        let oc = coords(o, out_shape);
        for (i, a) in axes.iter().enumerate() {
            if let Some(p) = a.out {
                coord[i] = oc[p];
            }
        }
        let mut row = Row::default();
        let mut by_idx = std::collections::BTreeMap::<u32, f32>::new();
        for s in 0..sum_count {
            let sc = coords(s, &sum_shape);
            for (k, &i) in summed.iter().enumerate() {
                coord[i] = sc[k];
            }
            let (mut xi, mut wi) = (0usize, 0usize);
            for (i, a) in axes.iter().enumerate() {
                if let Some(p) = a.x {
                    xi += if x_shape[p] == 1 { 0 } else { coord[i] * xs[p] };
                }
                if let Some(p) = a.w {
                    wi += if w_shape[p] == 1 { 0 } else { coord[i] * ws[p] };
                }
            }
            *by_idx.entry(xi as u32).or_default() += w_vals[wi];
        }
        row.terms = by_idx.into_iter().map(|(idx, coeff)| Term { src: 0, idx, coeff }).collect();
        rows.push(row);
    }
    Ok(Op::Affine(Affine { kind: AffineKind::MatMul, inputs: vec![data], rows, params: w_vals.len() }))
}

/// Reshape, axis insertion/removal and axis moves are pure wiring.
pub(crate) fn axis_op(ctx: &Ctx, a: &AxisOp) -> Lowered {
    let input = ctx.tensor(0)?;
    let in_shape = &ctx.input_shapes[0];
    let n: usize = in_shape.iter().product();
    let perm: Vec<u32> = match a {
        AxisOp::Move(from, to) if *from >= in_shape.len() || *to >= in_shape.len() => {
            return Err(Unsupported(format!("axis move {from} -> {to} on shape {in_shape:?}")));
        }
        AxisOp::Move(from, to) => {
            // Output axis order: the input's, with `from` moved to position `to`.
            let mut order: Vec<usize> = (0..in_shape.len()).collect();
            let ax = order.remove(*from);
            order.insert(*to, ax);
            let in_strides = strides(in_shape);
            (0..n)
                .map(|o| {
                    let oc = coords(o, &ctx.out_shape);
                    oc.iter().zip(&order).map(|(c, &ax)| c * in_strides[ax]).sum::<usize>() as u32
                })
                .collect()
        }
        AxisOp::Add(_) | AxisOp::Rm(_) | AxisOp::Reshape(..) => (0..n as u32).collect(),
    };
    Ok(Op::Permute { input, perm })
}

#[cfg(test)]
mod tests {
    //! Each test runs one fixture of `tests/fixtures/ops` through [`check_op`]: float forward
    //! against tract, integer reference against float within the derived error bound.
    use crate::graph::{AffineKind, Op};
    use crate::testing::{check_op, labels};

    /// The single affine op of a one-layer model: (kind, rows, terms per row).
    fn affine_shape(g: &crate::Graph) -> (AffineKind, usize, Vec<usize>) {
        match &g.nodes[..] {
            [n] => match &n.op {
                Op::Affine(a) => (a.kind, a.rows.len(), a.rows.iter().map(|r| r.terms.len()).collect()),
                other => panic!("expected one affine op, got {other:?}"),
            },
            _ => panic!("expected one node, got {:?}", labels(g)),
        }
    }

    #[test]
    fn gemm_with_bias() {
        let c = check_op("gemm");
        assert_eq!(affine_shape(&c.graph), (AffineKind::MatMul, 4, vec![6; 4]));
    }

    #[test]
    fn gemm_trans_a_without_bias() {
        let c = check_op("gemm_trans_a");
        assert_eq!(c.graph.input_shape, vec![6, 3]);
        assert_eq!(affine_shape(&c.graph), (AffineKind::MatMul, 12, vec![6; 12]));
    }

    #[test]
    fn gemm_trans_b_alpha_beta() {
        let c = check_op("gemm_trans_b_alpha_beta");
        assert_eq!(affine_shape(&c.graph), (AffineKind::MatMul, 4, vec![6; 4]));
    }

    #[test]
    fn symbolic_batch_becomes_one() {
        let c = check_op("symbolic_batch");
        assert_eq!(c.graph.input_shape, vec![1, 5]);
        assert_eq!(c.graph.output_shape(), &[1, 3]);
        assert_eq!(c.model.input_shape, vec![1, 5]);
    }

    #[test]
    fn matmul_batched() {
        let c = check_op("matmul");
        assert_eq!(affine_shape(&c.graph), (AffineKind::MatMul, 12, vec![5; 12]));
    }

    #[test]
    fn matmul_constant_on_the_left() {
        let c = check_op("matmul_const_left");
        assert_eq!(affine_shape(&c.graph), (AffineKind::MatMul, 12, vec![5; 12]));
    }

    /// Pure wiring: one permutation, `expected[j]` = the input index output `j` reads.
    fn assert_one_permute(g: &crate::Graph, expected: &[u32]) {
        match &g.nodes[..] {
            [n] => assert_eq!(n.op, Op::Permute { input: 0, perm: expected.to_vec() }),
            _ => panic!("expected one permutation, got {:?}", labels(g)),
        }
    }

    #[test]
    fn flatten_is_wiring() {
        let c = check_op("flatten");
        assert_eq!(c.graph.output_shape(), &[2, 6]);
        assert_one_permute(&c.graph, &(0..12).collect::<Vec<_>>());
    }

    #[test]
    fn reshape_is_wiring() {
        let c = check_op("reshape");
        assert_eq!(c.graph.output_shape(), &[1, 3, 4]);
        assert_one_permute(&c.graph, &(0..12).collect::<Vec<_>>());
    }

    #[test]
    fn transpose_permutes() {
        let c = check_op("transpose");
        // [1, 2, 3, 4] with perm [0, 3, 1, 2]: out[0, d, a, b] = in[0, a, b, d].
        let mut expected = vec![];
        for d in 0..4 {
            for a in 0..2 {
                for b in 0..3 {
                    expected.push((a * 12 + b * 4 + d) as u32);
                }
            }
        }
        assert_eq!(c.graph.output_shape(), &[1, 4, 2, 3]);
        assert_one_permute(&c.graph, &expected);
    }
}
