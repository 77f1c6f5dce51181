//! Element-wise ops: Add/Sub/Mul/Div with a constant or between two tensors, Max(x, 0) (ReLU),
//! and the functions of one input that become lookup tables: Sigmoid, Tanh, GELU (tract's
//! `GeluExact`, which its declutter makes of ONNX `Gelu` and of the exporters' Erf chain, and
//! `GeluApproximate`, the tanh form), SiLU (`x * Sigmoid(x)`, tract's `Silu`), Erf, HardSwish
//! and Abs. Broadcasting follows numpy.
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::element_wise::ElementWiseOp;
use tract_onnx::tract_core::ops::math::{Abs, Add, Div, Erf, Max, Mul, Square, Sub, SubF, Tanh};
use tract_onnx::tract_core::ops::nn::gelu_approximate::GeluApproximate;
use tract_onnx::tract_core::ops::nn::gelu_exact::GeluExact;
use tract_onnx::tract_core::ops::nn::silu::Silu;
use tract_onnx::tract_core::ops::nn::{HardSwish, Sigmoid};

use super::convert::{Ctx, Lowered, Unsupported, Value};
use super::index::{broadcast_index, coords};
use crate::graph::{Affine, AffineKind, Nonlinearity, Op, Row, Term};

/// The arithmetic a binary op performs, as a typed value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Arith {
    Add,
    /// `a - b`
    Sub,
    /// `b - a` (tract's flipped subtraction)
    SubF,
    Mul,
    Div,
    Max,
}

fn arith(b: &TypedBinOp) -> Option<Arith> {
    let op = &b.0;
    if op.is::<Add>() {
        Some(Arith::Add)
    } else if op.is::<Sub>() {
        Some(Arith::Sub)
    } else if op.is::<SubF>() {
        Some(Arith::SubF)
    } else if op.is::<Mul>() {
        Some(Arith::Mul)
    } else if op.is::<Div>() {
        Some(Arith::Div)
    } else if op.is::<Max>() {
        Some(Arith::Max)
    } else {
        None
    }
}

pub(crate) fn binary(ctx: &Ctx, b: &TypedBinOp) -> Lowered {
    let Some(kind) = arith(b) else {
        return Err(Unsupported(format!("binary op {} is not supported", b.0.name())));
    };
    if ctx.inputs.len() != 2 || ctx.input_shapes.iter().any(|s| s.len() > ctx.out_shape.len()) {
        return Err(Unsupported(format!("{kind:?} of shapes {:?} into {:?}", ctx.input_shapes, ctx.out_shape)));
    }
    let out_shape = &ctx.out_shape;
    let n: usize = out_shape.iter().product();
    let idx = |o: usize, slot: usize| broadcast_index(&coords(o, out_shape), &ctx.input_shapes[slot]) as u32;
    // Sign of each operand in a sum: a + b, a - b, b - a.
    let signs = match kind {
        Arith::Add => Some((1.0, 1.0)),
        Arith::Sub => Some((1.0, -1.0)),
        Arith::SubF => Some((-1.0, 1.0)),
        _ => None,
    };
    match (&ctx.inputs[0], &ctx.inputs[1]) {
        (Value::Tensor(a), Value::Tensor(bt)) => {
            let Some((sa, sb)) = signs else {
                return match kind {
                    Arith::Mul => super::product::mul(ctx),
                    _ => Err(Unsupported(format!("{kind:?} of two activations is not supported"))),
                };
            };
            let rows = (0..n)
                .map(|o| Row {
                    bias: 0.0,
                    terms: vec![
                        Term { src: 0, idx: idx(o, 0), coeff: sa },
                        Term { src: 1, idx: idx(o, 1), coeff: sb },
                    ],
                })
                .collect();
            Ok(Op::Affine(Affine { kind: AffineKind::Residual, inputs: vec![*a, *bt], rows, params: 0 }))
        }
        (Value::Tensor(_), Value::Const(_)) | (Value::Const(_), Value::Tensor(_)) => {
            let t_slot = if matches!(ctx.inputs[0], Value::Tensor(_)) { 0 } else { 1 };
            let c_slot = 1 - t_slot;
            let input = ctx.tensor(t_slot)?;
            let c: Vec<f32> = ctx.konst(c_slot)?.iter().copied().collect();
            if kind == Arith::Max {
                return if c.iter().all(|&v| v == 0.0) {
                    Ok(Op::Activation { input, f: Nonlinearity::Relu })
                } else {
                    Err(Unsupported("Max with a nonzero constant (Clip) is not supported".into()))
                };
            }
            if kind == Arith::Div && t_slot == 1 {
                return Err(Unsupported("division by an activation is not supported".into()));
            }
            let rows = (0..n)
                .map(|o| {
                    let cv = c[idx(o, c_slot) as usize];
                    let (coeff, bias) = match kind {
                        Arith::Mul => (cv, 0.0),
                        Arith::Div => (1.0 / cv, 0.0),
                        _ => {
                            let (sa, sb) = signs.unwrap_or((1.0, 1.0));
                            let (st, sc) = if t_slot == 0 { (sa, sb) } else { (sb, sa) };
                            (st, sc * cv)
                        }
                    };
                    Row { bias, terms: vec![Term { src: 0, idx: idx(o, t_slot), coeff }] }
                })
                .collect();
            Ok(Op::Affine(Affine { kind: AffineKind::Scale, inputs: vec![input], rows, params: c.len() }))
        }
        _ => Err(Unsupported("operates on constants only".into())),
    }
}

