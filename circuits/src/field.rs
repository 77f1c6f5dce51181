//! Integer to field-element encodings shared by the circuit, the prover and the verifier.
use halo2_proofs::halo2curves::ff::PrimeField;

/// Encodes a signed integer: `x >= 0` as `x`, `x < 0` as `p - |x|`.
pub fn to_field<F: PrimeField>(x: i64) -> F {
    to_field_i128(x as i128)
}

/// [`to_field`] for 128-bit values (partial accumulators).
///
/// `ff`'s default `from_u128` takes 128 field doublings; every weight, bias and power of two
/// the layout assigns goes through here, so magnitudes that fit 64 bits (all of them in
/// practice) take the one-limb conversion, and wider ones two limbs.
pub fn to_field_i128<F: PrimeField>(x: i128) -> F {
    let m = x.unsigned_abs();
    let mag = match u64::try_from(m) {
        Ok(small) => F::from(small),
        Err(_) => F::from((m >> 64) as u64) * (F::from(u64::MAX) + F::ONE) + F::from(m as u64),
    };
    if x < 0 {
        -mag
    } else {
        mag
    }
}

/// Encodes an unsigned 64-bit value.
pub fn u64_to_field<F: PrimeField>(x: u64) -> F {
    F::from(x)
}

/// The model hash as a field element: the first 31 bytes read little-endian,
/// `sum_{i<31} hash[i] * 256^i` (byte 31 is dropped so that the value is below any ~254-bit
/// modulus and the map is injective on the kept bytes).
pub fn hash_to_field<F: PrimeField>(hash: &[u8; 32]) -> F {
    let base = F::from(256u64);
    hash[..31]
        .iter()
        .rev()
        .fold(F::ZERO, |acc, &b| acc * base + F::from(b as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::bn256::Fr;

    #[test]
    fn encodings() {
        assert_eq!(to_field::<Fr>(-3) + Fr::from(3), Fr::zero());
        assert_eq!(to_field::<Fr>(7), Fr::from(7));
        assert_eq!(
            to_field_i128::<Fr>(-(1i128 << 70)) + Fr::from_u128(1 << 70),
            Fr::zero()
        );
        for x in [0i128, 1, -1, u64::MAX as i128, -(u64::MAX as i128), (u64::MAX as i128) + 1, i128::MAX, i128::MIN + 1, 0x1234_5678_9abc_def0_1122_3344_5566_7788] {
            let expect = if x < 0 { -Fr::from_u128(x.unsigned_abs()) } else { Fr::from_u128(x as u128) };
            assert_eq!(to_field_i128::<Fr>(x), expect, "{x}");
        }
        assert_eq!(to_field_i128::<Fr>(i128::MIN), -Fr::from_u128(1u128 << 127));
        let mut h = [0u8; 32];
        h[0] = 1;
        h[1] = 2;
        h[31] = 0xff;
        assert_eq!(hash_to_field::<Fr>(&h), Fr::from(0x0201));
    }
}
