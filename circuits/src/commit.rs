//! What `hashed` weights and tensors commit to: the canonical items, their packing into field
//! elements and the Poseidon sponge over them. The native side ([`model_commitment`],
//! [`tensor_commitment`]) and the circuit ([`crate::hashing`]) both use [`ItemPlan`] and
//! [`pack`], so they cannot disagree on the order or the encoding.
//!
//! **Model commitment** (weights `hashed`, limb width `L` = the quantizer's weight bits):
//! 1. Items: for every affine layer with parameters ([`crate::ir::ParamMap`]), in layer order,
//!    its weights in canonical order (one `L`-bit signed limb each), then its biases in
//!    canonical order, each split into `nb` signed limbs `b = sum_k c_k 2^(kL)`,
//!    `c_k in [-2^(L-1), 2^(L-1))` (least significant first). `nb` ([`bias_limbs`]) follows
//!    from public quantities only: no bias outside `2^(bits+shift) + fan_in 2^(L-1) 2^(bits-1)`
//!    can give an in-range output for any input.
//! 2. Packing: `n = floor(252 / L)` limbs per field element (28 for `L = 9`),
//!    `e = sum_j (c_j + 2^(L-1)) 2^(jL)`; every limb is range-checked in the circuit, so
//!    `e < 2^252 < p` and the packing is injective.
//! 3. Hash: `Poseidon_sponge(domain 1, [arch_tag, e_0, e_1, ...])` ([`crate::poseidon::hash`]),
//!    where `arch_tag` is the first 31 bytes of the SHA-256 of the architecture (the circuit
//!    model with every weight and bias set to 0, plus `L`): it binds the commitment to the
//!    structure the weights are used in, and enters the circuit as a constant.
//!
//! **Tensor commitment** (input or output `hashed`): the values as `bits`-bit signed limbs,
//! packed the same way, hashed under domain 2 (input) or 3 (output).
//!
//! Neither commitment is salted: they bind, and they hide only what cannot be guessed.
use halo2_proofs::halo2curves::ff::PrimeField;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::CircuitError;
use crate::field::{hash_to_field, to_field};
use crate::ir::{AffineLayer, CircuitModel, LayerKind};
use crate::poseidon::{self, Constants};

/// Bits of a packed field element.
pub const PACK_BITS: u32 = 252;

/// Limbs per packed field element at limb width `l`.
pub fn limbs_per_element(l: u32) -> usize {
    (PACK_BITS / l.max(1)) as usize
}

/// The offset `2^(l-1)` that makes a signed `l`-bit limb unsigned.
pub fn half(l: u32) -> i64 {
    1i64 << (l - 1)
}

/// `2^e` in the field.
pub fn pow2<F: PrimeField>(e: u32) -> F {
    F::from(2u64).pow_vartime([e as u64])
}

/// Packs signed `l`-bit limbs into field elements (see the module doc).
pub fn pack<F: PrimeField>(limbs: &[i64], l: u32) -> Vec<F> {
    let base = pow2::<F>(l);
    limbs
        .chunks(limbs_per_element(l))
        .map(|chunk| {
            chunk
                .iter()
                .rev()
                .fold(F::ZERO, |acc, &v| acc * base + to_field::<F>(v + half(l)))
        })
        .collect()
}

/// The signed range `[lo, hi]` of a bias written as `nb` balanced limbs of `l` bits.
pub fn bias_range(nb: usize, l: u32) -> (i128, i128) {
    let offset: i128 = (0..nb).map(|k| (half(l) as i128) << (k as u32 * l)).sum();
    (-offset, (1i128 << (nb as u32 * l)) - 1 - offset)
}

/// Most limbs a bias may take (keeps every bound within `i128`).
pub const MAX_BIAS_BITS: u32 = 120;

