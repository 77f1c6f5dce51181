//! The zoo's tiny GPT-2 (`models/zoo/make_gpt.py`: Hugging Face `GPT2LMHeadModel`, 2
//! layers, 2 heads, width 32, vocabulary 16, 8 tokens, trained on counting sequences), exported
//! by torch's TorchScript and dynamo exporters, imports in both forms: token and position
//! embeddings, layer norms, causal attention with Hugging Face's masks (the TorchScript export's
//! folded `where(mask, 0, -inf)` constant, an additive mask) and its NaN guard after the
//! softmax (`where(isnan(p), 0, p)`, which passes `p` through), the tanh GELU.
//! Quantized with 11-bit activations (`--bits 11`) and calibrated on the task's sequences, the
//! next-token argmax agrees with the float model at >= 98% of the held-out positions in both
//! exports, and both prove and verify from the CLI with the proved logits equal to the integer
//! reference.
mod common;

use common::*;
use zkinfer::models::data::Dataset;
use zkinfer::models::QuantConfig;
use zkinfer::pipeline::{self, Calibration};

const BITS: u32 = 11;

fn prepared(name: &str) -> pipeline::Prepared {
    let cfg = QuantConfig { bits: BITS, ..QuantConfig::default() };
    pipeline::prepare(&zoo(name), Calibration::File(zoo("gpt_calibration.json")), &cfg).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_quantized_gpt_predicts_the_float_models_next_tokens() {
    let data = Dataset::load(&zoo("gpt_data.json")).unwrap();
    for name in ["gpt.onnx", "gpt_dynamo.onnx"] {
        let p = prepared(name);
        let r = zkinfer::models::accuracy::evaluate(p.graph.get().unwrap(), &p.quant, &data).unwrap();
        assert_eq!((r.samples, r.positions), (200, 8), "{name}");
        assert_eq!(r.out_of_range, 0, "{name}: {r:?}");
        assert!(r.argmax_agreement >= 0.98, "{name}: {r:?}");
        assert!(r.quant_accuracy.unwrap() >= 0.98, "{name}: {r:?}");
        // Every layer has a counterpart in the float model or is one of the quantizer's own
        // (a norm's reciprocal square root, a rescale before a product).
        let layers = zkinfer::models::layer_error::layer_errors(p.graph.get().unwrap(), &p.quant, &data).unwrap();
        for l in &layers {
            let own = l.layer.ends_with(".rsqrt") || l.layer.contains(".prescale");
            assert_eq!(l.float_tensor.is_none(), own, "{name}: {l:?}");
            assert!(l.range_used <= 1.0, "{name}: {l:?}");
        }
    }
}

#[test]
fn both_gpt_exports_prove_and_verify_from_the_cli() {
    let input = zoo("gpt_input.json");
    let ids = Dataset::load(&input).unwrap().samples.remove(0);
    for name in ["gpt.onnx", "gpt_dynamo.onnx"] {
        let p = prepared(name);
        let reference: Vec<i64> = p.quant.forward(&p.quant.quantize_input(&ids).unwrap()).unwrap().output().iter().copied().collect();
        let calibration = zoo("gpt_calibration.json");
        let flags = ["--calibration", calibration.to_str().unwrap(), "--bits", "11", "--backend", "kzg"];
        let report = prove_verify_cli(&format!("zoo_{name}"), &zoo(name), &input, &flags, &reference);
        assert_eq!(report["k"], 15, "{name}: {report}");
    }
}

#[test]
fn the_gpt_imports_in_both_exports() {
    for name in ["gpt.onnx", "gpt_dynamo.onnx"] {
        let g = zkinfer::models::load_onnx(&zoo(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let labels: Vec<&str> = g.nodes.iter().map(|n| n.op.label()).collect();
        assert_eq!(g.input_shape, [1, 8], "{name}");
        assert_eq!(labels.iter().filter(|l| **l == "softmax").count(), 2, "{name}: {labels:?}");
        assert!(labels.contains(&"embedding"), "{name}: {labels:?}");
        // The NaN guard's Where is a pass-through, not a copy layer.
        assert!(!labels.contains(&"concat"), "{name}: {labels:?}");
        let x: Vec<f32> = (0..8).map(|i| ((3 + 2 * i) % 16) as f32).collect();
        let y = zkinfer::models::float::predict(&g, &x).unwrap();
        assert_eq!(y.len(), 8 * 16, "{name}");
        assert!(y.iter().all(|v| v.is_finite()), "{name}");
        // The imported float model does the trained task: from the second token on, the next
        // token continues the count (3, 5, 7, ... -> 7, 9, ...).
        let argmax = |v: &[f32]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap_or(0);
        for t in 1..8 {
            assert_eq!(argmax(&y[16 * t..16 * (t + 1)]), (x[t] as usize + 2) % 16, "{name}: position {t}");
        }
    }
}
