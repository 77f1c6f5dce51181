use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// Quantization settings. They are part of the model hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantConfig {
    /// Signed range of every activation, in bits: values lie in `[-2^(bits-1), 2^(bits-1))`.
    /// The circuit's activation tables have `2^bits` rows per activation kind.
    pub bits: u32,
    /// Signed bits of the largest weight of each layer.
    pub weight_bits: u32,
    /// Largest rescale shift; the circuit's range table has `2^shift` rows per shift used.
    pub max_shift: u32,
    /// Calibrated maxima are multiplied by `headroom_percent / 100` before a scale is chosen,
    /// so that inputs a little outside the calibration set still fit. The power-of-two scale
    /// then leaves between 1x and 2x of this margin.
    pub headroom_percent: u32,
}

impl Default for QuantConfig {
    fn default() -> Self {
        // Headroom 150%: on 45 digits models calibrated on 200 training samples, the largest
        // tensor on the 450 test samples reached 1.23x its calibrated maximum, so 125% left
        // one model 2% from overflowing; 150% leaves at least 30%, at the cost of about one
        // more argmax disagreement in 3,000 samples.
        QuantConfig { bits: 10, weight_bits: 9, max_shift: 10, headroom_percent: 150 }
    }
}

impl QuantConfig {
    pub fn validate(&self) -> Result<()> {
        if !(4..=16).contains(&self.bits) {
            return Err(ModelError::Config(format!("bits = {} (allowed 4..=16)", self.bits)));
        }
        if !(2..=16).contains(&self.weight_bits) {
            return Err(ModelError::Config(format!("weight_bits = {} (allowed 2..=16)", self.weight_bits)));
        }
        if !(1..=16).contains(&self.max_shift) {
            return Err(ModelError::Config(format!("max_shift = {} (allowed 1..=16)", self.max_shift)));
        }
        if !(100..=400).contains(&self.headroom_percent) {
            return Err(ModelError::Config(format!(
                "headroom_percent = {} (allowed 100..=400)",
                self.headroom_percent
            )));
        }
        Ok(())
    }
    /// Smallest representable activation.
    pub fn min(&self) -> i64 {
        -(1i64 << (self.bits - 1))
    }
    /// Largest representable activation.
    pub fn max(&self) -> i64 {
        (1i64 << (self.bits - 1)) - 1
    }
}
