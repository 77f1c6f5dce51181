//! Ops that only move values: `Slice` (tract's form of ONNX Slice/Split; `Downsample` for a
//! step), `Gather` by constant
//! indices (ONNX Gather with constant indices: a transformer's head split, a class-token
//! pick) and `Concat`.
//!
//! Slice and Gather are index maps of one tensor (`Op::Permute`: output `j` reads input
//! `perm[j]`; no cells once `simplify` resolves them into their readers). Concat joins several
//! tensors, or tensors and constants (a class token before patch embeddings): it is one affine
//! map whose rows copy one input value (coefficient 1) or hold a constant (the bias), so it
//! costs the rows of a copy, never an approximation.
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::array::{Gather, Slice, TypedConcat};
use tract_onnx::tract_core::ops::Downsample;

use super::convert::{Ctx, Lowered, Unsupported, Value};
use super::index::{coords, strides};
use crate::graph::{Affine, AffineKind, Op, Row, Term};

fn dim(d: &TDim, what: &str) -> Result<usize, Unsupported> {
    d.to_i64().ok().and_then(|v| usize::try_from(v).ok()).ok_or_else(|| Unsupported(format!("{what} {d} is not a fixed size")))
}

pub(crate) fn slice(ctx: &Ctx, s: &Slice) -> Lowered {
    let input = ctx.tensor(0)?;
    let in_shape = &ctx.input_shapes[0];
    let (start, end) = (dim(&s.start, "slice start")?, dim(&s.end, "slice end")?);
    if s.axis >= in_shape.len() || start > end || end > in_shape[s.axis] {
        return Err(Unsupported(format!("slice {start}..{end} of axis {} of shape {in_shape:?}", s.axis)));
    }
    let st = strides(in_shape);
    let n: usize = ctx.out_shape.iter().product();
    let perm = (0..n)
        .map(|o| {
            let mut c = coords(o, &ctx.out_shape);
            c[s.axis] += start;
            c.iter().zip(&st).map(|(a, b)| a * b).sum::<usize>() as u32
        })
        .collect();
    Ok(Op::Permute { input, perm })
}

/// tract's form of a Slice with a step: along `axis`, output `i` reads input `modulo + i·stride`.
pub(crate) fn downsample(ctx: &Ctx, d: &Downsample) -> Lowered {
    let input = ctx.tensor(0)?;
    let in_shape = &ctx.input_shapes[0];
    let Ok(stride) = usize::try_from(d.stride) else {
        return Err(Unsupported(format!("a slice with the negative step {}", d.stride)));
    };
    if d.axis >= in_shape.len() || stride == 0 || ctx.out_shape.len() != in_shape.len() {
        return Err(Unsupported(format!("downsample of axis {} by {} of shape {in_shape:?}", d.axis, d.stride)));
    }
    let st = strides(in_shape);
    let n: usize = ctx.out_shape.iter().product();
    let perm = (0..n)
        .map(|o| {
            let mut c = coords(o, &ctx.out_shape);
            c[d.axis] = d.modulo + c[d.axis] * stride;
            c.iter().zip(&st).map(|(a, b)| a * b).sum::<usize>() as u32
        })
        .collect();
    Ok(Op::Permute { input, perm })
}

pub(crate) fn gather(ctx: &Ctx, g: &Gather) -> Lowered {
    let (Some(Value::Tensor(input)), Some(Value::Const(indices))) = (ctx.inputs.first(), ctx.inputs.get(1)) else {
        return Err(Unsupported(match (ctx.inputs.first(), ctx.inputs.get(1)) {
            (Some(Value::Const(table)), Some(Value::Tensor(0))) if g.axis == 0 && table.ndim() == 2 => {
                return Ok(Op::Embedding { input: 0, table: table.iter().copied().collect(), dim: table.shape()[1] });
            }
            (Some(Value::Const(_)), Some(Value::Tensor(_))) => {
                "Gather of a constant table by computed indices: only rows of a 2-D table by the model input's ids (an embedding) are supported".into()
            }
            _ => "Gather needs a tensor and constant indices".into(),
        }));
    };
    let data = &ctx.input_shapes[0];
    let axis = g.axis;
    if axis >= data.len() {
        return Err(Unsupported(format!("gather along axis {axis} of shape {data:?}")));
    }
    let len = data[axis] as i64;
    let picks: Vec<usize> = indices
        .iter()
        .map(|&v| {
            let i = v as i64;
            let i = if i < 0 { i + len } else { i };
            if v.fract() != 0.0 || !(0..len).contains(&i) {
                Err(Unsupported(format!("gather index {v} outside axis {axis} of length {len}")))
            } else {
                Ok(i as usize)
            }
        })
        .collect::<Result<_, _>>()?;
    // Output coordinates: data's before `axis`, the indices' own, data's after `axis`.
    let ind_rank = indices.ndim();
    let ind_shape = indices.shape().to_vec();
    let st = strides(data);
    let ind_st = strides(&ind_shape);
    let n: usize = ctx.out_shape.iter().product();
    if ctx.out_shape.len() != data.len() - 1 + ind_rank {
        return Err(Unsupported(format!("gather of {data:?} by {ind_shape:?} into {:?}", ctx.out_shape)));
    }
    let perm = (0..n)
        .map(|o| {
            let c = coords(o, &ctx.out_shape);
            let which: usize = c[axis..axis + ind_rank].iter().zip(&ind_st).map(|(a, b)| a * b).sum();
            let src = c[..axis].iter().chain(std::iter::once(&picks[which])).chain(&c[axis + ind_rank..]);
            src.zip(&st).map(|(a, b)| a * b).sum::<usize>() as u32
        })
        .collect();
    Ok(Op::Permute { input: *input, perm })
}

