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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_the_function_at_every_point_of_small_domains() {
        for bits in [6u32, 8, 10] {
            let cfg = QuantConfig { bits, ..QuantConfig::default() };
            let out = table_out_scale(&cfg);
            let unit = (out as f64).exp2();
            for f in [Nonlinearity::Sigmoid, Nonlinearity::Tanh] {
                for in_scale in [0, 2, bits as i32 - 3, bits as i32] {
                    let QAct::Table { f: g, min, in_scale: s, values } = activation(f, in_scale, &cfg) else {
                        panic!("{f:?}: not a table");
                    };
                    assert_eq!((g, min, s, values.len()), (f, cfg.min(), in_scale, 1usize << bits));
                    let mut prev = i64::MIN;
                    for (q, &v) in (cfg.min()..=cfg.max()).zip(&values) {
                        let exact = f.apply(q as f64 / (in_scale as f64).exp2());
                        assert!((v as f64 / unit - exact).abs() <= 0.5 / unit, "{f:?} bits {bits} q {q}: {v}");
                        assert!(v >= prev, "{f:?} not monotone at {q}");
                        assert!((cfg.min()..=cfg.max()).contains(&v));
                        prev = v;
                    }
                    if f == Nonlinearity::Tanh {
                        // Odd: values[q] = -values[-q] wherever -q is in the range.
                        for q in cfg.min() + 1..=cfg.max() {
                            assert_eq!(values[(q - min) as usize], -values[(-q - min) as usize]);
                        }
                    }
                }
            }
            assert_eq!(activation(Nonlinearity::Relu, 3, &cfg), QAct::Relu);
        }
    }

    #[test]
    fn table_lookup_is_total() {
        let cfg = QuantConfig { bits: 6, ..QuantConfig::default() };
        let t = activation(Nonlinearity::Sigmoid, 3, &cfg);
        // Inside the range: the entry; outside (never reached after the range check): 0.
        assert_eq!(t.apply(cfg.min()), 0);
        assert_eq!(t.apply(cfg.max()), 1 << table_out_scale(&cfg));
        assert_eq!((t.apply(cfg.max() + 1), t.apply(i64::MIN)), (0, 0));
    }
}
