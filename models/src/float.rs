//! The float reference forward pass over the [`Graph`] IR (f64 accumulation).
use rayon::prelude::*;

use crate::error::{ModelError, Result};
use crate::graph::{Graph, Op, Row};

/// Rows times terms above which an affine op is evaluated in parallel.
const PAR_THRESHOLD: usize = 1 << 14;

/// Check one input against the graph: the element count of `input_shape`, every value finite.
pub fn check_input(graph: &Graph, input: &[f32]) -> Result<()> {
    if input.len() != graph.input_len() {
        return Err(ModelError::InputLength {
            sample: 0,
            expected: graph.input_len(),
            got: input.len(),
            shape: graph.input_shape.clone(),
        });
    }
    match input.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(ModelError::NonFinite { sample: 0, index, value: input[index] as f64 }),
        None => Ok(()),
    }
}

/// Run the graph; returns every tensor (index = tensor id), the input first.
///
/// Fails on an input of the wrong length or with a non-finite value, and on a graph that does
/// not pass [`Graph::validate`] (graphs from [`crate::load_onnx`] always do).
pub fn forward(graph: &Graph, input: &[f32]) -> Result<Vec<Vec<f32>>> {
    graph.validate()?;
    check_input(graph, input)?;
    let mut tensors: Vec<Vec<f32>> = Vec::with_capacity(graph.nodes.len() + 1);
    tensors.push(input.to_vec());
    // Indexing below is in bounds: `validate` checked every tensor id and index.
    for node in &graph.nodes {
        let out: Vec<f32> = match &node.op {
            Op::Affine(a) => {
                let srcs: Vec<&[f32]> = a.inputs.iter().map(|&t| tensors[t].as_slice()).collect();
                let eval = |r: &Row| -> f32 {
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
            Op::Activation { input, f } => tensors[*input].iter().map(|&x| f.apply(x as f64) as f32).collect(),
            Op::MaxPool { input, windows } => {
                let x = &tensors[*input];
                windows.iter().map(|w| w.iter().map(|&i| x[i as usize]).fold(f32::NEG_INFINITY, f32::max)).collect()
            }
            Op::Permute { input, perm } => perm.iter().map(|&i| tensors[*input][i as usize]).collect(),
            Op::Embedding { input, table, dim } => crate::embedding::embed_f64(&tensors[*input], table, *dim),
            Op::RmsNorm { input, rows, eps } => crate::norm::rms_norm_f64(&tensors[*input], rows, *eps),
            Op::Softmax { input, rows, .. } => {
                let x: Vec<f64> = tensors[*input].iter().map(|&v| v as f64).collect();
                crate::softmax::softmax_f64(&x, rows).into_iter().map(|v| v as f32).collect()
            }
            Op::Product(p) => {
                let (x, y) = (&tensors[p.inputs[0]], &tensors[p.inputs[1]]);
                let dot = |ps: &Vec<(u32, u32)>| ps.iter().map(|&(a, b)| x[a as usize] as f64 * y[b as usize] as f64).sum::<f64>() as f32;
                p.pairs(node.len()).iter().map(dot).collect()
            }
        };
        tensors.push(out);
    }
    Ok(tensors)
}

/// The model output only.
pub fn predict(graph: &Graph, input: &[f32]) -> Result<Vec<f32>> {
    Ok(forward(graph, input)?.pop().unwrap_or_default())
}
