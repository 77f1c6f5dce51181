//! Small models for tests, built with a deterministic generator.
use crate::eval::eval;
use crate::ir::*;
use crate::testing::SplitMix;

pub const BITS: u32 = 8;

pub fn dense_rows(rng: &mut SplitMix, n_in: usize, n_out: usize, src: u8) -> Vec<AffineRow> {
    (0..n_out)
        .map(|_| AffineRow {
            bias: rng.below(41) as i64 - 20,
            terms: (0..n_in)
                .map(|i| Term {
                    src,
                    idx: i as u32,
                    coeff: rng.below(17) as i64 - 8,
                })
                .collect(),
        })
        .collect()
}

pub fn affine(name: &str, inputs: Vec<TensorId>, rows: Vec<AffineRow>, act: Activation) -> Layer {
    Layer {
        name: name.into(),
        kind: LayerKind::Affine(AffineLayer {
            params: None,
            inputs,
            rows,
            requant: Requant { shift: 0, act },
        }),
    }
}

/// A model of one requant layer "rq" over an `n`-element input of width `bits`: what the
/// requant forgery tests attack.
pub fn requant_only(n: usize, bits: u32, shift: u32, act: Activation) -> CircuitModel {
    CircuitModel {
        input_len: n,
        bits,
        layers: vec![Layer { name: "rq".into(), kind: LayerKind::Requant { input: 0, requant: Requant { shift, act } } }],
    }
}

/// Sets every requant shift, in layer order, to the smallest value that keeps `input` in range.
pub fn fit_shifts(model: &mut CircuitModel, input: &[i64]) {
    for l in 0..model.layers.len() {
        for s in 0..=16 {
            match &mut model.layers[l].kind {
                LayerKind::Affine(a) => a.requant.shift = s,
                LayerKind::Requant { requant, .. } => requant.shift = s,
                _ => break,
            }
            let mut prefix = model.clone();
            prefix.layers.truncate(l + 1);
            if eval(&prefix, input).is_ok() {
                break;
            }
        }
    }
}

pub fn input(rng: &mut SplitMix, n: usize) -> Vec<i64> {
    (0..n).map(|_| rng.below(256) as i64 - 128).collect()
}

/// A sigmoid-like table over the 8-bit range: `y = round(127 / (1 + exp(-q / 32)))` computed
/// with integers only (a clamped ramp stands in for the curve).
pub fn table_act() -> Activation {
    let half = 1i64 << (BITS - 1);
    Activation::Table {
        name: "ramp".into(),
        min: -half,
        values: (-half..half).map(|q| (q / 2 + 64).clamp(0, 127)).collect(),
    }
}

pub fn dense(act: Activation, seed: u64) -> (CircuitModel, Vec<i64>) {
    let mut rng = SplitMix(seed);
    let mut m = CircuitModel {
        input_len: 6,
        bits: BITS,
        layers: vec![affine("fc", vec![0], dense_rows(&mut rng, 6, 4, 0), act)],
    };
    let x = input(&mut rng, 6);
    fit_shifts(&mut m, &x);
    (m, x)
}
