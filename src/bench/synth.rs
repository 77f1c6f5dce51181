//! Synthetic models for benchmarks, built directly in the [`Graph`] IR with a seeded generator
//! (no Python, no files): the MLP family `64-H-H-10` and one small graph per chip.
use std::path::PathBuf;

use zkinfer_models::graph::{Affine, AffineKind, Graph, Node, Nonlinearity, Op, Row, Term};
use zkinfer_models::quant::{calibrate, quantize};
use zkinfer_models::QuantConfig;

use crate::pipeline::{Calibration, PipelineError, Prepared};

/// SplitMix64: a tiny deterministic generator, so that a seed gives the same model on every
/// machine and with every version of `rand`.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Uniform in `[-a, a)`.
    pub fn sym(&mut self, a: f32) -> f32 {
        (2.0 * self.unit() - 1.0) * a
    }
}

/// A dense layer `n_in -> n_out` reading tensor `input`, He-uniform weights, small biases.
fn dense(rng: &mut SplitMix, name: &str, input: usize, n_in: usize, n_out: usize) -> Node {
    let limit = (6.0 / n_in as f32).sqrt();
    let rows = (0..n_out)
        .map(|_| Row {
            bias: rng.sym(0.1),
            terms: (0..n_in as u32).map(|idx| Term { src: 0, idx, coeff: rng.sym(limit) }).collect(),
        })
        .collect();
    let a = Affine { kind: AffineKind::MatMul, inputs: vec![input], rows, params: n_in * n_out + n_out };
    Node { name: name.into(), op: Op::Affine(a), shape: vec![1, n_out] }
}

fn act(name: &str, input: usize, f: Nonlinearity, shape: Vec<usize>) -> Node {
    Node { name: name.into(), op: Op::Activation { input, f }, shape }
}

/// An MLP with layer widths `widths` (e.g. `[64, 512, 512, 10]`): Gemm, ReLU, ..., Gemm.
pub fn mlp(widths: &[usize], seed: u64) -> Graph {
    let mut rng = SplitMix(seed);
    let mut nodes: Vec<Node> = vec![];
    let n_layers = widths.len().saturating_sub(1);
    for (l, w) in widths.windows(2).enumerate() {
        nodes.push(dense(&mut rng, &format!("fc{}", l + 1), nodes.len(), w[0], w[1]));
        if l + 1 < n_layers {
            nodes.push(act(&format!("relu{}", l + 1), nodes.len(), Nonlinearity::Relu, vec![1, w[1]]));
        }
    }
    Graph { input_shape: vec![1, widths.first().copied().unwrap_or(0)], nodes }
}

/// `y = W x` for a random `n x n` matrix: one matrix-vector product (and its rescale).
pub fn matvec(n: usize, seed: u64) -> Graph {
    let mut rng = SplitMix(seed);
    Graph { input_shape: vec![1, n], nodes: vec![dense(&mut rng, "matvec", 0, n, n)] }
}

/// An element-wise activation over `n` inputs (a standalone layer, not fused).
pub fn activation(n: usize, f: Nonlinearity) -> Graph {
    Graph { input_shape: vec![1, n], nodes: vec![act(f.label(), 0, f, vec![1, n])] }
}

/// A 3x3 convolution, padding 1, stride 1, `c_in -> c_out` channels on an `s x s` image.
pub fn conv(c_in: usize, c_out: usize, s: usize, seed: u64) -> Graph {
    let mut rng = SplitMix(seed);
    let limit = (6.0 / (9 * c_in) as f32).sqrt();
    let w: Vec<f32> = (0..c_out * c_in * 9).map(|_| rng.sym(limit)).collect();
    let mut rows = Vec::with_capacity(c_out * s * s);
    for o in 0..c_out {
        let bias = rng.sym(0.1);
        for y in 0..s as i64 {
            for x in 0..s as i64 {
                let mut terms = vec![];
                for c in 0..c_in {
                    for (dy, dx) in (-1..=1).flat_map(|dy| (-1..=1).map(move |dx| (dy, dx))) {
                        let (yy, xx) = (y + dy, x + dx);
                        if yy < 0 || xx < 0 || yy >= s as i64 || xx >= s as i64 {
                            continue;
                        }
                        let widx = ((o * c_in + c) * 3 + (dy + 1) as usize) * 3 + (dx + 1) as usize;
                        let idx = (c * s * s) as u32 + (yy as u32) * s as u32 + xx as u32;
                        terms.push(Term { src: 0, idx, coeff: w[widx] });
                    }
                }
                rows.push(Row { bias, terms });
            }
        }
    }
    let a = Affine { kind: AffineKind::Conv, inputs: vec![0], rows, params: w.len() + c_out };
    Graph { input_shape: vec![1, c_in, s, s], nodes: vec![Node { name: "conv".into(), op: Op::Affine(a), shape: vec![1, c_out, s, s] }] }
}

