//! Graph clean-up before quantization, so that each rescale in the circuit is one that the
//! model needs:
//! - reads through `Permute` are resolved into the consumer's indices (affine, max-pool and
//!   permute: a chain of permutations becomes one);
//! - an affine op whose only input is another affine op's output, used nowhere else, is
//!   composed with it (Gemm's EinSum + bias Add, Sub/Mul/Div-by-constant chains, ReduceSum +
//!   the 1/n Mul of a global average pool, a BatchNormalization left after a Gemm), when the
//!   composed map has no more terms than the two together;
//! - reads of a product of two activations through `Permute`s (head splits, `Kᵀ`) likewise;
//! - nodes nothing reads are removed.
use std::collections::BTreeMap;

use crate::error::Result;
use crate::graph::{Affine, Graph, Node, Op, Row, Term, TensorId};

/// Simplify a graph; fails only when `g` does not pass [`Graph::validate`].
pub fn simplify(mut g: Graph) -> Result<Graph> {
    g.validate()?;
    resolve_permutes(&mut g);
    compose_affine_chains(&mut g);
    Ok(remove_dead(g))
}

/// Follow a chain of `Permute`s back to a real tensor: returns (tensor, index map or None).
fn through_permutes(g: &Graph, mut t: TensorId, mut idx: u32) -> (TensorId, u32) {
    while t > 0 {
        match &g.nodes[t - 1].op {
            Op::Permute { input, perm } => {
                idx = perm[idx as usize];
                t = *input;
            }
            _ => break,
        }
    }
    (t, idx)
}

fn resolve_permutes(g: &mut Graph) {
    for n in 0..g.nodes.len() {
        match g.nodes[n].op.clone() {
            Op::Affine(mut a) => {
                // Each (src, idx) maps to a possibly different real tensor; rebuild the inputs.
                let mut inputs: Vec<TensorId> = vec![];
                for r in &mut a.rows {
                    for t in &mut r.terms {
                        let (real, idx) = through_permutes(g, a.inputs[t.src as usize], t.idx);
                        let src = match inputs.iter().position(|&x| x == real) {
                            Some(p) => p,
                            None => {
                                inputs.push(real);
                                inputs.len() - 1
                            }
                        };
                        t.src = src as u8;
                        t.idx = idx;
                    }
                }
                if inputs.is_empty() {
                    inputs = a.inputs.clone();
                }
                if inputs.len() <= u8::MAX as usize {
                    a.inputs = inputs;
                    g.nodes[n].op = Op::Affine(a);
                }
            }
            Op::MaxPool { input, windows } => {
                let mut real_t = input;
                let windows = windows
                    .iter()
                    .map(|w| {
                        w.iter()
                            .map(|&i| {
                                let (t, idx) = through_permutes(g, input, i);
                                real_t = t;
                                idx
                            })
                            .collect()
                    })
                    .collect();
                g.nodes[n].op = Op::MaxPool { input: real_t, windows };
            }
            Op::Permute { input, perm } => {
                // A chain of permutations is one permutation (a permute's input chain is one
                // chain, so every index ends in the same tensor).
                let real_t = through_permutes(g, input, 0).0;
                let perm = perm.iter().map(|&i| through_permutes(g, input, i).1).collect();
                g.nodes[n].op = Op::Permute { input: real_t, perm };
            }
            Op::Product(mut p) => {
                // Each operand is one tensor, so its permute chain ends in one real tensor.
                for slot in 0..2 {
                    let input = p.inputs[slot];
                    p.inputs[slot] = through_permutes(g, input, 0).0;
                    p.map_input(slot, |i| through_permutes(g, input, i).1);
                }
                g.nodes[n].op = Op::Product(p);
            }
            _ => {}
        }
    }
}

