//! Float against quantized accuracy on a labelled set.
//!
//! A prediction is the argmax along the output's last axis: one per sample for a classifier
//! (`[1, 10]`), one per position for a model that predicts at every position (a language
//! model's `[1, 8, vocabulary]` next-token logits). Agreement and accuracy count predictions.
use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::data::Dataset;
use crate::error::{ModelError, Result};
use crate::graph::Graph;
use crate::quant::QuantModel;

#[derive(Clone, Debug, Serialize)]
pub struct AccuracyReport {
    pub samples: usize,
    /// Predictions per sample: the output's elements over its last dimension.
    pub positions: usize,
    /// Fraction of predictions whose float argmax equals the label (None without labels).
    pub float_accuracy: Option<f64>,
    pub quant_accuracy: Option<f64>,
    /// Fraction of predictions where the quantized argmax equals the float argmax.
    pub argmax_agreement: f64,
    /// Over all output elements of all samples: |float - dequantized integer output|.
    pub max_abs_error: f64,
    pub mean_abs_error: f64,
    /// Samples whose integer inference left the table range (counted as disagreements).
    pub out_of_range: usize,
    /// Of those, how many left it at each layer (by layer name).
    pub out_of_range_layers: BTreeMap<String, usize>,
}

pub fn argmax(v: &[f32]) -> usize {
    v.iter().enumerate().fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &x)| if x > bv { (i, x) } else { (bi, bv) }).0
}

/// The argmax of each run of `classes` values.
pub fn argmax_per_position(v: &[f32], classes: usize) -> Vec<usize> {
    v.chunks(classes.max(1)).map(argmax).collect()
}

struct One {
    float_argmax: Vec<usize>,
    quant: std::result::Result<Vec<f32>, String>,
    float: Vec<f32>,
}

pub fn evaluate(graph: &Graph, model: &QuantModel, data: &Dataset) -> Result<AccuracyReport> {
    let data = &data.fit(&graph.input_shape)?;
    if data.samples.is_empty() {
        return Err(ModelError::NoCalibrationData);
    }
    let classes = model.output_shape().last().copied().unwrap_or(1).max(1);
    let runs: Vec<One> = data
        .samples
        .par_iter()
        .enumerate()
        .map(|(i, x)| {
            let float = crate::float::predict(graph, x).map_err(|e| e.at_sample(i))?;
            // Only a range overflow counts as a failed sample; anything else is an error.
            let quant = match model.quantize_input(x).and_then(|q| model.forward(&q)) {
                Ok(t) => Ok(model.dequantize_output(&t.output().iter().copied().collect::<Vec<_>>())),
                Err(ModelError::OutOfRange { layer, .. }) => Err(layer),
                Err(e) => return Err(e.at_sample(i)),
            };
            Ok(One { float_argmax: argmax_per_position(&float, classes), quant, float })
        })
        .collect::<Result<_>>()?;
    let positions = runs.first().map_or(1, |r| r.float_argmax.len());
    if let Some(l) = &data.labels {
        if let Some(i) = l.iter().position(|l| l.len() != positions) {
            return Err(ModelError::Data {
                path: "labels".into(),
                reason: format!("sample {i} has {} labels; the model predicts {positions} per sample", l[i].len()),
            });
        }
    }
    let (mut agree, mut max_err, mut sum_err, mut count, mut oor) = (0usize, 0f64, 0f64, 0usize, 0usize);
    let (mut fcorrect, mut qcorrect) = (0usize, 0usize);
    let mut oor_layers = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        let label = data.labels.as_ref().and_then(|l| l.get(i));
        let hits = |pred: &[usize]| label.map_or(0, |l| pred.iter().zip(l).filter(|(p, l)| p == l).count());
        fcorrect += hits(&r.float_argmax);
        match &r.quant {
            Ok(q) => {
                let qa = argmax_per_position(q, classes);
                agree += qa.iter().zip(&r.float_argmax).filter(|(a, b)| a == b).count();
                qcorrect += hits(&qa);
                for (a, b) in q.iter().zip(&r.float) {
                    let e = (*a as f64 - *b as f64).abs();
                    max_err = max_err.max(e);
                    sum_err += e;
                    count += 1;
                }
            }
            Err(layer) => {
                oor += 1;
                *oor_layers.entry(layer.clone()).or_insert(0) += 1;
            }
        }
    }
    let labelled = data.labels.is_some();
    let n = (runs.len() * positions) as f64;
    Ok(AccuracyReport {
        samples: runs.len(),
        positions,
        float_accuracy: labelled.then(|| fcorrect as f64 / n),
        quant_accuracy: labelled.then(|| qcorrect as f64 / n),
        argmax_agreement: agree as f64 / n,
        max_abs_error: max_err,
        mean_abs_error: if count > 0 { sum_err / count as f64 } else { 0.0 },
        out_of_range: oor,
        out_of_range_layers: oor_layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::zoo;

    /// The Done-when of the zoo: calibrated on 200 training samples, the quantized model's
    /// argmax agrees with the float model's on >= 99% of the held-out digits test split, and
    /// no test sample overflows the activation range.
    #[test]
    fn zoo_models_agree_with_float_on_the_test_split() {
        let calibration = Dataset::load(&zoo("calibration.json")).unwrap();
        let test = Dataset::load(&zoo("digits_test.json")).unwrap();
        assert_eq!((calibration.samples.len(), test.samples.len()), (200, 450));
        for name in ["mlp.onnx", "cnn.onnx", "resnet.onnx", "smooth.onnx"] {
            let (g, m) = crate::load_and_quantize(&zoo(name), &calibration, &crate::QuantConfig::default()).unwrap();
            let r = evaluate(&g, &m, &test).unwrap();
            assert_eq!(r.out_of_range, 0, "{name}: {r:?}");
            assert!(r.argmax_agreement >= 0.99, "{name}: {r:?}");
            // The float models are the trained ones (93% to 97% test accuracy).
            assert!(r.float_accuracy.unwrap_or(0.0) > 0.9, "{name}: {r:?}");
        }
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[0.0, 2.0, 2.0, -1.0]), 1);
        assert_eq!(argmax(&[]), 0);
        assert_eq!(argmax_per_position(&[0.0, 2.0, 3.0, -1.0, 5.0, 5.0], 3), vec![2, 1]);
    }
}
