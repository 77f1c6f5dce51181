//! The spec's numbers are the circuit's: `k` suffices, rows and advice cells match synthesis.
use std::sync::Arc;

use halo2_proofs::{
    dev::{CellValue, MockProver},
    halo2curves::bn256::Fr,
    plonk::ConstraintSystem,
};

use super::builders::*;
use crate::circuit::{CircuitParams, ModelCircuit, Tamper};
use crate::error::CircuitError;
use crate::ir::*;
use crate::layout::ModelConfig;
use crate::spec::{CircuitSpec, CompileOptions};
use crate::testing::{mock_verify, SplitMix};

fn last_fixed_row(p: &MockProver<Fr>, width: usize) -> usize {
    let mut cs = ConstraintSystem::<Fr>::default();
    let cfg = ModelConfig::configure(&mut cs, width);
    cfg.fixed
        .iter()
        .filter_map(|&c| {
            p.fixed_values(c)
                .iter()
                .rposition(|v| matches!(v, CellValue::Assigned(_)))
        })
        .max()
        .map_or(0, |r| r + 1)
}

#[test]
fn spec_matches_synthesis() {
    let mut rng = SplitMix(9);
    let mut m = CircuitModel {
        input_len: 20,
        bits: BITS,
        layers: vec![
            affine(
                "fc1",
                vec![0],
                dense_rows(&mut rng, 20, 12, 0),
                Activation::Relu,
            ),
            affine(
                "fc2",
                vec![1],
                dense_rows(&mut rng, 12, 5, 0),
                Activation::Identity,
            ),
        ],
    };
    let x = input(&mut rng, 20);
    fit_shifts(&mut m, &x);
    for width in [3, 4, 7, 8] {
        let spec = CircuitSpec::compile(&m, &CompileOptions { width }).unwrap();
        let c = ModelCircuit::<Fr>::new(
            Arc::new(m.clone()),
            CircuitParams { width, ..Default::default() },
            [2; 32],
            Some(x.clone()),
        )
        .unwrap();
        let inst = c.instances().unwrap();
        let p = MockProver::run(spec.k, &c, vec![inst.clone()]).unwrap();
        p.verify().unwrap();
        assert_eq!(last_fixed_row(&p, width), spec.rows, "width {width}");
        let per_layer: usize = spec.layers.iter().map(|l| l.rows).sum();
        assert_eq!(per_layer + spec.header_rows, spec.rows);
        // fc1: 12 outputs * (ceil(20/w) dot rows + 1 requant row), modulo zero weights.
        assert!(spec.layers[0].rows <= 12 * (20usize.div_ceil(width) + 1));
        // The cell count is exact: cell n-1 exists (mutation rejected), cell n does not.
        let n = spec.advice_cells;
        let mut bad = c.clone();
        bad.tamper = Some(Tamper {
            cell: n - 1,
            delta: 1,
        });
        assert!(mock_verify(spec.k, &bad, inst.clone()).is_err());
        bad.tamper = Some(Tamper { cell: n, delta: 1 });
        assert!(mock_verify(spec.k, &bad, inst.clone()).is_ok());
        assert_eq!(c.advice_cell_count().unwrap(), n);
        // k is the smallest that fits.
        assert!(spec.usable_rows() >= spec.rows.max(spec.table_rows));
        assert!(
            (1usize << (spec.k - 1)) - (spec.blinding_factors + 1) < spec.rows.max(spec.table_rows)
        );
    }
}

#[test]
fn bad_models_are_typed_errors() {
    let (m, _) = dense(Activation::Relu, 1);
    let opts = CompileOptions { width: 4 };
    let mut bad = m.clone();
    if let LayerKind::Affine(a) = &mut bad.layers[0].kind {
        a.rows[0].terms[0].idx = 99;
    }
    assert!(matches!(
        CircuitSpec::compile(&bad, &opts),
        Err(CircuitError::IndexOutOfBounds { index: 99, .. })
    ));
    let mut bad = m.clone();
    if let LayerKind::Affine(a) = &mut bad.layers[0].kind {
        a.inputs = vec![1];
    }
    assert!(matches!(
        CircuitSpec::compile(&bad, &opts),
        Err(CircuitError::UnknownTensor { tensor: 1, .. })
    ));
    let mut bad = m.clone();
    if let LayerKind::Affine(a) = &mut bad.layers[0].kind {
        a.requant.shift = 40;
        a.requant.act = Activation::Table {
            name: "t".into(),
            min: -128,
            values: vec![0; 255],
        };
    }
    assert!(matches!(
        CircuitSpec::compile(&bad, &opts),
        Err(CircuitError::ShiftTooLarge { .. })
    ));
    if let LayerKind::Affine(a) = &mut bad.layers[0].kind {
        a.requant.shift = 2;
    }
    assert!(matches!(
        CircuitSpec::compile(&bad, &opts),
        Err(CircuitError::TableCoverage { .. })
    ));
    assert!(matches!(
        CircuitSpec::compile(&m, &CompileOptions { width: 2 }),
        Err(CircuitError::BadWidth { .. })
    ));
}

/// A width from an untrusted key header is bounded before `configure` allocates columns for it
/// (`width = 2^40` used to abort the verifier on allocation).
#[test]
fn huge_widths_are_refused_before_configure() {
    use crate::circuit::MAX_WIDTH;
    for width in [MAX_WIDTH + 1, 1 << 40, usize::MAX] {
        let p = crate::CircuitParams { width, ..Default::default() };
        assert!(matches!(p.check(), Err(CircuitError::BadWidth { max: MAX_WIDTH, .. })), "{width}");
    }
    assert!(crate::CircuitParams { width: MAX_WIDTH, ..Default::default() }.check().is_ok());
}

fn mlp(sizes: &[usize], seed: u64) -> CircuitModel {
    let mut rng = SplitMix(seed);
    let layers = sizes
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let act = if i + 2 == sizes.len() {
                Activation::Identity
            } else {
                Activation::Relu
            };
            let mut l = affine(
                &format!("fc{i}"),
                vec![i],
                dense_rows(&mut rng, w[0], w[1], 0),
                act,
            );
            if let LayerKind::Affine(a) = &mut l.kind {
                a.requant.shift = 8;
            }
            l
        })
        .collect();
    CircuitModel {
        input_len: sizes[0],
        bits: BITS,
        layers,
    }
}

#[test]
fn report_mlp_sizes() {
    for sizes in [&[64usize, 32, 10][..], &[64, 512, 512, 10][..]] {
        let spec = CircuitSpec::compile(&mlp(sizes, 1), &CompileOptions { width: 8 }).unwrap();
        println!(
            "{sizes:?} w=8: rows={} (header {}), table rows={}, k={}, advice cols={}, fixed cols={}, \
             selectors={}, lookups args={}, degree={}, advice cells={}, per layer rows={:?}",
            spec.rows,
            spec.header_rows,
            spec.table_rows,
            spec.k,
            spec.advice_columns,
            spec.fixed_columns,
            spec.selectors,
            spec.lookup_arguments,
            spec.degree,
            spec.advice_cells,
            spec.layers.iter().map(|l| l.rows).collect::<Vec<_>>()
        );
    }
}
