//! zkinfer-models: ONNX import, quantization and the exact integer reference.
//!
//! The flow: [`load_onnx`] -> [`Graph`] (float, typed ops, concrete shapes) -> [`simplify`]
//! (affine chains composed) -> [`quant::quantize`] with calibration data -> [`QuantModel`] whose
//! [`QuantModel::forward`] is the integer specification the circuit proves.
pub mod accuracy;
pub mod data;
pub mod error;
pub mod float;
pub mod graph;
pub mod import;
pub mod quant;
pub mod simplify;
pub mod summary;
#[cfg(test)]
pub(crate) mod testing;

pub use error::{ModelError, Result, UnsupportedNode};
pub use graph::Graph;
pub use import::load_onnx;
pub use quant::{QuantConfig, QuantModel};

/// Load an ONNX file, simplify it, calibrate on `calibration` and quantize with `cfg`.
pub fn load_and_quantize(
    path: &std::path::Path,
    calibration: &data::Dataset,
    cfg: &QuantConfig,
) -> Result<(Graph, QuantModel)> {
    let graph = simplify::simplify(load_onnx(path)?)?;
    calibration.check_shape(&graph.input_shape)?;
    let max_abs = quant::calibrate(&graph, &calibration.samples)?;
    let model = quant::quantize(&graph, &max_abs, cfg)?;
    Ok((graph, model))
}
