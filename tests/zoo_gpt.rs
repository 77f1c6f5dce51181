//! The zoo's tiny GPT-2 (`models/zoo/make_gpt.py`: Hugging Face `GPT2LMHeadModel`, 2
//! layers, 2 heads, width 32, vocabulary 16, 8 tokens, trained on counting sequences), exported
//! by torch's TorchScript and dynamo exporters, imports in both forms: token and position
//! embeddings, layer norms, causal attention with Hugging Face's masks (the TorchScript export's
//! folded `where(mask, 0, -inf)` constant, an additive mask) and its NaN guard after the
//! softmax (`where(isnan(p), 0, p)`, which passes `p` through), the tanh GELU.
//! (Its quantization still fails on held-out sequences: the final layer norm's mean square
//! leaves the reciprocal-square-root table's input range; see README.md, "What is supported".)
mod common;

use common::*;

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