/// `outer ∘ inner`: the rows of `outer` (which reads only `inner`'s output) rewritten over
/// `inner`'s inputs.
fn compose(outer: &Affine, inner: &Affine) -> Affine {
    let rows = outer
        .rows
        .iter()
        .map(|r| {
            let mut bias = r.bias as f64;
            let mut acc: BTreeMap<(u8, u32), f64> = BTreeMap::new();
            for t in &r.terms {
                let ir = &inner.rows[t.idx as usize];
                bias += t.coeff as f64 * ir.bias as f64;
                for it in &ir.terms {
                    *acc.entry((it.src, it.idx)).or_default() += t.coeff as f64 * it.coeff as f64;
                }
            }
            Row {
                bias: bias as f32,
                terms: acc.into_iter().map(|((src, idx), c)| Term { src, idx, coeff: c as f32 }).collect(),
            }
        })
        .collect();
    Affine { kind: inner.kind, inputs: inner.inputs.clone(), rows, params: inner.params + outer.params }
}

fn compose_affine_chains(g: &mut Graph) {
    let uses = g.use_counts();
    for n in 0..g.nodes.len() {
        let Op::Affine(outer) = &g.nodes[n].op else { continue };
        if outer.inputs.len() != 1 {
            continue;
        }
        let t = outer.inputs[0];
        if t == 0 || uses[t] != 1 {
            continue;
        }
        let Op::Affine(inner) = &g.nodes[t - 1].op else { continue };
        let composed = compose(outer, inner);
        // Compose only when it does not add work (Gemm + bias, Conv + BN scale, ReduceSum + 1/n
        // do not; a dense layer after a pooling or residual op would multiply it).
        let terms = |a: &Affine| a.rows.iter().map(|r| r.terms.len()).sum::<usize>();
        if terms(&composed) > terms(outer) + terms(inner) {
            continue;
        }
        // Keep the name of the op that defines the layer (the inner one, e.g. the Gemm); name
        // both when two different kinds of op merged (a residual add and its average pool).
        let name = if inner.kind == outer.kind || outer.kind == crate::graph::AffineKind::Scale {
            g.nodes[t - 1].name.clone()
        } else {
            format!("{}+{}", g.nodes[t - 1].name, g.nodes[n].name)
        };
        g.nodes[n] = Node { name, op: Op::Affine(composed), shape: g.nodes[n].shape.clone() };
    }
}

fn remove_dead(g: Graph) -> Graph {
    let n = g.nodes.len();
    let mut live = vec![false; n + 1];
    live[n] = true;
    live[0] = true;
    for t in (1..=n).rev() {
        if live[t] {
            for i in g.nodes[t - 1].op.inputs() {
                live[i] = true;
            }
        }
    }
    let mut remap = vec![0usize; n + 1];
    let mut nodes = vec![];
    for t in 1..=n {
        if live[t] {
            nodes.push(g.nodes[t - 1].clone());
            remap[t] = nodes.len();
        }
    }
    for node in &mut nodes {
        match &mut node.op {
            Op::Affine(a) => a.inputs.iter_mut().for_each(|i| *i = remap[*i]),
            Op::Product(p) => p.inputs.iter_mut().for_each(|i| *i = remap[*i]),
            Op::Activation { input, .. } | Op::MaxPool { input, .. } | Op::Permute { input, .. } | Op::Softmax { input, .. } | Op::RmsNorm { input, .. } | Op::Embedding { input, .. } => {
                *input = remap[*input]
            }
        }
    }
    Graph { input_shape: g.input_shape, nodes }
}

#[cfg(test)]
mod tests {
    use crate::graph::{AffineKind, Op};
    use crate::testing::{check_op, labels};

    /// BatchNormalization folds into the op before it: one affine op of that op's kind.
    fn assert_folded(name: &str, kind: AffineKind) {
        let c = check_op(name);
        match &c.graph.nodes[..] {
            [n] => assert!(matches!(&n.op, Op::Affine(a) if a.kind == kind), "{name}: {:?}", n.op),
            _ => panic!("{name}: {:?}", labels(&c.graph)),
        }
    }

    #[test]
    fn batchnorm_after_conv_folds() {
        assert_folded("batchnorm_after_conv", AffineKind::Conv);
    }

    #[test]
    fn batchnorm_after_gemm_folds() {
        assert_folded("batchnorm_after_gemm", AffineKind::MatMul);
    }
}