pub(crate) fn concat(ctx: &Ctx, c: &TypedConcat) -> Lowered {
    let axis = c.axis;
    let out = &ctx.out_shape;
    if axis >= out.len() || ctx.input_shapes.iter().any(|s| s.len() != out.len()) {
        return Err(Unsupported(format!("concat along axis {axis} of shapes {:?}", ctx.input_shapes)));
    }
    // The tensor inputs become the affine map's sources, in order.
    let mut sources = vec![];
    let mut src_of = vec![None; ctx.inputs.len()];
    for (slot, v) in ctx.inputs.iter().enumerate() {
        if let Value::Tensor(t) = v {
            let src = u8::try_from(sources.len()).map_err(|_| Unsupported("concat of more than 256 tensors".into()))?;
            src_of[slot] = Some(src);
            sources.push(*t);
        }
    }
    if sources.is_empty() {
        return Err(Unsupported("operates on constants only".into()));
    }
    let mut offsets = vec![];
    let mut at = 0;
    for s in &ctx.input_shapes {
        offsets.push(at);
        at += s[axis];
    }
    if at != out[axis] {
        return Err(Unsupported(format!("concat of {:?} into {out:?}", ctx.input_shapes)));
    }
    let n: usize = out.iter().product();
    let mut constants = 0;
    let mut rows = Vec::with_capacity(n);
    for o in 0..n {
        let mut oc = coords(o, out);
        let slot = offsets.iter().rposition(|&off| off <= oc[axis]).unwrap_or(0);
        oc[axis] -= offsets[slot];
        let shape = &ctx.input_shapes[slot];
        let flat: usize = oc.iter().zip(strides(shape)).map(|(a, b)| a * b).sum();
        rows.push(match (&ctx.inputs[slot], src_of[slot]) {
            (Value::Tensor(_), Some(src)) => Row { bias: 0.0, terms: vec![Term { src, idx: flat as u32, coeff: 1.0 }] },
            (Value::Const(k), _) => {
                constants += 1;
                Row { bias: k.iter().nth(flat).copied().unwrap_or(0.0), terms: vec![] }
            }
            (Value::Tensor(_), None) => return Err(Unsupported("concat input without a source".into())),
            (Value::NegInf | Value::Masked { .. }, _) => return Err(Unsupported("concat of a -inf mask".into())),
        });
    }
    Ok(Op::Affine(Affine { kind: AffineKind::Concat, inputs: sources, rows, params: constants }))
}

#[cfg(test)]
mod tests {
    //! Each fixture of `tests/fixtures/ops` through [`check_op`]: float forward against tract,
    //! integer reference against float within the derived error bound.
    use crate::testing::{check_op, labels};

    #[test]
    fn slices_and_gathers_are_index_maps() {
        for name in ["slice", "gather", "gather_scalar"] {
            let c = check_op(name);
            assert!(labels(&c.graph).iter().all(|l| *l == "reshape"), "{name}: {:?}", labels(&c.graph));
        }
    }

    #[test]
    fn split_halves_added_back() {
        let c = check_op("split_add");
        assert_eq!(labels(&c.graph), ["add"]);
    }

    #[test]
    fn concat_with_a_constant_token_and_of_two_tensors() {
        let c = check_op("concat_const");
        assert!(labels(&c.graph).contains(&"matmul"), "{:?}", labels(&c.graph));
        let c = check_op("concat_two");
        assert_eq!(labels(&c.graph), ["relu", "concat"]);
    }
}
