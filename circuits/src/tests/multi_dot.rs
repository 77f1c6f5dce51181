//! Several outputs per dot row (`CircuitParams::outputs > 1`): honest witnesses accepted,
//! every single-cell mutation rejected, and the layout's size.
use super::builders::*;
use crate::circuit::{CircuitParams, MAX_OUTPUTS};
use crate::ir::*;
use crate::spec::CircuitSpec;
use crate::testing::{check_circuit, SplitMix};

fn params(width: usize, outputs: usize) -> CircuitParams {
    CircuitParams { width, outputs, ..Default::default() }
}

fn run(model: &CircuitModel, x: &[i64], width: usize, outputs: usize) {
    let r = check_circuit(model, x, &params(width, outputs), 2000, 11).unwrap();
    assert!(r.exhaustive, "every cell is mutated: {r:?}");
    assert!(r.mutations > 0);
}

/// Two dense layers (6 -> 4 -> 3, with zero coefficients among the weights): groups of 2, 3
/// (a partial last group) and 4 outputs, at widths 3 and 4.
#[test]
fn dense_layers_every_mutation_rejected() {
    let mut rng = SplitMix(5);
    let mut m = CircuitModel {
        input_len: 6,
        bits: BITS,
        layers: vec![
            affine("fc1", vec![0], dense_rows(&mut rng, 6, 4, 0), Activation::Relu),
            affine("fc2", vec![1], dense_rows(&mut rng, 4, 3, 0), Activation::Identity),
        ],
    };
    let x = input(&mut rng, 6);
    fit_shifts(&mut m, &x);
    for (w, g) in [(3, 2), (4, 3), (3, 4), (4, 4)] {
        run(&m, &x, w, g);
    }
}

/// The widest automatic shape, 16 inputs x 8 outputs per row (`AUTO_MULTI`'s `(16, 8)`): a
/// dense 20 -> 9 layer (a partial input chunk of 4 and a partial group of 1) and 9 -> 3.
#[test]
fn widest_automatic_shape_every_mutation_rejected() {
    let mut rng = SplitMix(16);
    let mut m = CircuitModel {
        input_len: 20,
        bits: BITS,
        layers: vec![
            affine("fc1", vec![0], dense_rows(&mut rng, 20, 9, 0), Activation::Relu),
            affine("fc2", vec![1], dense_rows(&mut rng, 9, 3, 0), Activation::Identity),
        ],
    };
    let x = input(&mut rng, 20);
    fit_shifts(&mut m, &x);
    run(&m, &x, 16, 8);
}

/// Outputs reading different inputs (like convolution patches) are grouped by their inputs:
/// two outputs over inputs {0, 1, 2}, two over {3, 4, 5}, one over {0, 5}, interleaved.
#[test]
fn patches_grouped_by_their_inputs() {
    let term = |idx: u32, coeff: i64| Term { src: 0, idx, coeff };
    let row = |bias: i64, t: Vec<Term>| AffineRow { bias, terms: t };
    let rows = vec![
        row(3, vec![term(0, 2), term(1, -1), term(2, 3)]),
        row(-2, vec![term(3, 1), term(4, 4), term(5, -2)]),
        row(1, vec![term(0, -3), term(1, 0), term(2, 1)]),
        row(0, vec![term(3, 2), term(4, -1), term(5, 1)]),
        row(5, vec![term(0, 1), term(5, 1)]),
    ];
    let mut rng = SplitMix(9);
    let mut m = CircuitModel { input_len: 6, bits: BITS, layers: vec![affine("patches", vec![0], rows, Activation::Relu)] };
    let x = input(&mut rng, 6);
    fit_shifts(&mut m, &x);
    run(&m, &x, 3, 2);
    // Two patches of two outputs, one row each, and the lone output: 3 dot rows, 5 requant rows.
    let s = CircuitSpec::compile_params(&m, &params(3, 2)).unwrap();
    let header = s.header_rows;
    assert_eq!(s.rows - header, 3 + 5, "{:?}", s.layers);
}

/// A dense 16 -> 8 layer at width 4 with 4 outputs per row takes 2 groups x 4 rows of dot
/// rows (32 with one output per row), with 4 + 4 advice columns instead of 4 + 1.
#[test]
fn rows_and_columns() {
    let mut rng = SplitMix(2);
    let mut m = CircuitModel { input_len: 16, bits: BITS, layers: vec![affine("fc", vec![0], dense_rows(&mut rng, 16, 8, 0), Activation::Relu)] };
    let x = input(&mut rng, 16);
    fit_shifts(&mut m, &x);
    let one = CircuitSpec::compile_params(&m, &params(4, 1)).unwrap();
    let four = CircuitSpec::compile_params(&m, &params(4, 4)).unwrap();
    let dot_rows = |s: &CircuitSpec| s.rows - s.header_rows - 8;
    assert_eq!(dot_rows(&four), 8);
    assert!(dot_rows(&one) >= 24, "{}", dot_rows(&one));
    assert_eq!(one.advice_columns, 5);
    assert_eq!(four.advice_columns, 8);
    assert_eq!(four.fixed_columns, one.fixed_columns + 3 * 5);
    assert_eq!(four.degree, one.degree);
}

/// Several outputs per row need one inference and the default visibility, and are bounded.
#[test]
fn outputs_are_checked() {
    assert!(params(4, 2).check().is_ok());
    assert!(params(4, MAX_OUTPUTS).check().is_ok());
    assert!(params(4, MAX_OUTPUTS + 1).check().is_err());
    assert!(params(4, 0).check().is_err());
    assert!(CircuitParams { batch: 2, ..params(4, 2) }.check().is_err());
    assert!(CircuitParams { batch: 2, ..params(4, 1) }.check().is_ok());
}
