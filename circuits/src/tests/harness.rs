//! Every model kind through the shared harness: honest accepted, every mutation rejected.
use super::builders::*;
use crate::ir::*;
use crate::testing::{check_model, SplitMix};

const MUTATIONS: usize = 400;

fn run(name: &str, model: &CircuitModel, x: &[i64], width: usize) {
    let r = check_model(model, x, width, MUTATIONS, 7).unwrap();
    println!(
        "{name}: k={} rows={} advice cells={} mutations tried={} (exhaustive: {}), all rejected",
        r.k, r.rows, r.advice_cells, r.mutations, r.exhaustive
    );
    assert!(r.mutations > 0);
}

#[test]
fn dense_relu() {
    let (m, x) = dense(Activation::Relu, 1);
    run("dense relu w4", &m, &x, 4);
    run("dense relu w3", &m, &x, 3);
    run("dense relu w8", &m, &x, 8);
}

#[test]
fn dense_identity() {
    let (m, x) = dense(Activation::Identity, 2);
    run("dense identity", &m, &x, 4);
    // The identity by table (`CircuitParams::identity_table`): one requant row, no range row.
    let params = crate::CircuitParams { width: 4, identity_table: true, ..Default::default() };
    let r = crate::testing::check_circuit(&m, &x, &params, MUTATIONS, 7).unwrap();
    assert!(r.mutations > 0);
}

/// Merged lookups (`CircuitParams::merged_lookups`): one table and one lookup argument for the
/// activation and the range checks, a table activation's remainder on its second row.
#[test]
fn merged_lookups() {
    for act in [Activation::Relu, Activation::Identity] {
        let (m, x) = dense(act, 1);
        for identity_table in [false, true] {
            let params = crate::CircuitParams { width: 4, merged_lookups: true, identity_table, ..Default::default() };
            let r = crate::testing::check_circuit(&m, &x, &params, MUTATIONS, 7).unwrap();
            assert!(r.mutations > 0);
        }
    }
}

/// The compact column set (`CircuitParams::compact`): kind column, chained requant rows, bias on
/// the requant row, `acc` out of the copy argument. Dense layers with ReLU and the identity (by
/// table), a standalone requant and a permute (one-term dot rows before their requants), at
/// widths 3 and 4: honest accepted, every mutation rejected.
#[test]
fn compact_column_set() {
    let compact = |width| crate::CircuitParams { width, merged_lookups: true, identity_table: true, compact: true, ..Default::default() };
    for act in [Activation::Relu, Activation::Identity] {
        let (m, x) = dense(act.clone(), 1);
        for width in [3, 4] {
            let r = crate::testing::check_circuit(&m, &x, &compact(width), MUTATIONS, 7).unwrap();
            println!("compact {act:?} w{width}: {r:?}");
            assert!(r.mutations > 0);
        }
    }
    let mut rng = SplitMix(4);
    let mut m = CircuitModel {
        input_len: 6,
        bits: BITS,
        layers: vec![
            affine("fc1", vec![0], dense_rows(&mut rng, 6, 5, 0), Activation::Relu),
            Layer { name: "perm".into(), kind: LayerKind::Permute { input: 1, perm: vec![4, 0, 3, 1, 2] } },
            Layer { name: "rescale".into(), kind: LayerKind::Requant { input: 2, requant: Requant { shift: 0, act: table_act() } } },
        ],
    };
    let x: Vec<i64> = (0..6).map(|_| rng.below(200) as i64 - 100).collect();
    fit_shifts(&mut m, &x);
    let r = crate::testing::check_circuit(&m, &x, &compact(3), MUTATIONS, 7).unwrap();
    println!("compact fc1, permute, requant w3: {r:?}");
    assert!(r.exhaustive, "{r:?}");
    // An embedding (ids 0..8, two table columns) feeding a dense layer: each lookup gets its
    // one-term dot row.
    let column = |name: &str, mul: i64| Activation::Table { name: name.into(), min: 0, values: (0..8).map(|i| (i * mul) % 37 - 18).collect() };
    let mut e = CircuitModel {
        input_len: 3,
        bits: BITS,
        layers: vec![
            Layer { name: "embed".into(), kind: LayerKind::Embedding { input: 0, tables: vec![column("e0", 5), column("e1", 11)] } },
            affine("fc", vec![1], dense_rows(&mut rng, 6, 2, 0), Activation::Relu),
        ],
    };
    let ids = vec![3, 0, 7];
    fit_shifts(&mut e, &ids);
    let r = crate::testing::check_circuit(&e, &ids, &compact(3), MUTATIONS, 7).unwrap();
    println!("compact embedding, fc w3: {r:?}");
    assert!(r.exhaustive, "{r:?}");
    // What the set is for: `a_0 .. a_2` alone in the copy argument, one lookup, one selector.
    let spec = crate::spec::CircuitSpec::compile_params(&m, &compact(3)).unwrap();
    assert_eq!((spec.equality_columns, spec.lookup_arguments, spec.selectors, spec.fixed_columns), (3, 1, 1, 7), "{spec:?}");
}

