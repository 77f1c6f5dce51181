//! The float reference forward pass over the [`Graph`] IR (f64 accumulation).
use rayon::prelude::*;

use crate::graph::{Graph, Op, TensorId};

/// Rows times terms above which an affine op is evaluated in parallel.
const PAR_THRESHOLD: usize = 1 << 14;

/// Run the graph; returns every tensor (index = tensor id), the input first.
pub fn forward(graph: &Graph, input: &[f32]) -> Vec<Vec<f32>> {
    let mut tensors: Vec<Vec<f32>> = Vec::with_capacity(graph.nodes.len() + 1);
    tensors.push(input.to_vec());
    for node in &graph.nodes {
        let get = |t: TensorId| &tensors[t];
        let out: Vec<f32> = match &node.op {
            Op::Affine(a) => {
                let srcs: Vec<&Vec<f32>> = a.inputs.iter().map(|&t| get(t)).collect();
                let eval = |r: &crate::graph::Row| {
                    let s: f64 = r.terms.iter().map(|t| t.coeff as f64 * srcs[t.src as usize][t.idx as usize] as f64).sum();
                    (s + r.bias as f64) as f32
                };
                let work: usize = a.rows.iter().map(|r| r.terms.len()).sum();
                if work > PAR_THRESHOLD {
                    a.rows.par_iter().map(eval).collect()
                } else {
                    a.rows.iter().map(eval).collect()
                }
            }
            Op::Activation { input, f } => get(*input).iter().map(|&x| f.apply(x as f64) as f32).collect(),
            Op::MaxPool { input, windows } => {
                let x = get(*input);
                windows
                    .iter()
                    .map(|w| w.iter().map(|&i| x[i as usize]).fold(f32::NEG_INFINITY, f32::max))
                    .collect()
            }
            Op::Permute { input, perm } => {
                let x = get(*input);
                perm.iter().map(|&i| x[i as usize]).collect()
            }
        };
        tensors.push(out);
    }
    tensors
}

/// The model output only.
pub fn predict(graph: &Graph, input: &[f32]) -> Vec<f32> {
    forward(graph, input).pop().unwrap_or_default()
}
