//! The float reference forward pass over the [`Graph`] IR (f64 accumulation).
use rayon::prelude::*;

use crate::error::{ModelError, Result};
use crate::graph::{Graph, Op, Row, TensorId};

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
/// Fails on an input of the wrong length or with a non-finite value, and on a graph whose
/// wiring reads outside a tensor (graphs from [`crate::load_onnx`] never do).
pub fn forward(graph: &Graph, input: &[f32]) -> Result<Vec<Vec<f32>>> {
    check_input(graph, input)?;
    let mut tensors: Vec<Vec<f32>> = Vec::with_capacity(graph.nodes.len() + 1);
    tensors.push(input.to_vec());
    for node in &graph.nodes {
        let bad = || ModelError::Node { node: node.name.clone(), reason: "reads outside its input tensor".into() };
        let get = |t: TensorId| tensors.get(t).ok_or_else(bad);
        let at = |x: &[f32], i: u32| x.get(i as usize).copied().ok_or_else(bad);
        let out: Vec<f32> = match &node.op {
            Op::Affine(a) => {
                let srcs: Vec<&Vec<f32>> = a.inputs.iter().map(|&t| get(t)).collect::<Result<_>>()?;
                let eval = |r: &Row| -> Result<f32> {
                    let mut s = r.bias as f64;
                    for t in &r.terms {
                        let x = srcs.get(t.src as usize).ok_or_else(bad)?;
                        s += t.coeff as f64 * at(x, t.idx)? as f64;
                    }
                    Ok(s as f32)
                };
                let work: usize = a.rows.iter().map(|r| r.terms.len()).sum();
                if work > PAR_THRESHOLD {
                    a.rows.par_iter().map(eval).collect::<Result<_>>()?
                } else {
                    a.rows.iter().map(eval).collect::<Result<_>>()?
                }
            }
            Op::Activation { input, f } => get(*input)?.iter().map(|&x| f.apply(x as f64) as f32).collect(),
            Op::MaxPool { input, windows } => {
                let x = get(*input)?;
                let max = |w: &Vec<u32>| w.iter().try_fold(f32::NEG_INFINITY, |m, &i| Ok(m.max(at(x, i)?)));
                windows.iter().map(max).collect::<Result<_>>()?
            }
            Op::Permute { input, perm } => {
                let x = get(*input)?;
                perm.iter().map(|&i| at(x, i)).collect::<Result<_>>()?
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