#[test]
fn requant_table() {
    let mut rng = SplitMix(3);
    let x: Vec<i64> = (0..5).map(|_| rng.below(2000) as i64 - 1000).collect();
    let mut m = CircuitModel {
        input_len: 5,
        bits: BITS,
        layers: vec![Layer {
            name: "sigmoid".into(),
            kind: LayerKind::Requant {
                input: 0,
                requant: Requant {
                    shift: 0,
                    act: table_act(),
                },
            },
        }],
    };
    fit_shifts(&mut m, &x);
    run("requant table", &m, &x, 4);
}

#[test]
fn two_layers_with_permute() {
    let mut rng = SplitMix(4);
    let mut m = CircuitModel {
        input_len: 6,
        bits: BITS,
        layers: vec![
            affine(
                "fc1",
                vec![0],
                dense_rows(&mut rng, 6, 5, 0),
                Activation::Relu,
            ),
            Layer {
                name: "perm".into(),
                kind: LayerKind::Permute {
                    input: 1,
                    perm: vec![4, 2, 0, 3, 1, 2],
                },
            },
            affine(
                "fc2",
                vec![2],
                dense_rows(&mut rng, 6, 3, 0),
                Activation::Identity,
            ),
        ],
    };
    let x = input(&mut rng, 6);
    fit_shifts(&mut m, &x);
    run("two layers + permute", &m, &x, 4);
}

#[test]
fn residual_add() {
    let mut rng = SplitMix(5);
    // y = relu(W x), then z = y + x[0..4] reading tensors 1 and 0.
    let add_rows = (0..4)
        .map(|j| AffineRow {
            bias: 0,
            terms: vec![
                Term {
                    src: 0,
                    idx: j,
                    coeff: 1,
                },
                Term {
                    src: 1,
                    idx: j,
                    coeff: 1,
                },
            ],
        })
        .collect();
    let mut m = CircuitModel {
        input_len: 6,
        bits: BITS,
        layers: vec![
            affine(
                "fc",
                vec![0],
                dense_rows(&mut rng, 6, 4, 0),
                Activation::Relu,
            ),
            affine("add", vec![1, 0], add_rows, Activation::Identity),
        ],
    };
    let x = input(&mut rng, 6);
    fit_shifts(&mut m, &x);
    run("residual add", &m, &x, 4);
}

#[test]
fn maxpool() {
    let mut rng = SplitMix(6);
    let x = input(&mut rng, 8);
    let m = CircuitModel {
        input_len: 8,
        bits: BITS,
        layers: vec![Layer {
            name: "pool".into(),
            kind: LayerKind::MaxPool {
                input: 0,
                windows: vec![vec![0, 1, 4, 5], vec![2, 3, 6, 7], vec![7], vec![1, 1, 0]],
            },
        }],
    };
    run("maxpool", &m, &x, 4);
    // Ties: two equal maxima.
    let mut x2 = x.clone();
    x2[1] = 127;
    x2[4] = 127;
    run("maxpool ties", &m, &x2, 4);
}
