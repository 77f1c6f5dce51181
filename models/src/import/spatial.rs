//! Convolution, pooling and reductions: each output element gets its explicit list of input
//! indices (padding positions are simply absent).
use tract_onnx::tract_core::ops::cnn::conv::KernelFormat;
use tract_onnx::tract_core::ops::cnn::{Conv, MaxPool, PoolSpec, SumPool};
use tract_onnx::tract_core::ops::nn::DataFormat;

use super::convert::{Ctx, Lowered, Unsupported};
use super::index::{coords, strides};
use crate::graph::{Affine, AffineKind, Op, Row, Term};

/// Geometry of a 2-D window op over an NCHW (or CHW) tensor.
struct Geometry {
    channels: usize,
    in_hw: [usize; 2],
    out_hw: [usize; 2],
    kernel: [usize; 2],
    strides: [usize; 2],
    dilations: [usize; 2],
    pad_before: [usize; 2],
}

impl Geometry {
    fn new(spec: &PoolSpec, in_shape: &[usize], out_shape: &[usize]) -> Result<Geometry, Unsupported> {
        let ok_format = matches!(spec.data_format, DataFormat::NCHW | DataFormat::CHW);
        let batch = if spec.data_format == DataFormat::NCHW { 1 } else { 0 };
        if !ok_format || in_shape.len() != batch + 3 || spec.kernel_shape.len() != 2 {
            return Err(Unsupported(format!(
                "only 2-D NCHW windows are supported (format {:?}, input shape {in_shape:?})",
                spec.data_format
            )));
        }
        if batch == 1 && in_shape[0] != 1 {
            return Err(Unsupported(format!("batch size {} (only 1 is supported)", in_shape[0])));
        }
        let in_hw = [in_shape[batch + 1], in_shape[batch + 2]];
        let kernel = [spec.kernel_shape[0], spec.kernel_shape[1]];
        let two = |v: &Option<tract_onnx::prelude::TVec<usize>>, what: &str| -> Result<[usize; 2], Unsupported> {
            match v.as_deref() {
                Some(&[a, b]) => Ok([a, b]),
                Some(other) => Err(Unsupported(format!("{what} {other:?} (2 values expected)"))),
                None => Ok([1, 1]),
            }
        };
        let strides = two(&spec.strides, "strides")?;
        let dilations = two(&spec.dilations, "dilations")?;
        let padded = spec.padding.compute(&in_hw, &kernel, &dilations, &strides);
        let (Some(pad_h), Some(pad_w), &[.., oh, ow]) = (padded.first(), padded.get(1), out_shape) else {
            return Err(Unsupported(format!("output shape {out_shape:?} is not a 2-D image")));
        };
        let out_hw = [oh, ow];
        Ok(Geometry {
            channels: in_shape[batch],
            in_hw,
            out_hw,
            kernel,
            strides,
            dilations,
            pad_before: [pad_h.pad_before, pad_w.pad_before],
        })
    }

    /// Input (row, col) positions read by output (oh, ow), kernel offset included; padding skipped.
    fn taps(&self, oh: usize, ow: usize) -> Vec<(usize, usize, usize, usize)> {
        let mut v = vec![];
        for kh in 0..self.kernel[0] {
            for kw in 0..self.kernel[1] {
                let ih = (oh * self.strides[0] + kh * self.dilations[0]) as isize - self.pad_before[0] as isize;
                let iw = (ow * self.strides[1] + kw * self.dilations[1]) as isize - self.pad_before[1] as isize;
                if ih >= 0 && iw >= 0 && (ih as usize) < self.in_hw[0] && (iw as usize) < self.in_hw[1] {
                    v.push((kh, kw, ih as usize, iw as usize));
                }
            }
        }
        v
    }

    fn in_index(&self, c: usize, ih: usize, iw: usize) -> u32 {
        ((c * self.in_hw[0] + ih) * self.in_hw[1] + iw) as u32
    }
}

