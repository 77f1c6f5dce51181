//! The remaining layer kinds over their whole 4-bit domain, each in one circuit: every pair
//! `(a, b)` with `a, b in [-8, 8)` is one output element. The circuit must accept exactly
//! `eval`'s outputs (bound to the instance), and a changed output must be rejected.
//! - max of a window of two (the max-pool chip), including ties;
//! - the rounded mean of two tensors, `round_shift(a + b, 1)` (an average pool / residual add:
//!   a two-input affine row followed by the rescale), with ReLU after it.
use std::sync::Arc;

use halo2_proofs::halo2curves::bn256::Fr;

use crate::circuit::{CircuitParams, ModelCircuit};
use crate::eval::eval;
use crate::ir::*;
use crate::spec::{CircuitSpec, CompileOptions};
use crate::testing::mock_verify;

const BITS: u32 = 4;

/// All pairs: input tensor `[a_0, b_0, a_1, b_1, ...]`.
fn pairs() -> Vec<i64> {
    let (lo, hi) = (-(1i64 << (BITS - 1)), 1i64 << (BITS - 1));
    (lo..hi).flat_map(|a| (lo..hi).flat_map(move |b| [a, b])).collect()
}

fn check_all(model: CircuitModel, input: Vec<i64>, expect: impl Fn(i64, i64) -> i64) {
    let w = eval(&model, &input).expect("every pair is in range");
    for (j, pair) in input.chunks(2).enumerate() {
        assert_eq!(w.output()[j], expect(pair[0], pair[1]), "pair {pair:?}");
    }
    let spec = CircuitSpec::compile(&model, &CompileOptions { width: 4 }).unwrap();
    let n_out = w.output().len();
    let c = ModelCircuit::<Fr>::new(Arc::new(model), CircuitParams { width: 4, ..Default::default() }, [7; 32], Some(input.clone())).unwrap();
    let inst = c.instances().unwrap();
    mock_verify(spec.k, &c, inst.clone()).unwrap();
    let out0 = 1 + input.len();
    // A wrong output anywhere is rejected (a sample of positions keeps this fast).
    for j in (0..n_out).step_by(17) {
        let mut bad = inst.clone();
        bad[out0 + j] += Fr::from(1);
        assert!(mock_verify(spec.k, &c, bad).is_err(), "output {j} changed but accepted");
    }
}

#[test]
fn maxpool_all_pairs_bits4() {
    let input = pairs();
    let windows = (0..input.len() as u32 / 2).map(|j| vec![2 * j, 2 * j + 1]).collect();
    let model = CircuitModel {
        input_len: input.len(),
        bits: BITS,
        layers: vec![Layer { name: "max".into(), kind: LayerKind::MaxPool { input: 0, windows } }],
    };
    check_all(model, input, |a, b| a.max(b));
}

#[test]
fn rounded_mean_relu_all_pairs_bits4() {
    let input = pairs();
    let rows = (0..input.len() as u32 / 2)
        .map(|j| AffineRow {
            bias: 0,
            terms: vec![Term { src: 0, idx: 2 * j, coeff: 1 }, Term { src: 0, idx: 2 * j + 1, coeff: 1 }],
        })
        .collect();
    let model = CircuitModel {
        input_len: input.len(),
        bits: BITS,
        layers: vec![Layer {
            name: "mean".into(),
            kind: LayerKind::Affine(AffineLayer {
                params: None,
                inputs: vec![0],
                rows,
                requant: Requant { shift: 1, act: Activation::Relu },
            }),
        }],
    };
    // floor((a + b + 1) / 2), then ReLU.
    check_all(model, input, |a, b| (a + b + 1).div_euclid(2).max(0));
}
