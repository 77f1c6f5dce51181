//! Softmax along an axis: the float definition, the integer specification the circuit proves
//! (`zkinfer_circuits::softmax`), its tables and its error bound.
//!
//! Masked elements (a `-inf` fill of causal attention, `import::mask`) are in no row; their
//! outputs are exactly 0 in the float, integer and circuit forms.
//!
//! The op holds `rows`: each row lists the input elements of one softmax (the elements along
//! the axis at one index of the other axes); output element `rows[r][i]` is
//! `exp(x_i - max_r) / sum_j exp(x_j - max_r)`, so the output has the input's shape.
//!
//! **Integer specification** (input `x` at scale `s`, activations of `b` bits, `H = 2^(b-1) - 1`,
//! exponent and output scales `E = F = b - 2`), per row:
//!
//! ```text
//!     M   = max_i x_i                          (proved as a max-pool window)
//!     u_i = x_i - M + H                        in [-2^(b-1), 2^(b-1)): a table index
//!     e_i = EXP[u_i] = round(exp((u_i - H)·2^-s) · 2^E)        in [0, 2^E], e = 2^E at the max
//!     S   = sum_i e_i                          in [2^E, L·2^E]
//!     y_i = floor((2^(F+1)·e_i + S) / (2S))    (e_i/S · 2^F rounded half up), in [0, 2^F]
//! ```
//!
//! **Error bound.** Split `|softmax(x)_i − y_i·2^-F| ≤ |softmax(x)_i − softmax(x')_i| +
//! |softmax(x')_i − y_i·2^-F|` with `x'` the dequantized input. The softmax's Jacobian
//! `diag(p) − p pᵀ` has row sums of absolute values `2 p_i (1 − p_i) ≤ 1/2`, so the first term
//! is at most `max_j e(x_j) / 2` (`e` the input's bound). In the second, the integer pass is
//! exact up to the table's rounding: `|e_i − 2^E exp(x'_i − M')| ≤ 1/2`, and with
//! `A = sum_j 2^E exp(x'_j − M') ≥ 2^E`, `S ≥ 2^E`, `|a_i/A − e_i/S| ≤ (1/2 + L/2) / 2^E` for a
//! row of `L`; the final rounding adds `2^-(F+1)`. Both sides lie in `[0, 1]`, so:
//!
//! ```text
//!     |softmax_i − y_i·2^-F|  ≤  min(1, max_j e(x_j)/2 + (1 + L)·2^-(E+1) + 2^-(F+1))
//! ```
use crate::quant::QuantConfig;

/// The float softmax of each row of `x` (output in the input's layout).
pub fn softmax_f64(x: &[f64], rows: &[Vec<u32>]) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for row in rows {
        let m = row.iter().map(|&i| x[i as usize]).fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = row.iter().map(|&i| (x[i as usize] - m).exp()).collect();
        let s: f64 = e.iter().sum();
        for (&i, v) in row.iter().zip(e) {
            out[i as usize] = v / s;
        }
    }
    out
}

/// The exponent and output scale `E = F = bits - 2`.
pub fn out_scale(cfg: &QuantConfig) -> i32 {
    cfg.bits as i32 - 2
}

/// `EXP[u - min]` for every `u` of the activation range (see the module doc).
pub fn exp_table(in_scale: i32, cfg: &QuantConfig) -> Vec<i64> {
    let h = cfg.max();
    let (fin, fe) = ((-(in_scale as f64)).exp2(), (out_scale(cfg) as f64).exp2());
    (cfg.min()..=cfg.max()).map(|u| (((u - h) as f64 * fin).exp() * fe).round() as i64).collect()
}

/// Width of the range checks on the division's remainder: `2S ≤ 2·L·2^E ≤ 2^sum_bits` for the
/// longest row of `L` elements.
pub fn sum_bits(rows: &[Vec<u32>], cfg: &QuantConfig) -> u32 {
    let l = rows.iter().map(Vec::len).max().unwrap_or(1).max(1) as u64;
    let top = 2 * l * (1u64 << out_scale(cfg));
    64 - (top - 1).leading_zeros()
}

