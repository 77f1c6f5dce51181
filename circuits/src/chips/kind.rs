//! The kind column of the compact column set (`CircuitParams::compact`, `--target evm`): one
//! fixed column `K` whose value on a row says which gate holds there, in place of one
//! selector column per gate. Each selector column is one commitment of the verifying key, one
//! evaluation of the proof and one term of an EVM verifier's multi-scalar multiplication
//! (about 7,700 gas); three of them become one.
//!
//! | `K` | the row is                                   | gate                      |
//! |-----|----------------------------------------------|---------------------------|
//! | 0   | anything else (requant rows, unused)         | none of these             |
//! | 1   | the first row of a dot product               | `dot` without `acc_prev`  |
//! | 2   | a further row of a dot product               | `dot` with `acc_prev`     |
//! | 3   | a public row or a constant row               | `public and constants`    |
//!
//! A gate for value `v` is multiplied by the indicator `P_v(K) = prod_{u != v} (K - u)` over
//! `u in {0, 1, 2, 3}` (degree 3): zero on every row whose `K` is another value, a non-zero
//! constant on rows where `K = v`, so the constraint holds there exactly. `K` is fixed, so the
//! verifying key says which rows are which, as it did with selectors. The degree-3 indicator
//! raises the dot gate to degree 5, which the lookup argument of the compact set has anyway.
use halo2_proofs::{
    halo2curves::ff::PrimeField,
    plonk::{Column, Error, Expression, Fixed, Selector, VirtualCells},
    poly::Rotation,
};

use super::ctx::Ctx;

/// The values `K` takes (see the module's table).
pub const KIND_VALUES: u64 = 4;
/// `K` on the first row of a dot product.
pub const KIND_DOT_FIRST: u64 = 1;
/// `K` on a further row of a dot product.
pub const KIND_DOT_NEXT: u64 = 2;
/// `K` on a public or constant row.
pub const KIND_BIND: u64 = 3;

/// `prod_{u != v} (K - u)` over the values of `K`: non-zero exactly where `K = v`.
pub fn indicator<F: PrimeField>(k: &Expression<F>, v: u64) -> Expression<F> {
    (0..KIND_VALUES)
        .filter(|&u| u != v)
        .fold(Expression::Constant(F::ONE), |p, u| p * (k.clone() - Expression::Constant(F::from(u))))
}

/// How a gate is switched on at a row: a selector column of its own, or one value of the
/// kind column.
#[derive(Clone, Copy, Debug)]
pub enum Switch {
    Selector(Selector),
    Kind(Column<Fixed>, u64),
}

impl Switch {
    /// The gate's multiplier: the selector, or the indicator of the value.
    pub fn query<F: PrimeField>(&self, m: &mut VirtualCells<'_, F>) -> Expression<F> {
        match *self {
            Switch::Selector(s) => m.query_selector(s),
            Switch::Kind(col, v) => indicator(&m.query_fixed(col, Rotation::cur()), v),
        }
    }

    /// Switches the gate on at `row`.
    pub fn enable<F: PrimeField>(&self, ctx: &mut Ctx<'_, '_, F>, row: usize) -> Result<(), Error> {
        match *self {
            Switch::Selector(s) => ctx.enable(&s, row),
            Switch::Kind(col, v) => {
                ctx.assign_fixed(col, row, F::from(v));
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::bn256::Fr;

    /// The value of an expression without columns.
    fn value(e: &Expression<Fr>) -> Fr {
        e.evaluate(
            &|c| c,
            &|_| Fr::zero(),
            &|_| Fr::zero(),
            &|_| Fr::zero(),
            &|_| Fr::zero(),
            &|_| Fr::zero(),
            &|a| -a,
            &|a, b| a + b,
            &|a, b| a * b,
            &|a, s| a * s,
        )
    }

    #[test]
    fn each_indicator_is_nonzero_exactly_at_its_value() {
        for v in [KIND_DOT_FIRST, KIND_DOT_NEXT, KIND_BIND] {
            for k in 0..KIND_VALUES + 2 {
                let at = value(&indicator(&Expression::Constant(Fr::from(k)), v));
                // Values of K outside 0..4 never occur (K is fixed); 4 and 5 show the product
                // is not a constant.
                assert_eq!(at == Fr::zero(), k != v && k < KIND_VALUES, "indicator {v} at K = {k}");
            }
        }
    }
}
