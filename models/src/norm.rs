//! RMS norm (tract's `RmsNorm`, the core of LayerNormalization after tract's declutter: the
//! centering `x - mean(x)` and the scale and shift are affine ops around it):
//! `y_i = x_i / sqrt(sum_row(x²)/L + eps)`.
//!
//! **Quantization** (`quant::calibrate`, two layers, both proved by the Freivalds chip as
//! products of activations): with the input at scale `s`,
//!
//! ```text
//!   sum of squares   v_r = round_shift(sum_i x_i², k)        at scale 2s − k, calibrated range
//!   rsqrt table      t_r = RSQRT[v_r] = round(2^G / sqrt(v_r·2^(k−2s)/L + eps))   (fused)
//!   product          y_i = round_shift(x_i · t_r, k')        at the calibrated output scale
//! ```
//!
//! When `2s − k` would need a shift `k` beyond the range table's largest (`max_shift`), the
//! input is first rescaled by the excess (an identity requant `NAME.prescale`, so the squares
//! accumulate at a lower scale): with the shift clamped instead, the sum would leave the table's
//! input range on the zoo GPT's final norm.
//! `G` is the largest scale at which `RSQRT[1]` fits the activation range; `RSQRT[v <= 0]` is
//! clamped to the range's maximum (a row of near-zero values, whose float norm is `x/sqrt(eps)`).
//! The error bound is `quant::bound`'s product rule around the table's local slope:
//! `|f(v) − f(v')| ≤ |f'(max(0, v − e))|·e` with `f' = −(u/L + eps)^(-3/2) / (2L)` (decreasing
//! `|f'|`), plus the entry's own rounding or clamping error, read from the table.

/// The float RMS norm of each row of `x`.
pub fn rms_norm_f64(x: &[f32], rows: &[Vec<u32>], eps: f32) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    for row in rows {
        let ms = row.iter().map(|&i| (x[i as usize] as f64).powi(2)).sum::<f64>() / row.len().max(1) as f64;
        let r = 1.0 / (ms + eps as f64).sqrt();
        for &i in row {
            out[i as usize] = (x[i as usize] as f64 * r) as f32;
        }
    }
    out
}

/// `|f'(u)|` of `f(u) = 1/sqrt(u/n + eps)` at `u >= 0`.
pub fn rsqrt_slope(u: f64, n: u32, eps: f32) -> f64 {
    let n = n.max(1) as f64;
    (u.max(0.0) / n + eps as f64).powf(-1.5) / (2.0 * n)
}
