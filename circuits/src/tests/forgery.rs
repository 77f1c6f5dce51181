//! Consistent cheating witnesses (several cells changed together so that every other
//! constraint still holds) must be rejected by the one constraint that guards them. This is
//! what single-cell mutations cannot show: that the range lookups are really there.
use std::sync::Arc;

use halo2_proofs::{
    dev::{MockProver, VerifyFailure},
    halo2curves::bn256::Fr,
};

use crate::circuit::{CircuitParams, ModelCircuit};
use crate::eval::{apply_activation, round_shift};
use crate::field::to_field;
use crate::ir::*;
use crate::spec::{CircuitSpec, CompileOptions};
use crate::testing::SplitMix;

fn failures(k: u32, c: &ModelCircuit<Fr>, inst: Vec<Fr>) -> Vec<VerifyFailure> {
    MockProver::run(k, c, vec![inst])
        .unwrap()
        .verify()
        .err()
        .unwrap_or_default()
}

/// For every z of the bits = 4 domain and every wrong quotient q' (with r' chosen so the
/// rescale gate holds and y' = act(q') so the activation lookup holds), only the range
/// lookup on r can reject, and it does.
#[test]
fn requant_wrong_quotient_rejected_by_range_lookup() {
    let acts = [
        Activation::Relu,
        Activation::Table {
            name: "sq".into(),
            min: -8,
            values: (-8..8).map(|q| q * q - 5).collect(),
        },
    ];
    let mut tried = 0;
    for shift in 0..=3u32 {
        let half = if shift == 0 { 0 } else { 1i64 << (shift - 1) };
        let zs: Vec<i64> = ((-(8i64 << shift) - half)..((8i64 << shift) - half)).collect();
        let n = zs.len();
        for act in &acts {
            let m = CircuitModel {
                input_len: n,
                bits: 4,
                layers: vec![Layer {
                    name: "rq".into(),
                    kind: LayerKind::Requant {
                        input: 0,
                        requant: Requant {
                            shift,
                            act: act.clone(),
                        },
                    },
                }],
            };
            let spec = CircuitSpec::compile(&m, &CompileOptions { width: 4 }).unwrap();
            let honest = ModelCircuit::<Fr>::new(
                Arc::new(m),
                CircuitParams { width: 4, ..Default::default() },
                [3; 32],
                Some(zs.clone()),
            )
            .unwrap();
            let inst = honest.instances().unwrap();
            for (j, &z) in zs.iter().enumerate() {
                let q = round_shift(z as i128, shift) as i64;
                let r = z + half - (q << shift);
                let y = apply_activation(act, q);
                for q2 in -8..8i64 {
                    if q2 == q {
                        continue;
                    }
                    let r2 = z + half - (q2 << shift);
                    let y2 = apply_activation(act, q2);
                    let base = 1 + n + 4 * j; // cells z, q, r, y of element j
                    let mut c = honest.clone();
                    c.forge = vec![(base + 1, q2 - q), (base + 2, r2 - r), (base + 3, y2 - y)];
                    let mut bad = inst.clone();
                    bad[1 + n + j] = to_field(y2);
                    let f = failures(spec.k, &c, bad);
                    assert!(!f.is_empty(), "shift {shift} z {z} q' {q2} accepted");
                    assert!(
                        f.iter().all(
                            |e| matches!(e, VerifyFailure::Lookup { name, .. } if name == "range")
                        ),
                        "unexpected failures {f:?}"
                    );
                    tried += 1;
                }
            }
        }
    }
    println!("requant forgeries rejected by the range lookup: {tried}");
}

/// A claimed max other than the true one, with all dependent cells recomputed, is rejected.
#[test]
fn maxpool_wrong_max_rejected() {
    let mut rng = SplitMix(11);
    let mut tried = 0;
    for trial in 0..40 {
        let len = 1 + trial % 4;
        let x: Vec<i64> = (0..len).map(|_| rng.below(16) as i64 - 8).collect();
        let m = CircuitModel {
            input_len: len,
            bits: 4,
            layers: vec![Layer {
                name: "pool".into(),
                kind: LayerKind::MaxPool {
                    input: 0,
                    windows: vec![(0..len as u32).collect()],
                },
            }],
        };
        let spec = CircuitSpec::compile(&m, &CompileOptions { width: 4 }).unwrap();
        let honest = ModelCircuit::<Fr>::new(
            Arc::new(m),
            CircuitParams { width: 4, ..Default::default() },
            [4; 32],
            Some(x.clone()),
        )
        .unwrap();
        let inst = honest.instances().unwrap();
        let max = *x.iter().max().unwrap();
        for y2 in -8..8i64 {
            if y2 == max {
                continue;
            }
            let dy = y2 - max;
            let mut forge = Vec::new();
            let (mut p, mut p2) = (1i64, 1i64);
            for (i, &xi) in x.iter().enumerate() {
                let base = 1 + len + 4 * i; // cells x, y, d, p of row i
                p *= max - xi;
                p2 *= y2 - xi;
                forge.extend([(base + 1, dy), (base + 2, dy), (base + 3, p2 - p)]);
            }
            let mut c = honest.clone();
            c.forge = forge;
            let mut bad = inst.clone();
            bad[1 + len] = to_field(y2);
            assert!(
                !failures(spec.k, &c, bad).is_empty(),
                "x {x:?} y' {y2} accepted"
            );
            tried += 1;
        }
    }
    println!("maxpool forgeries rejected: {tried}");
}

