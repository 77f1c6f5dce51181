//! The requant chip over its whole small domain: bits = 4, shifts 0..=3, every `z` whose
//! rescale fits, three activations. The circuit accepts exactly eval's output (outputs are
//! bound to the instance) and rejects every wrong `y`.
use std::sync::Arc;

use halo2_proofs::halo2curves::bn256::Fr;

use crate::circuit::{CircuitParams, ModelCircuit};
use crate::error::CircuitError;
use crate::eval::eval;
use crate::ir::*;
use crate::spec::{CircuitSpec, CompileOptions};
use crate::testing::mock_verify;

fn model(len: usize, shift: u32, act: Activation) -> CircuitModel {
    CircuitModel {
        input_len: len,
        bits: 4,
        layers: vec![Layer {
            name: "rq".into(),
            kind: LayerKind::Requant {
                input: 0,
                requant: Requant { shift, act },
            },
        }],
    }
}

#[test]
fn requant_all_inputs_bits4() {
    let acts = [
        Activation::Identity,
        Activation::Relu,
        Activation::Table {
            name: "sq".into(),
            min: -8,
            values: (-8..8).map(|q| q * q - 5).collect(),
        },
    ];
    let mut checked = 0;
    for shift in 0..=3u32 {
        let half = if shift == 0 { 0 } else { 1i64 << (shift - 1) };
        let lo = -(8i64 << shift) - half;
        let hi = (8i64 << shift) - half; // exclusive
        let zs: Vec<i64> = (lo..hi).collect();
        for act in &acts {
            let m = model(zs.len(), shift, act.clone());
            // Just outside the domain on both sides: typed errors.
            for z in [lo - 1, hi] {
                let one = model(1, shift, act.clone());
                assert!(
                    matches!(eval(&one, &[z]), Err(CircuitError::OutOfRange { .. })),
                    "z={z}"
                );
            }
            let spec = CircuitSpec::compile(&m, &CompileOptions { width: 4 }).unwrap();
            let c = ModelCircuit::<Fr>::new(
                Arc::new(m),
                CircuitParams { width: 4, ..Default::default() },
                [1; 32],
                Some(zs.clone()),
            )
            .unwrap();
            let inst = c.instances().unwrap();
            mock_verify(spec.k, &c, inst.clone()).unwrap();
            // A wrong y for every z (two different wrong values) is rejected.
            let out0 = 1 + zs.len();
            for j in 0..zs.len() {
                for d in [1u64, 3] {
                    let mut bad = inst.clone();
                    bad[out0 + j] += Fr::from(d);
                    assert!(
                        mock_verify(spec.k, &c, bad).is_err(),
                        "shift {shift} z {} accepted",
                        zs[j]
                    );
                    checked += 1;
                }
            }
        }
    }
    println!("requant exhaustive: {checked} wrong outputs rejected");
}