/// 2x2 windows, stride 2, over `c` channels of an `s x s` image (`s` even).
fn windows(c: usize, s: usize) -> Vec<Vec<u32>> {
    let h = s / 2;
    let mut out = Vec::with_capacity(c * h * h);
    for ch in 0..c {
        for y in 0..h {
            for x in 0..h {
                let at = |dy: usize, dx: usize| (ch * s * s + (2 * y + dy) * s + 2 * x + dx) as u32;
                out.push(vec![at(0, 0), at(0, 1), at(1, 0), at(1, 1)]);
            }
        }
    }
    out
}

/// 2x2 max pooling, stride 2, over `c x s x s`.
pub fn maxpool(c: usize, s: usize) -> Graph {
    let node = Node { name: "maxpool".into(), op: Op::MaxPool { input: 0, windows: windows(c, s) }, shape: vec![1, c, s / 2, s / 2] };
    Graph { input_shape: vec![1, c, s, s], nodes: vec![node] }
}

/// 2x2 average pooling, stride 2, over `c x s x s` (an affine op with weights 1/4).
pub fn avgpool(c: usize, s: usize) -> Graph {
    let rows = windows(c, s)
        .into_iter()
        .map(|w| Row { bias: 0.0, terms: w.into_iter().map(|idx| Term { src: 0, idx, coeff: 0.25 }).collect() })
        .collect();
    let a = Affine { kind: AffineKind::Pool, inputs: vec![0], rows, params: 0 };
    let node = Node { name: "avgpool".into(), op: Op::Affine(a), shape: vec![1, c, s / 2, s / 2] };
    Graph { input_shape: vec![1, c, s, s], nodes: vec![node] }
}

/// `n` random samples of `len` values: uniform in `[0, 1)` (like the zoo's scaled pixels), or
/// in `[-1, 1)` with `signed` (so that activations see both signs).
pub fn samples(len: usize, n: usize, signed: bool, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = SplitMix(seed);
    (0..n).map(|_| (0..len).map(|_| if signed { rng.sym(1.0) } else { rng.unit() }).collect()).collect()
}

/// Calibrate `graph` on `calibration`, quantize it and lower it, like
/// [`crate::pipeline::prepare`] does for an ONNX file.
pub fn prepare_graph(graph: Graph, calibration: &[Vec<f32>], cfg: &QuantConfig) -> Result<Prepared, PipelineError> {
    let max_abs = calibrate(&graph, calibration)?;
    let quant = quantize(&graph, &max_abs, cfg)?;
    Ok(crate::pipeline::prepared_from(graph, quant, Calibration::File(PathBuf::from("(synthetic)"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_graphs_are_valid_and_deterministic() {
        for g in [mlp(&[64, 16, 16, 10], 1), matvec(8, 2), activation(8, Nonlinearity::Sigmoid), conv(2, 3, 4, 3), maxpool(2, 4), avgpool(2, 4)] {
            g.validate().unwrap();
        }
        assert_eq!(mlp(&[8, 4, 2], 7), mlp(&[8, 4, 2], 7));
        assert_ne!(mlp(&[8, 4, 2], 7), mlp(&[8, 4, 2], 8));
        let g = mlp(&[64, 16, 16, 10], 1);
        assert_eq!(g.nodes.len(), 5);
        assert_eq!(g.output_shape(), &[1, 10]);
    }

    #[test]
    fn synthetic_mlp_quantizes_and_runs() {
        let g = mlp(&[64, 32, 32, 10], 5);
        let cal = samples(64, 16, false, 9);
        let p = prepare_graph(g, &cal, &QuantConfig::default()).unwrap();
        // Relu is fused into the matmul before it: three layers.
        assert_eq!(p.quant.layers.len(), 3);
        let x = p.quant.quantize_input(&cal[0]).unwrap();
        assert_eq!(p.quant.forward(&x).unwrap().output().len(), 10);
    }
}