/// The identity requant has no activation table: its `q` is range-checked as `q + 2^(bits-1)`
/// on the element's second row. A consistent forgery whose `q'` leaves `[-8, 8)` (input,
/// its copy, `q`, the shifted copy and `y` all moved together, so the rescale and identity
/// gates and the copy constraints hold, and the instance says so) is rejected by the range
/// lookup alone.
#[test]
fn identity_requant_out_of_range_quotient_rejected_by_range_lookup() {
    let mut tried = 0;
    for shift in 0..=2u32 {
        let half = if shift == 0 { 0 } else { 1i64 << (shift - 1) };
        let zs: Vec<i64> = ((-(8i64 << shift) - half)..((8i64 << shift) - half)).step_by(3).collect();
        let n = zs.len();
        let m = super::builders::requant_only(n, 4, shift, Activation::Identity);
        let plan = crate::chips::tables::TablePlan::from_model(&m, false);
        assert!(plan.acts.is_empty() && plan.ranges.contains(&4), "{plan:?}");
        assert_eq!(plan.act_rows(), 1);
        let spec = CircuitSpec::compile(&m, &CompileOptions { width: 4 }).unwrap();
        let honest = ModelCircuit::<Fr>::new(
            Arc::new(m),
            CircuitParams { width: 4, ..Default::default() },
            [5; 32],
            Some(zs.clone()),
        )
        .unwrap();
        let inst = honest.instances().unwrap();
        assert!(failures(spec.k, &honest, inst.clone()).is_empty());
        for (j, &z) in zs.iter().enumerate() {
            let q = round_shift(z as i128, shift) as i64;
            for q2 in [8i64, 9, 15, -9, -16] {
                let dq = q2 - q;
                let dz = dq << shift;
                let base = 1 + n + 5 * j; // cells z, q, r, q + 8 (next row), y of element j
                let mut c = honest.clone();
                c.forge = vec![(1 + j, dz), (base, dz), (base + 1, dq), (base + 3, dq), (base + 4, dq)];
                let mut bad = inst.clone();
                bad[1 + j] = to_field(z + dz);
                bad[1 + n + j] = to_field(q2);
                let f = failures(spec.k, &c, bad);
                assert!(!f.is_empty(), "shift {shift} z {z} q' {q2} accepted");
                assert!(
                    f.iter().all(|e| matches!(e, VerifyFailure::Lookup { name, .. } if name == "range")),
                    "unexpected failures {f:?}"
                );
                tried += 1;
            }
        }
    }
    println!("identity forgeries rejected by the range lookup: {tried}");
}

/// With `CircuitParams::identity_table` the identity is a table activation (one row per
/// element, lookup `(tag, q, y)`): the same consistent forgeries, `q'` outside `[-8, 8)` with
/// the input, its copy, `q` and `y` moved together, are rejected by the activation lookup alone.
#[test]
fn identity_table_out_of_range_quotient_rejected_by_activation_lookup() {
    let mut tried = 0;
    for shift in 0..=2u32 {
        let half = if shift == 0 { 0 } else { 1i64 << (shift - 1) };
        let zs: Vec<i64> = ((-(8i64 << shift) - half)..((8i64 << shift) - half)).step_by(3).collect();
        let n = zs.len();
        let m = super::builders::requant_only(n, 4, shift, Activation::Identity);
        let plan = crate::chips::tables::TablePlan::from_model(&m, true);
        assert_eq!(plan.acts, vec![Activation::Identity]);
        assert_eq!(plan.act_rows(), 1 + 16);
        let params = CircuitParams { width: 4, identity_table: true, ..Default::default() };
        let spec = CircuitSpec::compile_params(&m, &params).unwrap();
        let honest = ModelCircuit::<Fr>::new(Arc::new(m), params, [5; 32], Some(zs.clone())).unwrap();
        let inst = honest.instances().unwrap();
        assert!(failures(spec.k, &honest, inst.clone()).is_empty());
        for (j, &z) in zs.iter().enumerate() {
            let q = round_shift(z as i128, shift) as i64;
            for q2 in [8i64, 9, 15, -9, -16] {
                let dq = q2 - q;
                let dz = dq << shift;
                let base = 1 + n + 4 * j; // cells z, q, r, y of element j
                let mut c = honest.clone();
                c.forge = vec![(1 + j, dz), (base, dz), (base + 1, dq), (base + 3, dq)];
                let mut bad = inst.clone();
                bad[1 + j] = to_field(z + dz);
                bad[1 + n + j] = to_field(q2);
                let f = failures(spec.k, &c, bad);
                assert!(!f.is_empty(), "shift {shift} z {z} q' {q2} accepted");
                assert!(
                    f.iter().all(|e| matches!(e, VerifyFailure::Lookup { name, .. } if name == "activation")),
                    "unexpected failures {f:?}"
                );
                tried += 1;
            }
        }
    }
    println!("identity-table forgeries rejected by the activation lookup: {tried}");
}