/// The integer softmax of each row (see the module doc); `exp` is [`exp_table`], `min` the
/// range's lower end, `h = 2^(bits-1) - 1`, `f` the output scale. Inputs in range.
pub fn softmax_int(x: &[i64], rows: &[Vec<u32>], exp: &[i64], min: i64, h: i64, f: i32) -> Vec<i64> {
    let mut out = vec![0; x.len()];
    for row in rows {
        let m = row.iter().map(|&i| x[i as usize]).max().unwrap_or(0);
        let e: Vec<i64> = row.iter().map(|&i| exp.get((x[i as usize] - m + h - min) as usize).copied().unwrap_or(0)).collect();
        let s: i128 = e.iter().map(|&v| v as i128).sum();
        for (&i, v) in row.iter().zip(e) {
            out[i as usize] = if s > 0 { (((v as i128) << (f + 1)) + s).div_euclid(2 * s) as i64 } else { 0 };
        }
    }
    out
}

/// Rows and masked elements partition the input: every element of `len` in exactly one row,
/// or masked.
pub fn check_rows(rows: &[Vec<u32>], masked: &[u32], len: usize) -> Result<(), String> {
    let mut seen = vec![false; len];
    for &i in masked {
        match seen.get_mut(i as usize) {
            Some(s) if !*s => *s = true,
            _ => return Err(format!("masked element {i} repeated or outside {len}")),
        }
    }
    for (r, row) in rows.iter().enumerate() {
        if row.is_empty() {
            return Err(format!("softmax row {r} is empty"));
        }
        for &i in row {
            match seen.get_mut(i as usize) {
                Some(s) if !*s => *s = true,
                _ => return Err(format!("softmax row {r}: element {i} repeated or outside {len}")),
            }
        }
    }
    match seen.iter().position(|s| !s) {
        Some(i) => Err(format!("element {i} is in no softmax row")),
        None => Ok(()),
    }
}

/// Per output element, the error bound of the module doc from the input's bounds `ex`.
pub fn error_bound(ex: &[f64], rows: &[Vec<u32>], cfg: &QuantConfig) -> Vec<f64> {
    let e = out_scale(cfg) as f64;
    let mut out = vec![0.0; ex.len()];
    for row in rows {
        let emax = row.iter().map(|&i| ex[i as usize]).fold(0.0, f64::max);
        let b = (emax / 2.0 + (1.0 + row.len() as f64) * (-e - 1.0).exp2() + (-e - 1.0).exp2()).min(1.0);
        for &i in row {
            out[i as usize] = b;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_softmax_rounds_the_quotient_and_sums_to_about_one() {
        let cfg = QuantConfig { bits: 8, ..QuantConfig::default() };
        let (min, h, f) = (cfg.min(), cfg.max(), out_scale(&cfg));
        let exp = exp_table(4, &cfg);
        assert_eq!(exp[(h - min) as usize], 1 << f, "exp(0) = 2^E");
        let x = [16i64, 0, -128, 127, 127, 3];
        let rows = vec![vec![0, 1, 2], vec![3, 4, 5]];
        let y = softmax_int(&x, &rows, &exp, min, h, f);
        for row in &rows {
            let e: Vec<i64> = row.iter().map(|&i| exp[(x[i as usize] - row.iter().map(|&j| x[j as usize]).max().unwrap() + h - min) as usize]).collect();
            let s: i64 = e.iter().sum();
            for (&i, &v) in row.iter().zip(&e) {
                // y = round(v / s · 2^f), ties up, from the rational definition.
                let exact = v as f64 / s as f64 * (f as f64).exp2();
                assert!((y[i as usize] as f64 - exact).abs() <= 0.5, "{i}: {} vs {exact}", y[i as usize]);
            }
            let total: i64 = row.iter().map(|&i| y[i as usize]).sum();
            assert!((total - (1 << f)).abs() <= row.len() as i64, "{total}");
        }
        // x = (1, 0, -8) at scale 4: softmax (0.7309, 0.2689, 0.0001).
        assert!((y[0] as f64 / (f as f64).exp2() - 0.7309).abs() < 2.0 / (f as f64).exp2(), "{}", y[0]);
        assert_eq!(sum_bits(&rows, &cfg), 9, "2·3·2^6 = 384 <= 2^9");
        assert!(check_rows(&rows, &[], 6).is_ok() && check_rows(&rows, &[], 7).is_err() && check_rows(&[vec![0, 0]], &[], 1).is_err());
        assert!(check_rows(&rows, &[6], 7).is_ok() && check_rows(&rows, &[5], 6).is_err());
    }
}
