//! zkinfer-models: ONNX import, quantization and the exact integer reference.
//!
//! The flow: [`load_onnx`] -> [`Graph`] (float, typed ops, concrete shapes) -> [`simplify`]
//! (affine chains composed) -> [`quant::quantize`] with calibration data -> [`QuantModel`] whose
//! [`QuantModel::forward`] is the integer specification the circuit proves.
pub mod accuracy;
pub mod data;
pub mod embedding;
pub mod error;
pub mod float;
pub mod graph;
pub mod import;
pub mod layer_error;
pub mod norm;
pub mod product;
pub mod quant;
pub mod simplify;
pub mod softmax;
pub mod summary;
#[cfg(test)]
pub(crate) mod testing;

pub use error::{ModelError, Result, UnsupportedNode};
pub use graph::Graph;
pub use import::{load_onnx, load_onnx_bytes, onnx_files};
pub use quant::{QuantConfig, QuantModel};

/// Load an ONNX file, simplify it, calibrate on `calibration` and quantize with `cfg`.
pub fn load_and_quantize(
    path: &std::path::Path,
    calibration: &data::Dataset,
    cfg: &QuantConfig,
) -> Result<(Graph, QuantModel)> {
    let graph = simplify::simplify(load_onnx(path)?)?;
    let model = quantize_graph(&graph, calibration, cfg)?;
    Ok((graph, model))
}

/// Calibrate a loaded graph on `calibration` (either layout, see [`data::Dataset::fit`]) and
/// quantize it with `cfg`.
pub fn quantize_graph(graph: &Graph, calibration: &data::Dataset, cfg: &QuantConfig) -> Result<QuantModel> {
    let calibration = calibration.fit(&graph.input_shape)?;
    let max_abs = quant::calibrate(graph, &calibration.samples)?;
    quant::quantize(graph, &max_abs, cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::testing::{check_model, fixture};

    #[test]
    fn multi_op_fixtures_match_tract_and_the_float_reference() {
        for name in ["pool_bn.onnx", "elementwise.onnx"] {
            let c = check_model(name);
            assert!(c.max_err <= c.max_bound, "{name}");
        }
    }

    fn calib(samples: Vec<Vec<f32>>) -> Dataset {
        Dataset { samples, labels: None }
    }

    #[test]
    fn calibration_of_the_wrong_length_is_input_length() {
        let path = fixture("ops/gemm.onnx");
        let e = load_and_quantize(&path, &calib(vec![vec![0.5; 6], vec![0.5; 5]]), &QuantConfig::default()).unwrap_err();
        assert!(matches!(e, ModelError::InputLength { sample: 1, expected: 6, got: 5, .. }), "{e}");
        assert!(e.to_string().starts_with("sample 1: expected 6 values"), "{e}");
    }

    #[test]
    fn non_finite_calibration_is_refused_with_its_position() {
        let path = fixture("ops/gemm.onnx");
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut s = vec![vec![0.5f32; 6]; 3];
            s[2][4] = bad;
            let e = load_and_quantize(&path, &calib(s), &QuantConfig::default()).unwrap_err();
            assert!(matches!(e, ModelError::NonFinite { sample: 2, index: 4, .. }), "{e}");
        }
        let e = load_and_quantize(&path, &calib(vec![]), &QuantConfig::default()).unwrap_err();
        assert!(matches!(e, ModelError::NoCalibrationData), "{e}");
    }

    #[test]
    fn bad_inference_inputs_are_typed_errors() {
        let path = fixture("ops/gemm_relu.onnx");
        let (g, m) = load_and_quantize(&path, &calib(vec![vec![1.0; 6], vec![-1.0; 6]]), &QuantConfig::default()).unwrap();
        // Wrong element count, for the float reference and for quantization.
        for e in [float::forward(&g, &[0.0; 7]).unwrap_err(), m.quantize_input(&[0.0; 5]).unwrap_err()] {
            assert!(matches!(e, ModelError::InputLength { expected: 6, .. }), "{e}");
        }
        // NaN and infinities.
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut x = vec![0.0f32; 6];
            x[1] = bad;
            for e in [float::forward(&g, &x).unwrap_err(), m.quantize_input(&x).unwrap_err()] {
                assert!(matches!(e, ModelError::NonFinite { index: 1, .. }), "{e}");
            }
        }
        // Finite but far outside the calibrated range.
        let e = m.quantize_input(&[0.0, 0.0, 1e30, 0.0, 0.0, 0.0]).unwrap_err();
        assert!(matches!(&e, ModelError::OutOfRange { layer, index: 2, .. } if layer == "input"), "{e}");
    }

    #[test]
    fn bad_settings_are_config_errors() {
        let path = fixture("ops/gemm.onnx");
        let cfg = QuantConfig { bits: 40, ..QuantConfig::default() };
        let e = load_and_quantize(&path, &calib(vec![vec![1.0; 6]]), &cfg).unwrap_err();
        assert!(matches!(e, ModelError::Config(_)), "{e}");
    }
}