/// Limbs per bias of `layer`: the fewest whose range holds every bias that can give an
/// in-range rescaled value, `|b| <= 2^(bits+shift) + fan_in 2^(l-1) 2^(bits-1)`.
pub fn bias_limbs(layer: &AffineLayer, bits: u32, l: u32) -> usize {
    let fan_in = layer.rows.iter().map(|r| r.terms.len()).max().unwrap_or(0) as i128;
    let z = 1i128 << (bits + layer.requant.shift).min(100);
    let dot = fan_in.saturating_mul(1i128 << (l + bits - 2).min(100));
    let bound = z.saturating_add(dot);
    let max = (MAX_BIAS_BITS / l) as usize;
    (1..=max)
        .find(|&nb| {
            let (lo, hi) = bias_range(nb, l);
            lo <= -bound && bound <= hi
        })
        .unwrap_or(max)
}

/// `b` as `nb` signed limbs, least significant first (`None` outside [`bias_range`]).
pub fn split_bias(b: i64, nb: usize, l: u32) -> Option<Vec<i64>> {
    let (lo, hi) = bias_range(nb, l);
    let b = b as i128;
    if b < lo || b > hi {
        return None;
    }
    let u = b - lo;
    let mask = (1i128 << l) - 1;
    Some(
        (0..nb)
            .map(|k| (((u >> (k as u32 * l)) & mask) - half(l) as i128) as i64)
            .collect(),
    )
}

/// Where one layer's parameters sit in the item sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerItems {
    pub layer: usize,
    /// Index of the layer's first weight item.
    pub weights_at: usize,
    pub n_weights: usize,
    /// Index of the layer's first bias limb; bias `i` has limbs `biases_at + i * bias_limbs ..`.
    pub biases_at: usize,
    pub n_biases: usize,
    pub bias_limbs: usize,
}

/// The canonical item sequence of a model's parameters (structure only, no values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemPlan {
    pub layers: Vec<LayerItems>,
    /// Total number of limbs.
    pub len: usize,
    /// Limb width `L`.
    pub limb_bits: u32,
}

impl ItemPlan {
    pub fn new(model: &CircuitModel, limb_bits: u32) -> Self {
        let mut layers = Vec::new();
        let mut at = 0;
        for (i, layer) in model.layers.iter().enumerate() {
            let LayerKind::Affine(aff) = &layer.kind else {
                continue;
            };
            let Some(p) = &aff.params else { continue };
            let nb = bias_limbs(aff, model.bits, limb_bits);
            let item = LayerItems {
                layer: i,
                weights_at: at,
                n_weights: p.weights.len(),
                biases_at: at + p.weights.len(),
                n_biases: p.biases.len(),
                bias_limbs: nb,
            };
            at = item.biases_at + nb * p.biases.len();
            layers.push(item);
        }
        ItemPlan {
            layers,
            len: at,
            limb_bits,
        }
    }

    /// The items' values; a weight or bias outside its limb range is an error naming it.
    pub fn values(&self, model: &CircuitModel) -> Result<Vec<i64>, CircuitError> {
        let l = self.limb_bits;
        let mut out = Vec::with_capacity(self.len);
        for li in &self.layers {
            let layer = model.layers.get(li.layer).ok_or(CircuitError::NoLayers)?;
            let p = match &layer.kind {
                LayerKind::Affine(AffineLayer {
                    params: Some(p), ..
                }) => p,
                _ => return Err(CircuitError::Synthesis("item plan out of date".into())),
            };
            let range = |what: &'static str, index: usize, value: i128, min: i128, max: i128| {
                CircuitError::ParamOutOfRange {
                    layer: layer.name.clone(),
                    what,
                    index,
                    value,
                    min,
                    max,
                }
            };
            for (i, &w) in p.weights.iter().enumerate() {
                if w < -half(l) || w >= half(l) {
                    let (lo, hi) = (-half(l) as i128, half(l) as i128 - 1);
                    return Err(range("weight", i, w as i128, lo, hi));
                }
                out.push(w);
            }
            for (i, &b) in p.biases.iter().enumerate() {
                let (lo, hi) = bias_range(li.bias_limbs, l);
                let limbs =
                    split_bias(b, li.bias_limbs, l).ok_or(range("bias", i, b as i128, lo, hi))?;
                out.extend(limbs);
            }
        }
        Ok(out)
    }
}

