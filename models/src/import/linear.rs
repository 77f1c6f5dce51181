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
        _ => return Err(Unsupported("product of two activations (needs a Freivalds check)".into())),
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
