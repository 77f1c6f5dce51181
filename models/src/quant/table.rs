//! Lookup tables for smooth activations, computed once at quantization time so that the
//! integer reference and the circuit only ever look values up.
use super::config::QuantConfig;
use super::model::QAct;
use crate::graph::Nonlinearity;

/// Output scale exponent of sigmoid and tanh: |f| <= 1 fits with one spare bit.
pub fn table_out_scale(cfg: &QuantConfig) -> i32 {
    cfg.bits as i32 - 2
}

/// The activation for `f` with input scale `in_scale` over the whole activation range.
pub fn activation(f: Nonlinearity, in_scale: i32, cfg: &QuantConfig) -> QAct {
    match f {
        Nonlinearity::Relu => QAct::Relu,
        Nonlinearity::Sigmoid | Nonlinearity::Tanh => {
            let (min, max) = (cfg.min(), cfg.max());
            let (fin, fout) = ((-(in_scale as f64)).exp2(), (table_out_scale(cfg) as f64).exp2());
            let values = (min..=max)
                .map(|q| ((f.apply(q as f64 * fin) * fout).round() as i64).clamp(min, max))
                .collect();
            QAct::Table { f, min, in_scale, values }
        }
    }
}
