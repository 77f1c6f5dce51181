//! Index arithmetic on row-major tensors: strides, coordinates and numpy broadcasting.

/// Row-major strides of `shape`.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Coordinates of flat index `flat` in `shape`.
pub fn coords(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut c = vec![0; shape.len()];
    for i in (0..shape.len()).rev() {
        let d = shape[i].max(1);
        c[i] = flat % d;
        flat /= d;
    }
    c
}

/// Flat index in `shape` of output coordinates `out` under numpy broadcasting (right-aligned;
/// a dimension of size 1 repeats).
pub fn broadcast_index(out: &[usize], shape: &[usize]) -> usize {
    let offset = out.len() - shape.len().min(out.len());
    let st = strides(shape);
    shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if d == 1 { 0 } else { out[offset + i] * st[i] })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_and_coords_round_trip() {
        let shape = [2, 3, 4];
        assert_eq!(strides(&shape), vec![12, 4, 1]);
        for f in 0..24 {
            let c = coords(f, &shape);
            let back: usize = c.iter().zip(strides(&shape)).map(|(a, b)| a * b).sum();
            assert_eq!(back, f);
        }
    }

    #[test]
    fn broadcasting_repeats_unit_dims() {
        // out [2, 3]; operand [3] and [2, 1] and [1]
        assert_eq!(broadcast_index(&[1, 2], &[3]), 2);
        assert_eq!(broadcast_index(&[1, 2], &[2, 1]), 1);
        assert_eq!(broadcast_index(&[1, 2], &[1]), 0);
    }
}
