//! tract's `Softmax` (ONNX Softmax, torch's `softmax(-1)`) along its axes: one row per index
//! of the other axes ([`crate::softmax`] holds the semantics).
use std::collections::HashMap;

use tract_onnx::tract_core::ops::nn::{Softmax, SoftmaxKind};

use super::convert::{Ctx, Lowered, Unsupported, Value};
use super::index::coords;
use crate::graph::Op;

pub(crate) fn softmax(ctx: &Ctx, s: &Softmax) -> Lowered {
    if s.kind != SoftmaxKind::Softmax || s.quant_output_dt.is_some() {
        return Err(Unsupported(format!("{:?} (quantized output: {:?}) is not supported", s.kind, s.quant_output_dt)));
    }
    let (input, masked) = match ctx.inputs.first() {
        Some(Value::Masked { tensor, masked }) => (*tensor, masked.clone()),
        _ => (ctx.tensor(0)?, vec![]),
    };
    let shape = &ctx.input_shapes[0];
    if s.axes.is_empty() || s.axes.iter().any(|&a| a >= shape.len()) || ctx.out_shape != *shape {
        return Err(Unsupported(format!("softmax over axes {:?} of shape {shape:?}", s.axes)));
    }
    let n: usize = shape.iter().product();
    let mut row_of: HashMap<Vec<usize>, usize> = HashMap::new();
    let mut rows: Vec<Vec<u32>> = vec![];
    for i in 0..n {
        let mut key = coords(i, shape);
        for &a in &s.axes {
            key[a] = 0;
        }
        let next = rows.len();
        let r = *row_of.entry(key).or_insert(next);
        if r == next {
            rows.push(vec![]);
        }
        if !masked.get(i).copied().unwrap_or(false) {
            rows[r].push(i as u32);
        }
    }
    if rows.iter().any(Vec::is_empty) {
        return Err(Unsupported("a softmax row is masked entirely (its float value is NaN)".into()));
    }
    let masked = (0..n as u32).filter(|&i| masked.get(i as usize).copied().unwrap_or(false)).collect();
    Ok(Op::Softmax { input, rows, masked })
}

#[cfg(test)]
mod tests {
    use crate::graph::Op;
    use crate::testing::{check_op, labels};

    #[test]
    fn softmax_rows_along_the_last_axis() {
        let c = check_op("softmax");
        assert_eq!(labels(&c.graph), ["softmax"]);
        let Op::Softmax { rows, .. } = &c.graph.nodes[0].op else { panic!() };
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1], [5, 6, 7, 8, 9]);
    }

    #[test]
    fn softmax_along_a_middle_axis() {
        let c = check_op("softmax_axis1");
        let Op::Softmax { rows, .. } = &c.graph.nodes[0].op else { panic!() };
        assert_eq!(rows[0], [0, 5, 10]);
    }

    #[test]
    fn attention_with_softmax() {
        let c = check_op("attention_softmax");
        assert!(labels(&c.graph).contains(&"softmax"), "{:?}", labels(&c.graph));
    }
}