pub(crate) fn conv(ctx: &Ctx, c: &Conv) -> Lowered {
    if c.q_params.is_some() {
        return Err(Unsupported("quantized Conv is not supported".into()));
    }
    if c.group != 1 {
        return Err(Unsupported(format!("group = {} (only 1 is supported)", c.group)));
    }
    let input = ctx.tensor(0)?;
    let kernel = ctx.konst(1)?;
    let bias = ctx.konst(2)?;
    let g = Geometry::new(&c.pool_spec, &ctx.input_shapes[0], &ctx.out_shape)?;
    let out_ch = c.pool_spec.output_channels;
    let ks = kernel.shape();
    let (kh, kw, cin) = (g.kernel[0], g.kernel[1], g.channels);
    let expected: [usize; 4] = match c.kernel_fmt {
        KernelFormat::OIHW => [out_ch, cin, kh, kw],
        KernelFormat::HWIO => [kh, kw, cin, out_ch],
        KernelFormat::OHWI => [out_ch, kh, kw, cin],
    };
    if ks != expected {
        return Err(Unsupported(format!("kernel shape {ks:?}, expected {expected:?} ({:?})", c.kernel_fmt)));
    }
    let kst = strides(ks);
    let kernel_vals: Vec<f32> = kernel.iter().copied().collect();
    let w_at = |o: usize, i: usize, y: usize, x: usize| -> f32 {
        let c = match c.kernel_fmt {
            KernelFormat::OIHW => [o, i, y, x],
            KernelFormat::HWIO => [y, x, i, o],
            KernelFormat::OHWI => [o, y, x, i],
        };
        kernel_vals[c.iter().zip(&kst).map(|(a, b)| a * b).sum::<usize>()]
    };
    let bias_vals: Vec<f32> = bias.iter().copied().collect();
    if !(bias_vals.len() <= 1 || bias_vals.len() == out_ch) {
        return Err(Unsupported(format!("{} bias values for {out_ch} output channels", bias_vals.len())));
    }
    let bias_at = |o: usize| match bias_vals.len() {
        0 => 0.0,
        1 => bias_vals[0],
        _ => bias_vals[o],
    };
    let mut rows = Vec::with_capacity(out_ch * g.out_hw[0] * g.out_hw[1]);
    for o in 0..out_ch {
        for oh in 0..g.out_hw[0] {
            for ow in 0..g.out_hw[1] {
                let mut terms = vec![];
                for (y, x, ih, iw) in g.taps(oh, ow) {
                    for i in 0..cin {
                        terms.push(Term { src: 0, idx: g.in_index(i, ih, iw), coeff: w_at(o, i, y, x) });
                    }
                }
                rows.push(Row { bias: bias_at(o), terms });
            }
        }
    }
    Ok(Op::Affine(Affine {
        kind: AffineKind::Conv,
        inputs: vec![input],
        rows,
        params: kernel_vals.len() + bias_vals.len(),
    }))
}

fn windows(g: &Geometry) -> Vec<Vec<u32>> {
    let mut out = Vec::with_capacity(g.channels * g.out_hw[0] * g.out_hw[1]);
    for c in 0..g.channels {
        for oh in 0..g.out_hw[0] {
            for ow in 0..g.out_hw[1] {
                out.push(g.taps(oh, ow).into_iter().map(|(_, _, ih, iw)| g.in_index(c, ih, iw)).collect());
            }
        }
    }
    out
}

pub(crate) fn max_pool(ctx: &Ctx, p: &MaxPool) -> Lowered {
    if p.with_index_outputs.is_some() {
        return Err(Unsupported("MaxPool with index output".into()));
    }
    let input = ctx.tensor(0)?;
    let g = Geometry::new(&p.pool_spec, &ctx.input_shapes[0], &ctx.out_shape)?;
    Ok(Op::MaxPool { input, windows: windows(&g) })
}

pub(crate) fn sum_pool(ctx: &Ctx, p: &SumPool) -> Lowered {
    let input = ctx.tensor(0)?;
    let g = Geometry::new(&p.pool_spec, &ctx.input_shapes[0], &ctx.out_shape)?;
    let full = (g.kernel[0] * g.kernel[1]) as f32;
    let rows = windows(&g)
        .into_iter()
        .map(|w| {
            let n = if p.count_include_pad { full } else { w.len() as f32 };
            let coeff = if p.normalize { 1.0 / n } else { 1.0 };
            Row { bias: 0.0, terms: w.into_iter().map(|idx| Term { src: 0, idx, coeff }).collect() }
        })
        .collect();
    Ok(Op::Affine(Affine { kind: AffineKind::Pool, inputs: vec![input], rows, params: 0 }))
}

