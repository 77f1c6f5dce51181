//! tract's `RmsNorm` (what its declutter makes of ONNX LayerNormalization, after the centering
//! `x − mean(x)`, and of torch's `RMSNorm`): one row per index of the other axes
//! ([`crate::norm`] holds the semantics and the quantization).
use std::collections::HashMap;

use tract_onnx::tract_core::ops::nn::RmsNorm;

use super::convert::{Ctx, Lowered, Unsupported};
use super::index::coords;
use crate::graph::Op;

pub(crate) fn rms_norm(ctx: &Ctx, r: &RmsNorm) -> Lowered {
    let input = ctx.tensor(0)?;
    let shape = &ctx.input_shapes[0];
    if r.axis >= shape.len() || ctx.out_shape != *shape {
        return Err(Unsupported(format!("RmsNorm over axis {} of shape {shape:?}", r.axis)));
    }
    let eps = r
        .eps
        .cast_to_scalar::<f32>()
        .map_err(|e| Unsupported(format!("RmsNorm eps: {e}")))?;
    if !eps.is_finite() || eps < 0.0 {
        return Err(Unsupported(format!("RmsNorm eps {eps}")));
    }
    let n: usize = shape.iter().product();
    let mut row_of: HashMap<Vec<usize>, usize> = HashMap::new();
    let mut rows: Vec<Vec<u32>> = vec![];
    for i in 0..n {
        let mut key = coords(i, shape);
        key[r.axis] = 0;
        let next = rows.len();
        let at = *row_of.entry(key).or_insert(next);
        if at == next {
            rows.push(vec![]);
        }
        rows[at].push(i as u32);
    }
    Ok(Op::RmsNorm { input, rows, eps })
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_op_away_from_zero as check_op, labels};

    #[test]
    fn layer_normalization_is_centering_rms_norm_scale_and_shift() {
        let c = check_op("layer_norm");
        let l = labels(&c.graph);
        assert!(l.contains(&"rms_norm"), "{l:?}");
        // Quantized: the sum of squares with the rsqrt table, then the product.
        let names: Vec<&str> = c.model.layers.iter().map(|l| l.name.as_str()).collect();
        assert!(names.iter().any(|n| n.ends_with(".rsqrt")), "{names:?}");
    }

    #[test]
    fn the_decomposed_rms_chain_is_tracts_rms_norm() {
        // Mul(x, x), ReduceMean, Add eps, Sqrt, Div: tract fuses them into one RmsNorm.
        let c = check_op("rms_norm_chain");
        assert_eq!(labels(&c.graph), ["rms_norm"]);
    }
}
