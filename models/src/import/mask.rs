//! tract's `Iff` (ONNX `Where`) with a constant condition: a selection between two values per
//! element. With finite branches it is an index map with constants (an affine `Concat`-kind
//! map: each row copies one value or holds a constant). With a minus-infinity branch (torch's
//! `masked_fill(mask, -inf)` of causal attention, or a constant at or below `-1e30` such as
//! `torch.finfo(float32).min`), and an `Add` of a constant of 0 and such fills (Hugging Face's
//! additive causal mask, [`additive`]), it marks the selected elements as masked: only a `Softmax` may
//! read such a tensor, and its masked outputs are exactly 0 (`exp(-inf) = 0`).
use super::convert::{Ctx, Unsupported, Value, MASK_FILL};
use super::index::{broadcast_index, coords};
use crate::graph::{Affine, AffineKind, Op, Row, Term};

/// An additive mask: `x + c` with every `c` either 0 or at or below `-1e30` (Hugging Face's
/// `(1 - mask) * finfo.min` causal mask) marks the elements where `c` is the fill; `None` when
/// the op is not such an `Add` (then it is lowered as usual).
pub(crate) fn additive(ctx: &Ctx) -> Option<Result<Value, Unsupported>> {
    let (t, c, c_slot) = match (ctx.inputs.first(), ctx.inputs.get(1)) {
        (Some(Value::Tensor(t)), Some(Value::Const(c))) => (*t, c, 1),
        (Some(Value::Const(c)), Some(Value::Tensor(t))) => (*t, c, 0),
        _ => return None,
    };
    if !c.iter().any(|&v| v <= MASK_FILL) {
        return None;
    }
    if c.iter().any(|&v| v > MASK_FILL && v != 0.0) {
        return Some(Err(Unsupported("an additive mask with values other than 0 and the fill".into())));
    }
    let out = &ctx.out_shape;
    if ctx.input_shapes[1 - c_slot] != *out {
        return Some(Err(Unsupported("an additive mask that broadcasts the masked tensor".into())));
    }
    let n: usize = out.iter().product();
    let masked = (0..n)
        .map(|o| c.iter().nth(broadcast_index(&coords(o, out), &ctx.input_shapes[c_slot])).is_some_and(|&v| v <= MASK_FILL))
        .collect();
    Some(Ok(Value::Masked { tensor: t, masked }))
}

/// What a constant-condition `Iff` becomes.
pub(crate) enum Selected {
    Op(Op),
    Masked(Value),
    /// Every element picks one tensor of the output's shape: that tensor itself.
    Pass(Value),
}

/// The selection `out[j] = cond[j] ? a[j] : b[j]` (numpy broadcasting; inputs cond, a, b).
pub(crate) fn iff(ctx: &Ctx) -> Result<Selected, Unsupported> {
    let out = &ctx.out_shape;
    let n: usize = out.iter().product();
    let cond = match ctx.inputs.first() {
        Some(Value::Const(c)) => c,
        _ => return Err(Unsupported("Where with a computed condition is not supported".into())),
    };
    let idx = |o: usize, slot: usize| broadcast_index(&coords(o, out), &ctx.input_shapes[slot]);
    let pick: Vec<bool> = (0..n).map(|o| cond.iter().nth(idx(o, 0)).is_some_and(|&c| c != 0.0)).collect();
    for (slot, all) in [(1, pick.iter().all(|&p| p)), (2, pick.iter().all(|&p| !p))] {
        if let (true, Value::Tensor(t)) = (all, &ctx.inputs[slot]) {
            if ctx.input_shapes[slot] == *out {
                return Ok(Selected::Pass(Value::Tensor(*t)));
            }
        }
    }
    match (&ctx.inputs[1], &ctx.inputs[2]) {
        (Value::NegInf, Value::Tensor(t)) | (Value::Tensor(t), Value::NegInf) => {
            if ctx.input_shapes[if matches!(ctx.inputs[1], Value::NegInf) { 2 } else { 1 }] != *out {
                return Err(Unsupported("a -inf mask over a broadcast tensor is not supported".into()));
            }
            let neg_first = matches!(ctx.inputs[1], Value::NegInf);
            let masked = pick.iter().map(|&p| p == neg_first).collect();
            Ok(Selected::Masked(Value::Masked { tensor: *t, masked }))
        }
        (a, b) => {
            let mut inputs = vec![];
            let mut src = |v: &Value| -> Result<Option<u8>, Unsupported> {
                match v {
                    Value::Tensor(t) => {
                        inputs.push(*t);
                        Ok(Some((inputs.len() - 1) as u8))
                    }
                    Value::Const(_) => Ok(None),
                    _ => Err(Unsupported("Where of a masked tensor".into())),
                }
            };
            let srcs = [src(a)?, src(b)?];
            if inputs.is_empty() {
                return Err(Unsupported("operates on constants only".into()));
            }
            let mut constants = 0;
            let rows = (0..n)
                .map(|o| {
                    let slot = if pick[o] { 1 } else { 2 };
                    match (&ctx.inputs[slot], srcs[slot - 1]) {
                        (_, Some(s)) => Row { bias: 0.0, terms: vec![Term { src: s, idx: idx(o, slot) as u32, coeff: 1.0 }] },
                        (Value::Const(k), None) => {
                            constants += 1;
                            Row { bias: k.iter().nth(idx(o, slot)).copied().unwrap_or(0.0), terms: vec![] }
                        }
                        _ => Row::default(),
                    }
                })
                .collect();
            Ok(Selected::Op(Op::Affine(Affine { kind: AffineKind::Concat, inputs, rows, params: constants })))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::Op;
    use crate::testing::{check_op, fixture, labels};

    #[test]
    fn a_causal_mask_becomes_masked_softmax_outputs() {
        for name in ["causal_softmax", "causal_finfo"] {
            let c = check_op(name);
            assert_eq!(labels(&c.graph), ["softmax"], "{name}");
            let Op::Softmax { rows, masked, .. } = &c.graph.nodes[0].op else { panic!() };
            // 4 x 4, strictly upper triangle masked: rows of 1, 2, 3, 4 elements.
            assert_eq!(masked, &[1, 2, 3, 6, 7, 11], "{name}");
            assert_eq!(rows.iter().map(Vec::len).collect::<Vec<_>>(), [1, 2, 3, 4], "{name}");
        }
    }

    #[test]
    fn an_additive_finfo_min_mask_is_a_mask_too() {
        let c = check_op("causal_add");
        assert_eq!(labels(&c.graph), ["softmax"]);
        let Op::Softmax { masked, .. } = &c.graph.nodes[0].op else { panic!() };
        // Two heads of 4 x 4, the strict upper triangle of each.
        assert_eq!(masked, &[1, 2, 3, 6, 7, 11, 17, 18, 19, 22, 23, 27]);
    }

    #[test]
    fn a_finite_where_is_an_index_map_with_constants() {
        let c = check_op("where_const");
        assert_eq!(labels(&c.graph), ["concat"]);
    }

    #[test]
    fn a_mask_read_by_another_op_is_listed() {
        let e = crate::load_onnx(&fixture("ops/masked_relu.onnx")).unwrap_err();
        let crate::ModelError::Unsupported { nodes, .. } = &e else { panic!("{e}") };
        assert!(nodes.iter().any(|n| n.reason.contains("only a Softmax")), "{e}");
    }
}
