//! Permute (reshape, transpose, flatten, gather): no cells and no constraints.
//!
//! `y_j = x[perm_j]` is realised by reordering the vector of already assigned cells; later
//! layers copy from the original cells, so the permutation argument carries the values.
use halo2_proofs::halo2curves::ff::PrimeField;

use super::ctx::ACell;

/// Returns the cells of `y`, or `None` if an index is out of bounds (validated models never
/// have one).
pub fn permute<F: PrimeField>(x: &[ACell<F>], perm: &[u32]) -> Option<Vec<ACell<F>>> {
    perm.iter().map(|&i| x.get(i as usize).cloned()).collect()
}
