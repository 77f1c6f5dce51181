//! Lookup tables for smooth activations, computed once at quantization time so that the
//! integer reference and the circuit only ever look values up.
use super::config::QuantConfig;
use super::model::QAct;
use crate::graph::Nonlinearity;

/// Output scale exponent of a table activation `f` whose input has scale `in_scale`.
///
/// For `|f| <= 1` (sigmoid, tanh, erf): `bits - 2`, one spare bit. Otherwise the largest
/// scale at which `max |f(x)|` over the table's whole input domain
/// `x = q·2^-in_scale, q in [min, max]` fits the activation range, so no table entry is ever
/// clamped (the error bound of `quant::bound` relies on it) and the scale depends only on the
/// input scale, not on the calibration data.
pub fn table_out_scale(f: Nonlinearity, in_scale: i32, cfg: &QuantConfig) -> i32 {
    let spare = cfg.bits as i32 - 2;
    if f.is_bounded_by_one() {
        return spare;
    }
    let fin = (-(in_scale as f64)).exp2();
    // The reciprocal square root is decreasing and unbounded at 0: fit its value at q = 1 and
    // clamp q <= 0 (`norm` states the consequence for the error bound).
    let lo = if matches!(f, Nonlinearity::Rsqrt { .. }) { 1 } else { cfg.min() };
    let peak = (lo..=cfg.max()).fold(0f64, |m, q| m.max(f.apply(q as f64 * fin).abs()));
    if peak <= 0.0 || !peak.is_finite() {
        return spare;
    }
    // Largest s with round(peak·2^s) <= max: peak·2^s <= max - 0.5 suffices.
    let limit = cfg.max() as f64 - 0.5;
    ((limit / peak).log2().floor() as i32).clamp(-24, 24)
}

/// The activation for `f` with input scale `in_scale` over the whole activation range; a
/// table's outputs have scale [`table_out_scale`].
pub fn activation(f: Nonlinearity, in_scale: i32, cfg: &QuantConfig) -> QAct {
    match f {
        Nonlinearity::Relu => QAct::Relu,
        _ => {
            let (min, max) = (cfg.min(), cfg.max());
            let out = table_out_scale(f, in_scale, cfg);
            let (fin, fout) = ((-(in_scale as f64)).exp2(), (out as f64).exp2());
            let values = (min..=max)
                .map(|q| ((f.apply(q as f64 * fin) * fout).round() as i64).clamp(min, max))
                .collect();
            QAct::Table { f, min, in_scale, values }
        }
    }
}

/// The output scale of activation `f` applied to a value of scale `in_scale`: ReLU keeps it.
pub fn out_scale(f: Nonlinearity, in_scale: i32, cfg: &QuantConfig) -> i32 {
    if f == Nonlinearity::Relu {
        in_scale
    } else {
        table_out_scale(f, in_scale, cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_the_function_at_every_point_of_small_domains() {
        for bits in [6u32, 8, 10] {
            let cfg = QuantConfig { bits, ..QuantConfig::default() };
                        for f in [Nonlinearity::Sigmoid, Nonlinearity::Tanh] {
                for in_scale in [0, 2, bits as i32 - 3, bits as i32] {
                    let out = table_out_scale(f, in_scale, &cfg);
                    let unit = (out as f64).exp2();
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
        assert_eq!(t.apply(cfg.max()), 1 << table_out_scale(Nonlinearity::Sigmoid, 3, &cfg));
        assert_eq!((t.apply(cfg.max() + 1), t.apply(i64::MIN)), (0, 0));
    }

    #[test]
    fn unbounded_tables_never_clamp_and_round_every_entry() {
        for bits in [6u32, 8, 10] {
            let cfg = QuantConfig { bits, ..QuantConfig::default() };
            for f in Nonlinearity::ALL.into_iter().filter(|f| *f != Nonlinearity::Relu) {
                for in_scale in [-2, 0, 3, bits as i32 - 2, bits as i32 + 2] {
                    let out = table_out_scale(f, in_scale, &cfg);
                    let QAct::Table { values, .. } = activation(f, in_scale, &cfg) else { panic!("{f:?}: not a table") };
                    let unit = (out as f64).exp2();
                    for (q, &v) in (cfg.min()..=cfg.max()).zip(&values) {
                        let exact = f.apply(q as f64 / (in_scale as f64).exp2());
                        // Within half a unit of the output scale: rounded, never clamped.
                        assert!((v as f64 / unit - exact).abs() <= 0.5 / unit + 1e-12, "{f:?} bits {bits} in {in_scale} q {q}: {v}");
                    }
                    if !f.is_bounded_by_one() {
                        // The largest such scale: one more would clamp some entry.
                        let peak = (cfg.min()..=cfg.max()).fold(0f64, |m, q| m.max(f.apply(q as f64 / (in_scale as f64).exp2()).abs()));
                        assert!(peak * 2.0 * unit > cfg.max() as f64 - 0.5, "{f:?} in {in_scale}: scale {out} is not the largest that fits");
                    }
                }
            }
        }
    }

    #[test]
    fn lipschitz_constants_bound_the_slope() {
        for f in Nonlinearity::ALL {
            let mut worst = 0f64;
            let h = 1e-4;
            let mut x = -12.0;
            while x < 12.0 {
                worst = worst.max((f.apply(x + h) - f.apply(x)).abs() / h);
                x += 1e-3;
            }
            // (The finite difference of a piecewise-linear f exceeds its slope by rounding.)
            assert!(worst <= f.lipschitz() * (1.0 + 1e-9), "{f:?}: slope {worst} > {}", f.lipschitz());
            assert!(worst >= 0.95 * f.lipschitz(), "{f:?}: constant {} far above the slope {worst}", f.lipschitz());
        }
    }
}