/// With merged lookups a table activation's remainder is range-checked on the element's second
/// row, through the one `requant` lookup: a consistent forgery (`q + 1`, `r - 2^s` on both rows,
/// `y = relu(q + 1)` and the output moved with it) passes the rescale gate, the copy and the
/// activation entry, and only the range entry rejects the negative remainder.
#[test]
fn merged_lookups_out_of_range_remainder_rejected_by_the_requant_lookup() {
    let params = CircuitParams { width: 4, merged_lookups: true, ..Default::default() };
    // Cells of element j: z, q, r, the copy of r (next row), y.
    let tried = forged_remainders_rejected(params, 5, [1, 2, 3, 4], "requant");
    println!("merged-lookup remainder forgeries rejected by the requant lookup: {tried}");
}

/// The compact column set's chained requant: the same consistent forgery (`q + 1` with the
/// remainder `r - 2^s`, its copy on the range row, `y` and the public output to match, so the
/// rescale gate and every copy hold) is rejected by the range entry of the one lookup alone.
#[test]
fn compact_out_of_range_remainder_rejected_by_the_chained_lookup() {
    let params = CircuitParams { width: 3, merged_lookups: true, identity_table: true, compact: true, ..Default::default() };
    // Cells of element j: the one-term dot row's input copy and acc, then q, r, y and the copy
    // of r on the range row.
    let tried = forged_remainders_rejected(params, 6, [2, 3, 5, 4], "requant (chained)");
    println!("compact remainder forgeries rejected by the chained lookup: {tried}");
}

/// A one-layer ReLU requant model under `params` (one lookup argument), forged per element
/// whose `q + 1` is still in the table: `q + 1`, `r - 2^s` and its copy, `y + 1` and the output.
/// `stride` is the element's advice cells and `cells` the offsets of `q`, `r`, the copy of `r`
/// and `y` among them. Every forgery must fail the lookup `lookup` and nothing else. Returns
/// the number of forgeries tried.
fn forged_remainders_rejected(params: CircuitParams, stride: usize, cells: [usize; 4], lookup: &str) -> usize {
    let [q_at, r_at, copy_at, y_at] = cells;
    let mut tried = 0;
    for shift in 1..=2u32 {
        let zs: Vec<i64> = (0..(6i64 << shift)).step_by(3).collect();
        let n = zs.len();
        let m = super::builders::requant_only(n, 4, shift, Activation::Relu);
        let spec = CircuitSpec::compile_params(&m, &params).unwrap();
        assert_eq!(spec.lookup_arguments, 1, "{spec:?}");
        let honest = ModelCircuit::<Fr>::new(Arc::new(m), params, [5; 32], Some(zs.clone())).unwrap();
        let inst = honest.instances().unwrap();
        assert!(failures(spec.k, &honest, inst.clone()).is_empty());
        for (j, &z) in zs.iter().enumerate() {
            let q = round_shift(z as i128, shift) as i64;
            if q > 6 {
                continue;
            }
            let p = 1i64 << shift;
            let base = 1 + n + stride * j;
            let mut c = honest.clone();
            c.forge = vec![(base + q_at, 1), (base + r_at, -p), (base + copy_at, -p), (base + y_at, 1)];
            let mut bad = inst.clone();
            bad[1 + n + j] = to_field(q + 1);
            let f = failures(spec.k, &c, bad);
            assert!(!f.is_empty(), "shift {shift} z {z} accepted");
            assert!(
                f.iter().all(|e| matches!(e, VerifyFailure::Lookup { name, .. } if name == lookup)),
                "unexpected failures {f:?}"
            );
            tried += 1;
        }
    }
    assert!(tried > 0);
    tried
}
