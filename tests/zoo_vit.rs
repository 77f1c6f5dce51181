//! The zoo's tiny ViT on the 8x8 digits (`models/zoo/train_vit.py`: 2x2 patches, width 16, 2
//! pre-norm encoder blocks of 2 heads, GELU MLP), exported by torch's TorchScript and dynamo
//! exporters: both import, the quantized argmax agrees with the float model on at least 99% of
//! the 450 held-out digits, the circuit's witness equals the integer reference, and both prove
//! and verify from the CLI (k = 15) with the proved output equal to the integer reference.
mod common;

use common::*;
use zkinfer::models::data::Dataset;
use zkinfer::pipeline::{self, Calibration, Settings};

#[test]
fn the_vit_in_both_exports_agrees_with_the_float_model() {
    let test = Dataset::load(&zoo("digits_test.json")).unwrap();
    let labels = test.labels.clone().unwrap();
    for name in ["vit.onnx", "vit_dyn.onnx"] {
        let p = pipeline::prepare(&zoo(name), Calibration::File(zoo("calibration.json")), &Settings::default().quant)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let samples = test.fit(&p.graph.get().unwrap().input_shape).unwrap().samples;
        let argmax = |v: &[f32]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap_or(0);
        let (mut agree, mut correct) = (0, 0);
        for (i, x) in samples.iter().enumerate() {
            let float = zkinfer::models::float::predict(p.graph.get().unwrap(), x).unwrap();
            let q = p.quant.quantize_input(x).unwrap();
            let trace = p.quant.forward(&q).unwrap();
            let out: Vec<i64> = trace.output().iter().copied().collect();
            if i < 2 {
                assert_eq!(zkinfer::circuits::eval(&p.circuit, &q).unwrap().output(), out.as_slice(), "{name}");
            }
            let quant = p.quant.dequantize_output(&out);
            agree += usize::from(argmax(&float) == argmax(&quant));
            correct += usize::from(argmax(&quant) == labels[i][0]);
        }
        let n = samples.len();
        assert_eq!(n, 450);
        assert!(agree * 100 >= 99 * n, "{name}: quantized argmax agrees with the float model on {agree} of {n}");
        assert!(correct * 100 >= 90 * n, "{name}: quantized accuracy {correct} of {n}");
    }
}

#[test]
fn both_vit_exports_prove_and_verify_from_the_cli() {
    let input = zoo("input.json");
    let calibration = zoo("calibration.json");
    let x = Dataset::load(&input).unwrap().samples.remove(0);
    for name in ["vit.onnx", "vit_dyn.onnx"] {
        let p = pipeline::prepare(&zoo(name), Calibration::File(calibration.clone()), &Settings::default().quant).unwrap();
        let reference: Vec<i64> = p.quant.forward(&p.quant.quantize_input(&x).unwrap()).unwrap().output().iter().copied().collect();
        let flags = ["--calibration", calibration.to_str().unwrap(), "--backend", "kzg"];
        let report = prove_verify_cli(&format!("zoo_{name}"), &zoo(name), &input, &flags, &reference);
        assert_eq!(report["k"], 15, "{name}: {report}");
    }
}
