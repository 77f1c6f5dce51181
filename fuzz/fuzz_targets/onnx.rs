//! ONNX bytes: `load_onnx_bytes` (tract parse, typing, decluttering, then our conversion),
//! `simplify`, and for small models calibration, quantization and the integer forward pass.
//! Oracle: no panic outside tract (tract's own panics become `ModelError::InvalidOnnx` at the
//! import boundary, see `zkinfer_fuzz::install_panic_policy`), no abort, no run-away.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use zkinfer_models::{load_onnx_bytes, quant, simplify::simplify, QuantConfig};

/// Models above this many input values or nodes only go through import and simplification
/// (the forward passes of a large model would dominate the run without reaching new code).
const SMALL_INPUT: usize = 4096;
const SMALL_NODES: usize = 64;

fuzz_target!(init: { zkinfer_fuzz::install_panic_policy(); }, |data: &[u8]| {
    let Ok(graph) = load_onnx_bytes(data, Path::new("fuzz.onnx")) else { return };
    let Ok(graph) = simplify(graph) else { return };
    let n = graph.input_len();
    if n > SMALL_INPUT || graph.nodes.len() > SMALL_NODES {
        return;
    }
    let samples = vec![vec![0.5f32; n], (0..n).map(|i| if i % 2 == 0 { -1.0 } else { 0.25 }).collect()];
    let Ok(max_abs) = quant::calibrate(&graph, &samples) else { return };
    let Ok(model) = quant::quantize(&graph, &max_abs, &QuantConfig::default()) else { return };
    let Ok(x) = model.quantize_input(&samples[0]) else { return };
    let _ = model.forward(&x);
});