/// ReduceSum / ReduceMax over `axes` (kept as size-1 dimensions in the output).
pub(crate) fn reduce(ctx: &Ctx, axes: &[usize], max: bool) -> Lowered {
    let input = ctx.tensor(0)?;
    let in_shape = &ctx.input_shapes[0];
    if axes.iter().any(|&a| a >= in_shape.len()) || ctx.out_shape.len() != in_shape.len() {
        return Err(Unsupported(format!("reduction over axes {axes:?} of shape {in_shape:?}")));
    }
    let st = strides(in_shape);
    let red_shape: Vec<usize> = axes.iter().map(|&a| in_shape[a]).collect();
    let red_count: usize = red_shape.iter().product();
    let n_out: usize = ctx.out_shape.iter().product();
    let mut windows = Vec::with_capacity(n_out);
    for o in 0..n_out {
        let mut c = coords(o, &ctx.out_shape);
        let mut w = Vec::with_capacity(red_count);
        for r in 0..red_count {
            for (k, rc) in coords(r, &red_shape).into_iter().enumerate() {
                c[axes[k]] = rc;
            }
            w.push(c.iter().zip(&st).map(|(a, b)| a * b).sum::<usize>() as u32);
        }
        windows.push(w);
    }
    if max {
        return Ok(Op::MaxPool { input, windows });
    }
    let rows = windows
        .into_iter()
        .map(|w| Row { bias: 0.0, terms: w.into_iter().map(|idx| Term { src: 0, idx, coeff: 1.0 }).collect() })
        .collect();
    Ok(Op::Affine(Affine { kind: AffineKind::Pool, inputs: vec![input], rows, params: 0 }))
}

#[cfg(test)]
mod tests {
    //! Each test runs one fixture of `tests/fixtures/ops` through [`check_op`]: float forward
    //! against tract, integer reference against float within the derived error bound.
    use crate::graph::{AffineKind, Op};
    use crate::testing::{check_op, labels};

    fn terms_per_row(g: &crate::Graph) -> Vec<usize> {
        match &g.nodes[..] {
            [n] => match &n.op {
                Op::Affine(a) => a.rows.iter().map(|r| r.terms.len()).collect(),
                Op::MaxPool { windows, .. } => windows.iter().map(Vec::len).collect(),
                other => panic!("{other:?}"),
            },
            _ => panic!("expected one node, got {:?}", labels(g)),
        }
    }

    #[test]
    fn conv_with_bias_and_padding() {
        let c = check_op("conv");
        assert_eq!(labels(&c.graph), ["conv"]);
        // 5x5 output, pad 1: a corner reads 2x2 taps, an edge 2x3, the centre 3x3 (x 2 channels).
        let t = terms_per_row(&c.graph);
        assert_eq!((t.len(), t[0], t[1], t[6]), (75, 8, 12, 18));
        let Op::Affine(a) = &c.graph.nodes[0].op else { unreachable!() };
        assert_eq!(a.kind, AffineKind::Conv);
        assert!(a.rows.iter().any(|r| r.bias != 0.0));
    }

    #[test]
    fn conv_strided_asymmetric_pads_without_bias() {
        let c = check_op("conv_strided_no_bias");
        let Op::Affine(a) = &c.graph.nodes[0].op else { panic!("{:?}", labels(&c.graph)) };
        assert!(a.rows.iter().all(|r| r.bias == 0.0));
        assert_eq!(c.graph.output_shape(), &[1, 2, 3, 7]);
    }

    #[test]
    fn maxpool_without_padding() {
        let c = check_op("maxpool");
        assert_eq!(labels(&c.graph), ["maxpool"]);
        assert_eq!(terms_per_row(&c.graph), vec![4; 8]);
    }

    #[test]
    fn maxpool_with_padding_and_stride() {
        let c = check_op("maxpool_pad_stride");
        // 3x3 windows, stride 2, pad 1 on 5x5: corners see 2x2, edges 2x3, the centre 3x3.
        let t = terms_per_row(&c.graph);
        assert_eq!(&t[..9], &[4, 6, 4, 6, 9, 6, 4, 6, 4]);
    }

    /// The coefficient of every term of the top-left output (a corner window of 2x2 taps).
    fn corner_coeff(name: &str) -> f32 {
        let c = check_op(name);
        assert_eq!(labels(&c.graph), ["avgpool"]);
        let Op::Affine(a) = &c.graph.nodes[0].op else { unreachable!() };
        assert_eq!(a.rows[0].terms.len(), 4);
        a.rows[0].terms[0].coeff
    }

    #[test]
    fn avgpool_count_include_pad() {
        assert_eq!(corner_coeff("avgpool_count_pad_1"), 1.0 / 9.0);
    }

    #[test]
    fn avgpool_count_exclude_pad() {
        assert_eq!(corner_coeff("avgpool_count_pad_0"), 1.0 / 4.0);
    }

    #[test]
    fn global_avgpool_is_one_mean() {
        // ReduceSum and the 1/n scale compose into one affine op.
        let c = check_op("global_avgpool");
        assert_eq!(labels(&c.graph), ["avgpool"]);
        let Op::Affine(a) = &c.graph.nodes[0].op else { unreachable!() };
        assert!(a.rows.iter().all(|r| r.terms.len() == 16 && r.terms.iter().all(|t| t.coeff == 1.0 / 16.0)));
    }
}
