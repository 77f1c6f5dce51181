//! Batches (`CircuitParams::batch > 1`) through the shared harness, with the Freivalds chip
//! checking the affine layers: honest accepted, every sampled mutation rejected, each sample's
//! output equal to its own integer reference, one sample's output changed rejected.
use std::sync::Arc;

use halo2_proofs::halo2curves::bn256::Fr;

use super::builders::*;
use crate::batch::eval_batch;
use crate::circuit::{CircuitParams, ModelCircuit};
use crate::eval::eval;
use crate::ir::*;
use crate::spec::CircuitSpec;
use crate::testing::{check_circuit, mock_verify, SplitMix};

const MUTATIONS: usize = 300;

fn params(width: usize, batch: usize) -> CircuitParams {
    CircuitParams {
        width,
        batch,
        ..Default::default()
    }
}

/// `n` inputs for `model` that keep every layer in range (shifts fitted on all of them).
fn batch_inputs(model: &mut CircuitModel, rng: &mut SplitMix, n: usize) -> Vec<i64> {
    let xs: Vec<Vec<i64>> = (0..n).map(|_| input(rng, model.input_len)).collect();
    // Fit on the sample-wise largest magnitudes so that every sample stays in range.
    let big: Vec<i64> = (0..model.input_len)
        .map(|i| xs.iter().map(|x| x[i]).max_by_key(|v| v.abs()).unwrap_or(0))
        .collect();
    fit_shifts(model, &big);
    for l in 0..model.layers.len() {
        for _ in 0..16 {
            let mut prefix = model.clone();
            prefix.layers.truncate(l + 1);
            if xs.iter().all(|x| eval(&prefix, x).is_ok()) {
                break;
            }
            match &mut model.layers[l].kind {
                LayerKind::Affine(a) => a.requant.shift += 1,
                LayerKind::Requant { requant, .. } => requant.shift += 1,
                _ => {}
            }
        }
    }
    xs.concat()
}

fn two_layer(rng: &mut SplitMix) -> CircuitModel {
    CircuitModel {
        input_len: 6,
        bits: BITS,
        layers: vec![
            affine("fc1", vec![0], dense_rows(rng, 6, 5, 0), Activation::Relu),
            Layer {
                name: "perm".into(),
                kind: LayerKind::Permute {
                    input: 1,
                    perm: vec![4, 2, 0, 3, 1, 2],
                },
            },
            affine("fc2", vec![2], dense_rows(rng, 6, 3, 0), Activation::Identity),
        ],
    }
}

fn run(name: &str, model: &CircuitModel, x: &[i64], width: usize, batch: usize) {
    let r = check_circuit(model, x, &params(width, batch), MUTATIONS, 9).unwrap();
    println!(
        "{name} (batch {batch}, width {width}): k={} rows={} cells={} mutations={} (exhaustive: {})",
        r.k, r.rows, r.advice_cells, r.mutations, r.exhaustive
    );
}

#[test]
fn dense_batches_through_the_harness() {
    let mut rng = SplitMix(31);
    for (width, batch) in [(4, 2), (4, 5), (8, 3)] {
        let mut m = dense(Activation::Relu, 1).0;
        let x = batch_inputs(&mut m, &mut rng, batch);
        let spec = CircuitSpec::compile_params(&m, &params(width, batch)).unwrap();
        assert!(spec.layers.iter().any(|l| l.kind == "affine (freivalds)"), "{:?}", spec.layers);
        run("dense relu", &m, &x, width, batch);
    }
}

#[test]
fn layered_batches_through_the_harness() {
    let mut rng = SplitMix(32);
    let mut m = two_layer(&mut rng);
    let x = batch_inputs(&mut m, &mut rng, 4);
    run("two layers + permute", &m, &x, 4, 4);
    // Residual add and max-pool, read per sample.
    let add_rows = (0..4)
        .map(|j| AffineRow {
            bias: 1,
            terms: vec![
                Term { src: 0, idx: j, coeff: 1 },
                Term { src: 1, idx: j, coeff: 1 },
            ],
        })
        .collect();
    let mut m = CircuitModel {
        input_len: 6,
        bits: BITS,
        layers: vec![
            affine("fc", vec![0], dense_rows(&mut rng, 6, 4, 0), Activation::Relu),
            affine("add", vec![1, 0], add_rows, Activation::Identity),
            Layer {
                name: "pool".into(),
                kind: LayerKind::MaxPool { input: 2, windows: vec![vec![0, 1], vec![2, 3, 1]] },
            },
            Layer {
                name: "sig".into(),
                kind: LayerKind::Requant { input: 3, requant: Requant { shift: 0, act: table_act() } },
            },
        ],
    };
    let x = batch_inputs(&mut m, &mut rng, 3);
    run("residual + pool + table", &m, &x, 8, 3);
}

#[test]
fn batched_outputs_are_each_samples_reference_and_a_changed_one_is_rejected() {
    let mut rng = SplitMix(33);
    let mut m = two_layer(&mut rng);
    let n = 4;
    let x = batch_inputs(&mut m, &mut rng, n);
    let w = eval_batch(&m, &x, n).unwrap();
    let out_len = w.output().len() / n;
    for b in 0..n {
        let single = eval(&m, &x[b * m.input_len..(b + 1) * m.input_len]).unwrap();
        assert_eq!(&w.output()[b * out_len..(b + 1) * out_len], single.output(), "sample {b}");
    }
    let p = params(4, n);
    let spec = CircuitSpec::compile_params(&m, &p).unwrap();
    let c = ModelCircuit::<Fr>::new(Arc::new(m.clone()), p, [7; 32], Some(x.clone())).unwrap();
    let inst = c.instances().unwrap();
    assert_eq!(inst.len(), 1 + n * m.input_len + n * out_len);
    assert_eq!(inst.len(), spec.instance_len);
    mock_verify(spec.k, &c, inst.clone()).unwrap();
    for b in 0..n {
        let mut bad = inst.clone();
        bad[1 + n * m.input_len + b * out_len + out_len / 2] += Fr::one();
        assert!(mock_verify(spec.k, &c, bad).is_err(), "sample {b}'s changed output accepted");
    }
    // A batch with the wrong number of values is one clear error.
    let e = ModelCircuit::<Fr>::new(Arc::new(m), p, [7; 32], Some(x[1..].to_vec())).unwrap_err();
    assert!(e.to_string().contains("batch of 4"), "{e}");
}

#[test]
fn freivalds_is_chosen_only_where_it_saves_rows() {
    let mut rng = SplitMix(34);
    let mut m = two_layer(&mut rng);
    let _ = batch_inputs(&mut m, &mut rng, 1);
    let one = CircuitSpec::compile_params(&m, &params(4, 1)).unwrap();
    assert!(one.layers.iter().all(|l| l.kind != "affine (freivalds)"));
    let many = CircuitSpec::compile_params(&m, &params(4, 16)).unwrap();
    assert!(many.layers.iter().filter(|l| l.kind == "affine (freivalds)").count() == 2);
    // A batch of 16 costs fewer rows than 16 single proofs' layers.
    let single_layers: usize = one.layers.iter().map(|l| l.rows).sum();
    let batch_layers: usize = many.layers.iter().map(|l| l.rows).sum();
    assert!(batch_layers < 16 * single_layers, "{batch_layers} vs 16 x {single_layers}");
}