/// The table function of a tract element-wise op, if it is one.
fn table_function(e: &ElementWiseOp) -> Result<Nonlinearity, Unsupported> {
    let op = &e.0;
    if op.is::<Sigmoid>() {
        Ok(Nonlinearity::Sigmoid)
    } else if op.is::<Tanh>() {
        Ok(Nonlinearity::Tanh)
    } else if op.is::<GeluExact>() {
        Ok(Nonlinearity::Gelu)
    } else if let Some(g) = op.downcast_ref::<GeluApproximate>() {
        if g.fast_impl {
            // tract's rewrite of 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x²))), not a GELU any
            // exporter writes.
            Err(Unsupported("GeluApproximate with x² instead of x³ is not supported".into()))
        } else {
            Ok(Nonlinearity::GeluTanh)
        }
    } else if op.is::<Silu>() {
        Ok(Nonlinearity::Silu)
    } else if op.is::<Erf>() {
        Ok(Nonlinearity::Erf)
    } else if op.is::<HardSwish>() {
        Ok(Nonlinearity::HardSwish)
    } else if op.is::<Abs>() {
        Ok(Nonlinearity::Abs)
    } else {
        Err(Unsupported(format!("element-wise {} is not supported", op.name())))
    }
}

pub(crate) fn unary(ctx: &Ctx, e: &ElementWiseOp) -> Lowered {
    if e.0.is::<Square>() {
        return super::product::square(ctx);
    }
    let input = ctx.tensor(0)?;
    let f = table_function(e)?;
    if ctx.input_shapes[0] != ctx.out_shape {
        return Err(Unsupported("element-wise op changes shape".into()));
    }
    Ok(Op::Activation { input, f })
}

#[cfg(test)]
mod tests {
    //! Each test runs one fixture of `tests/fixtures/ops` through [`check_op`]: float forward
    //! against tract, integer reference against float within the derived error bound.
    use crate::graph::{AffineKind, Nonlinearity, Op};
    use crate::quant::{QAct, QOp};
    use crate::testing::{check_op, labels};

    /// One affine op of `kind`, each row with `terms` terms.
    fn assert_affine(g: &crate::Graph, kind: AffineKind, terms: usize) {
        let last = g.nodes.last().map(|n| &n.op);
        match last {
            Some(Op::Affine(a)) => {
                assert_eq!(a.kind, kind);
                assert!(a.rows.iter().all(|r| r.terms.len() == terms), "{:?}", a.rows);
            }
            other => panic!("expected an affine op last, got {other:?}"),
        }
    }

    #[test]
    fn add_constant_broadcast_per_channel() {
        let c = check_op("add_const");
        assert_eq!(labels(&c.graph), ["scale"]);
        assert_affine(&c.graph, AffineKind::Scale, 1);
    }