#[derive(Serialize)]
struct Architecture<'a> {
    scheme: &'static str,
    limb_bits: u32,
    model: &'a CircuitModel,
}

/// SHA-256 of the architecture: the model with every parameter value set to 0 (term
/// coefficients, biases and the [`crate::ir::ParamMap`] values of layers with parameters),
/// the limb width and a scheme label.
pub fn arch_digest(model: &CircuitModel, limb_bits: u32) -> [u8; 32] {
    let mut skeleton = model.clone();
    for layer in &mut skeleton.layers {
        if let LayerKind::Affine(aff) = &mut layer.kind {
            if let Some(p) = &mut aff.params {
                p.weights.iter_mut().for_each(|w| *w = 0);
                p.biases.iter_mut().for_each(|b| *b = 0);
                for row in &mut aff.rows {
                    row.bias = 0;
                    row.terms.iter_mut().for_each(|t| t.coeff = 0);
                }
            }
        }
    }
    let arch = Architecture {
        scheme: "zkinfer/hashed-weights/v1",
        limb_bits,
        model: &skeleton,
    };
    // Plain data: serialization cannot fail.
    let bytes = serde_json::to_vec(&arch).unwrap_or_default();
    Sha256::digest(&bytes).into()
}

/// The architecture tag absorbed first by the model sponge.
pub fn arch_tag<F: PrimeField>(model: &CircuitModel, limb_bits: u32) -> F {
    hash_to_field(&arch_digest(model, limb_bits))
}

/// The model commitment (see the module doc).
pub fn model_commitment<F: PrimeField>(
    model: &CircuitModel,
    limb_bits: u32,
) -> Result<F, CircuitError> {
    let plan = ItemPlan::new(model, limb_bits);
    let items = plan.values(model)?;
    let mut msg = vec![arch_tag::<F>(model, limb_bits)];
    msg.extend(pack::<F>(&items, limb_bits));
    Ok(poseidon::hash(
        &Constants::generate(),
        poseidon::domain::MODEL,
        &msg,
    ))
}

/// The commitment to a tensor of `bits`-bit values under `domain`
/// ([`poseidon::domain::INPUT`] or [`poseidon::domain::OUTPUT`]).
pub fn tensor_commitment<F: PrimeField>(values: &[i64], bits: u32, domain: u64) -> F {
    poseidon::hash(
        &Constants::generate(),
        poseidon::tensor_domain(domain, values.len()),
        &pack::<F>(values, bits),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::bn256::Fr;

    /// Finding 9 of the soundness review: a trailing `-2^(bits-1)` packs to a zero limb, so
    /// without the length in the domain these two tensors had the same commitment.
    #[test]
    fn tensor_commitments_do_not_alias_across_lengths() {
        let short: Fr = tensor_commitment(&[1, -3, 7], 4, poseidon::domain::INPUT);
        let long: Fr = tensor_commitment(&[1, -3, 7, -8], 4, poseidon::domain::INPUT);
        assert_eq!(pack::<Fr>(&[1, -3, 7], 4), pack::<Fr>(&[1, -3, 7, -8], 4), "the packing itself aliases");
        assert_ne!(short, long);
        // Every length up to a few elements' worth gives a distinct commitment of all-minimum values.
        let all: Vec<Fr> = (0..70).map(|n| tensor_commitment(&vec![-8; n], 4, poseidon::domain::OUTPUT)).collect();
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                assert_ne!(all[i], all[j], "lengths {i} and {j}");
            }
        }
    }
}