    #[test]
    fn sub_constant_both_operand_orders() {
        // `c2 - (x - c1)`: both subtractions compose into one affine map.
        let c = check_op("sub_const");
        assert_eq!(labels(&c.graph), ["scale"]);
        match &c.graph.nodes[0].op {
            Op::Affine(a) => assert!(a.rows.iter().all(|r| r.terms[0].coeff == -1.0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mul_constant() {
        let c = check_op("mul_const");
        assert_eq!(labels(&c.graph), ["scale"]);
    }

    #[test]
    fn div_constant() {
        let c = check_op("div_const");
        assert_eq!(labels(&c.graph), ["scale"]);
    }

    #[test]
    fn residual_add_of_two_tensors() {
        let c = check_op("residual_add");
        assert_eq!(labels(&c.graph), ["matmul", "add"]);
        assert_affine(&c.graph, AffineKind::Residual, 2);
    }

    #[test]
    fn residual_sub_of_two_tensors() {
        let c = check_op("residual_sub");
        assert_eq!(labels(&c.graph), ["matmul", "add"]);
        assert_affine(&c.graph, AffineKind::Residual, 2);
    }

    #[test]
    fn relu_alone() {
        let c = check_op("relu");
        assert_eq!(labels(&c.graph), ["relu"]);
    }

    #[test]
    fn sigmoid_alone() {
        let c = check_op("sigmoid");
        assert_eq!(labels(&c.graph), ["sigmoid"]);
    }

    #[test]
    fn tanh_alone() {
        let c = check_op("tanh");
        assert_eq!(labels(&c.graph), ["tanh"]);
    }

    /// After a Gemm, the activation is fused into the affine layer: one quantized layer.
    fn assert_fused(name: &str, f: Nonlinearity) {
        let c = check_op(name);
        assert_eq!(labels(&c.graph), ["matmul", f.label()]);
        match &c.model.layers[..] {
            [l] => match &l.op {
                QOp::Affine { act: QAct::Relu, .. } => assert_eq!(f, Nonlinearity::Relu),
                QOp::Affine { act: QAct::Table { f: g, .. }, .. } => assert_eq!(*g, f),
                other => panic!("{name}: {other:?}"),
            },
            layers => panic!("{name}: {} layers", layers.len()),
        }
    }

    #[test]
    fn relu_fused_after_gemm() {
        assert_fused("gemm_relu", Nonlinearity::Relu);
    }

    #[test]
    fn sigmoid_fused_after_gemm() {
        assert_fused("gemm_sigmoid", Nonlinearity::Sigmoid);
    }

    #[test]
    fn tanh_fused_after_gemm() {
        assert_fused("gemm_tanh", Nonlinearity::Tanh);
    }

    /// One table activation `f`, standalone: the fixture's whole graph is that one op.
    fn assert_alone(name: &str, f: Nonlinearity) {
        let c = check_op(name);
        assert_eq!(labels(&c.graph), [f.label()], "{name}");
        match &c.model.layers[..] {
            [l] => assert!(matches!(&l.op, QOp::Activation { act: QAct::Table { f: g, .. }, .. } if *g == f), "{name}: {:?}", l.op),
            layers => panic!("{name}: {} layers", layers.len()),
        }
    }

    #[test]
    fn gelu_in_every_form_exporters_write() {
        // ONNX Gelu (opset 20) and the Erf chain of older exports: both tract's GeluExact.
        assert_alone("gelu", Nonlinearity::Gelu);
        assert_alone("gelu_erf_chain", Nonlinearity::Gelu);
        // The tanh approximation, as an op and as GPT-2's Pow/Tanh chain.
        assert_alone("gelu_tanh", Nonlinearity::GeluTanh);
        assert_alone("gelu_tanh_chain", Nonlinearity::GeluTanh);
    }

    #[test]
    fn gelu_fused_after_gemm() {
        assert_fused("gemm_gelu", Nonlinearity::Gelu);
    }

    #[test]
    fn other_functions_of_one_input_are_tables() {
        assert_alone("silu", Nonlinearity::Silu);
        assert_alone("erf", Nonlinearity::Erf);
        assert_alone("hard_swish", Nonlinearity::HardSwish);
        assert_alone("abs", Nonlinearity::Abs);
    }

    #[test]
    fn a_tanh_chain_with_a_square_is_not_a_gelu() {
        // Pow(x, 2) in place of Pow(x, 3): not fused into a GELU; its Square (tract's) and its
        // Mul of two activations are products, the Tanh a table.
        let c = check_op("gelu_pow2_chain");
        let l = labels(&c.graph);
        assert!(!l.contains(&"gelu_tanh") && l.contains(&"tanh") && l.contains(&"mul_act"), "{l:?}");
    }

    #[test]
    fn identity_dropout_constant_disappear() {
        // Identity -> Dropout -> Add(Constant): only the Add is left.
        let c = check_op("identity_dropout_constant");
        assert_eq!(labels(&c.graph), ["scale"]);
        assert_affine(&c.graph, AffineKind::Scale, 1);
    }
}
