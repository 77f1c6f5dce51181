//! Poseidon, packing and the `hashed` visibilities: the native hash against the reference test
//! vector and the `poseidon-primitives` crate, native against in-circuit hashes, the shared
//! harness on hashed circuits, weight tampering, and verifying keys that do not depend on the
//! weights.
use std::sync::Arc;

use halo2_proofs::{
    dev::{MockProver, VerifyFailure},
    halo2curves::{
        bn256::{Bn256, Fr, G1Affine},
        ff::{Field, PrimeField},
    },
    plonk::{create_proof, keygen_pk, keygen_vk, verify_proof},
    poly::{
        commitment::ParamsProver,
        ipa::{
            commitment::{IPACommitmentScheme, ParamsIPA},
            multiopen::{ProverIPA, VerifierIPA},
            strategy::SingleStrategy as IpaStrategy,
        },
        kzg::{
            commitment::{KZGCommitmentScheme, ParamsKZG},
            multiopen::{ProverSHPLONK, VerifierSHPLONK},
            strategy::SingleStrategy as KzgStrategy,
        },
        VerificationStrategy,
    },
    transcript::{
        Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
    },
    SerdeFormat,
};
use rand::rngs::OsRng;

use super::builders::*;
use crate::circuit::{CircuitParams, ModelCircuit, Tamper};
use crate::commit::{self, bias_range, model_commitment, pack, split_bias, tensor_commitment};
use crate::ir::*;
use crate::poseidon::{self, domain, Constants};
use crate::spec::CircuitSpec;
use crate::testing::{check_circuit, mock_verify, param_cells, tensor_cells, SplitMix};
use crate::visibility::{TensorVisibility as T, Visibility, WeightVisibility as W};

const LIMB: u32 = 5;

fn params(width: usize, input: T, output: T, weights: W) -> CircuitParams {
    CircuitParams {
        width,
        visibility: Visibility {
            input,
            output,
            weights,
        },
        weight_bits: LIMB,
        batch: 1,
        outputs: 1,
        ..Default::default()
    }
}

fn hashed_weights(width: usize) -> CircuitParams {
    params(width, T::Public, T::Public, W::Hashed)
}

/// `p` on the compact column set (`--target evm`).
fn compact(p: CircuitParams) -> CircuitParams {
    CircuitParams { merged_lookups: true, identity_table: true, compact: true, ..p }
}

/// Gives every affine layer the general parameter map (one weight per term).
fn with_param_maps(m: &mut CircuitModel) {
    for layer in &mut m.layers {
        if let LayerKind::Affine(a) = &mut layer.kind {
            let mut p = ParamMap::default();
            for r in &a.rows {
                let at = p.weights.len() as u32;
                p.term_weight
                    .push((0..r.terms.len() as u32).map(|t| at + t).collect());
                p.weights.extend(r.terms.iter().map(|t| t.coeff));
                p.row_bias.push(p.biases.len() as u32);
                p.biases.push(r.bias);
            }
            a.params = Some(p);
        }
    }
}

fn dense_hashed(seed: u64) -> (CircuitModel, Vec<i64>) {
    let (mut m, x) = dense(Activation::Relu, seed);
    with_param_maps(&mut m);
    (m, x)
}

/// A 1-D convolution: 8 inputs, 2 output channels, kernel 3, stride 1, no padding (6
/// positions); each of the 6 weights and 2 biases is used by 6 outputs. The rescale shift is
/// fitted to the input unless given.
fn conv1d_shift(kernel: &[i64; 6], bias: [i64; 2], shift: Option<u32>) -> (CircuitModel, Vec<i64>) {
    let (n, k, pos) = (8usize, 3usize, 6usize);
    let mut rows = Vec::new();
    let mut tw = Vec::new();
    for o in 0..2 {
        for p in 0..pos {
            rows.push(AffineRow {
                bias: bias[o],
                terms: (0..k)
                    .map(|d| Term {
                        src: 0,
                        idx: (p + d) as u32,
                        coeff: kernel[o * k + d],
                    })
                    .collect(),
            });
            tw.push((0..k).map(|d| (o * k + d) as u32).collect());
        }
    }
    let params = ParamMap {
        weights: kernel.to_vec(),
        biases: bias.to_vec(),
        term_weight: tw,
        row_bias: (0..2 * pos).map(|r| (r / pos) as u32).collect(),
    };
    let mut m = CircuitModel {
        input_len: n,
        bits: BITS,
        layers: vec![affine("conv", vec![0], rows, Activation::Relu)],
    };
    if let LayerKind::Affine(a) = &mut m.layers[0].kind {
        a.params = Some(params);
    }
    let x = input(&mut SplitMix(41), n);
    match shift {
        None => fit_shifts(&mut m, &x),
        Some(s) => {
            if let LayerKind::Affine(a) = &mut m.layers[0].kind {
                a.requant.shift = s;
            }
        }
    }
    (m, x)
}

fn conv1d(kernel: &[i64; 6], bias: [i64; 2]) -> (CircuitModel, Vec<i64>) {
    conv1d_shift(kernel, bias, None)
}

fn shift_of(m: &CircuitModel) -> u32 {
    match &m.layers[0].kind {
        LayerKind::Affine(a) => a.requant.shift,
        _ => 0,
    }
}

fn failures(k: u32, c: &ModelCircuit<Fr>, inst: Vec<Fr>) -> Vec<VerifyFailure> {
    MockProver::run(k, c, vec![inst])
        .unwrap()
        .verify()
        .err()
        .unwrap_or_default()
}

fn fr(hex: &str) -> Fr {
    poseidon::from_hex(hex).unwrap()
}

/// The reference implementation's test vector for `poseidonperm_x5_254_3`.
#[test]
fn poseidon_reference_vector() {
    let c = Constants::<Fr>::generate();
    let mut s = [Fr::from(0), Fr::from(1), Fr::from(2)];
    poseidon::permute(&c, &mut s);
    assert_eq!(
        s,
        [
            fr("115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"),
            fr("0fca49b798923ab0239de1c9e7a4a9a2210312b6a2f616d18b5a87f9b628ae29"),
            fr("0e7ae82e40091e63cbd4f16a6d16310b3729d4b6e138fcf54110e2867045a30c"),
        ]
    );
    assert_eq!(
        poseidon::to_hex(&s[0]),
        "115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"
    );
    assert!(
        poseidon::from_hex::<Fr>(&"ff".repeat(32)).is_none(),
        "above the modulus"
    );
    assert!(poseidon::from_hex::<Fr>("12").is_none());
}

#[derive(Debug)]
struct RefSpec;

impl poseidon_primitives::poseidon::primitives::Spec<Fr, 3, 2> for RefSpec {
    fn full_rounds() -> usize {
        8
    }
    fn partial_rounds() -> usize {
        57
    }
    fn sbox(v: Fr) -> Fr {
        v.pow_vartime([5])
    }
    fn secure_mds() -> usize {
        0
    }
}

/// Our Grain LFSR gives the same constants as the `poseidon-primitives` crate's, and our sponge
/// with domain 0 is its `ConstantLength` hash.
#[test]
fn poseidon_matches_poseidon_primitives() {
    use poseidon_primitives::poseidon::primitives::{ConstantLength, Hash, Spec};
    let ours = Constants::<Fr>::generate();
    let (rc, mds, _) = RefSpec::constants();
    assert_eq!(ours.rc, rc);
    assert_eq!(ours.mds, mds);
    let mut rng = SplitMix(5);
    let mut msg = |n: usize| -> Vec<Fr> { (0..n).map(|_| Fr::from(rng.next_u64())).collect() };
    let m1 = msg(1);
    let h1 = Hash::<Fr, RefSpec, ConstantLength<1>, 3, 2>::init().hash([m1[0]]);
    assert_eq!(poseidon::hash(&ours, 0, &m1), h1);
    let m2 = msg(2);
    let h2 = Hash::<Fr, RefSpec, ConstantLength<2>, 3, 2>::init().hash([m2[0], m2[1]]);
    assert_eq!(poseidon::hash(&ours, 0, &m2), h2);
    let m5 = msg(5);
    let h5 = Hash::<Fr, RefSpec, ConstantLength<5>, 3, 2>::init()
        .hash([m5[0], m5[1], m5[2], m5[3], m5[4]]);
    assert_eq!(poseidon::hash(&ours, 0, &m5), h5);
    // Domains and lengths separate.
    assert_ne!(poseidon::hash(&ours, 1, &m2), h2);
    assert_ne!(
        poseidon::hash(&ours, 0, &m2[..1]),
        poseidon::hash(&ours, 0, &[m2[0], Fr::zero()])
    );
}

/// Packing is injective on in-range limbs: the element decodes back to the limbs; biases split
/// and rejoin over their whole range edges.
#[test]
fn packing_and_bias_limbs_round_trip() {
    let mut rng = SplitMix(8);
    for l in [4u32, 5, 9, 10] {
        let n = commit::limbs_per_element(l) * 2 + 3;
        let limbs: Vec<i64> = (0..n)
            .map(|_| rng.below(1 << l) as i64 - commit::half(l))
            .collect();
        let el = pack::<Fr>(&limbs, l);
        assert_eq!(el.len(), 3);
        // Decode the first element: its integer value in base 2^l.
        let mut bytes = el[0].to_repr();
        let mut decoded = Vec::new();
        for _ in 0..commit::limbs_per_element(l) {
            let mut rem = 0u64;
            for b in bytes.as_mut().iter_mut().rev() {
                let cur = (rem << 8) | *b as u64;
                *b = (cur >> l) as u8;
                rem = cur & ((1 << l) - 1);
            }
            decoded.push(rem as i64 - commit::half(l));
        }
        assert_eq!(decoded, limbs[..commit::limbs_per_element(l)]);
        for nb in 1..4 {
            let (lo, hi) = bias_range(nb, l);
            for b in [lo, lo + 1, -1, 0, 1, hi - 1, hi] {
                let parts = split_bias(b as i64, nb, l).unwrap();
                let back: i128 = parts
                    .iter()
                    .enumerate()
                    .map(|(k, &c)| (c as i128) << (k as u32 * l))
                    .sum();
                assert_eq!(back, b);
                assert!(parts
                    .iter()
                    .all(|&c| (-commit::half(l)..commit::half(l)).contains(&c)));
            }
            assert!(split_bias((hi + 1) as i64, nb, l).is_none());
            assert!(split_bias((lo - 1) as i64, nb, l).is_none());
        }
    }
}

/// The circuit's hashes equal the native ones (MockProver accepts the natively computed
/// instance) for every visibility and several widths (different Poseidon schedules), and on
/// the compact column set.
#[test]
fn native_and_circuit_hashes_agree() {
    let (m, x) = dense_hashed(3);
    // Widths 3 and 4 also on the compact column set (its own pack and Poseidon chips).
    for (width, packed) in [(3, false), (4, false), (8, false), (12, false), (3, true), (4, true)] {
        for (i, o, w) in [
            (T::Public, T::Public, W::Hashed),
            (T::Hashed, T::Hashed, W::Fixed),
            (T::Private, T::Hashed, W::Hashed),
            (T::Hashed, T::Private, W::Hashed),
        ] {
            let p = match packed {
                true => compact(params(width, i, o, w)),
                false => params(width, i, o, w),
            };
            let spec = CircuitSpec::compile_params(&m, &p).unwrap();
            let c =
                ModelCircuit::<Fr>::new(Arc::new(m.clone()), p, [9; 32], Some(x.clone())).unwrap();
            let inst = c.instances().unwrap();
            assert_eq!(inst.len(), spec.instance_len);
            mock_verify(spec.k, &c, inst.clone())
                .unwrap_or_else(|e| panic!("w{width} {i:?}/{o:?}/{w:?}: {e}"));
            let w_out = crate::eval::eval(&m, &x).unwrap();
            if w == W::Hashed {
                assert_eq!(inst[0], model_commitment::<Fr>(&m, LIMB).unwrap());
            }
            if i == T::Hashed {
                assert_eq!(inst[1], tensor_commitment::<Fr>(&x, BITS, domain::INPUT));
            }
            if o == T::Hashed {
                let h = tensor_commitment::<Fr>(w_out.output(), BITS, domain::OUTPUT);
                assert_eq!(*inst.last().unwrap(), h);
                // A wrong output hash is rejected.
                let mut bad = inst.clone();
                *bad.last_mut().unwrap() += Fr::one();
                assert!(mock_verify(spec.k, &c, bad).is_err());
            }
            assert!(spec.hashing.rows() > 0);
        }
    }
}

/// The shared harness on hashed circuits: honest accepted, sampled single-cell mutations all
/// rejected.
#[test]
fn harness_on_hashed_circuits() {
    let (m, x) = dense_hashed(4);
    let (c, cx) = conv1d(&[3, -2, 1, 0, 5, -7], [4, -9]);
    // The convolution (weights shared by six outputs) is checked exhaustively: every cell,
    // every copy of every weight.
    for (name, model, input, p, n) in [
        ("dense, hashed weights", &m, &x, hashed_weights(4), 250),
        (
            "dense, everything hashed",
            &m,
            &x,
            params(8, T::Hashed, T::Hashed, W::Hashed),
            250,
        ),
        (
            "dense, private in/out",
            &m,
            &x,
            params(3, T::Private, T::Private, W::Fixed),
            250,
        ),
        ("conv1d, hashed weights", &c, &cx, hashed_weights(4), 600),
        ("dense, hashed weights, compact", &m, &x, compact(hashed_weights(3)), 500),
        (
            "dense, everything hashed, compact",
            &m,
            &x,
            compact(params(3, T::Hashed, T::Hashed, W::Hashed)),
            250,
        ),
        (
            "dense, private in/out, compact",
            &m,
            &x,
            compact(params(3, T::Private, T::Private, W::Fixed)),
            250,
        ),
        ("conv1d, hashed weights, compact", &c, &cx, compact(hashed_weights(3)), 600),
        ("conv1d, hashed weights, compact w4", &c, &cx, compact(hashed_weights(4)), 600),
    ] {
        let r = check_circuit(model, input, &p, n, 11).unwrap();
        assert!(r.exhaustive || n < 600, "{name}: not exhaustive");
        println!(
            "{name}: k={} rows={} advice cells={} mutations={} (exhaustive: {}), all rejected",
            r.k, r.rows, r.advice_cells, r.mutations, r.exhaustive
        );
    }
}

/// Changing any weight or bias limb cell breaks the packing gate or the range lookup that feed
/// the hash: every canonical parameter cell, exhaustively, on a convolution whose weights are
/// each used by six outputs.
#[test]
fn every_weight_cell_mutation_breaks_the_hash_input() {
    let (m, x) = conv1d(&[3, -2, 1, 0, 5, -7], [4, -9]);
    let p = hashed_weights(4);
    let spec = CircuitSpec::compile_params(&m, &p).unwrap();
    let cells = param_cells(&m, &p).unwrap();
    let nb = commit::bias_limbs(
        match &m.layers[0].kind {
            LayerKind::Affine(a) => a,
            _ => unreachable!(),
        },
        BITS,
        LIMB,
    );
    assert_eq!(cells.len(), 6 + 2 * nb);
    let honest = ModelCircuit::<Fr>::new(Arc::new(m), p, [0; 32], Some(x)).unwrap();
    let inst = honest.instances().unwrap();
    for &cell in &cells {
        for delta in [1u64, 1 << 40] {
            let mut c = honest.clone();
            c.tamper = Some(Tamper { cell, delta });
            let f = failures(spec.k, &c, inst.clone());
            assert!(
                f.iter().any(|e| format!("{e:?}").contains("pack")),
                "cell {cell} +{delta}: {f:?}"
            );
        }
    }
    println!(
        "{} parameter cells, each mutation rejected by the pack constraints",
        cells.len()
    );
}

/// A prover who uses other weights *consistently* (every copy, every accumulator and output
/// recomputed) is caught by the commitment alone: the circuit of the changed model satisfies
/// every gate and lookup, and fails only on the binding of its hash to the committed one.
#[test]
fn consistent_weight_change_is_caught_by_the_commitment_only() {
    let (m, x) = conv1d(&[3, -2, 1, 0, 5, -7], [4, -9]);
    let (m2, _) = conv1d_shift(&[3, -2, 1, 0, 6, -7], [4, -9], Some(shift_of(&m)));
    let p = hashed_weights(4);
    let spec = CircuitSpec::compile_params(&m, &p).unwrap();
    let h = model_commitment::<Fr>(&m, LIMB).unwrap();
    assert_ne!(h, model_commitment::<Fr>(&m2, LIMB).unwrap());
    let c2 = ModelCircuit::<Fr>::new(Arc::new(m2), p, [0; 32], Some(x)).unwrap();
    let mut inst = c2.instances().unwrap();
    mock_verify(spec.k, &c2, inst.clone()).unwrap();
    inst[0] = h;
    let f = failures(spec.k, &c2, inst);
    assert!(!f.is_empty());
    assert!(
        f.iter()
            .all(crate::testing::is_public_binding_failure),
        "only the instance binding may fail: {f:?}"
    );
}

/// With hashed weights the verifying key is the same for any weights of the architecture (the
/// compact column set's paired rows too); with fixed weights it changes with a single weight.
#[test]
fn hashed_vk_does_not_depend_on_the_weights() {
    let (m, _) = conv1d(&[3, -2, 1, 0, 5, -7], [4, -9]);
    let (m2, _) = conv1d_shift(&[-8, 7, 0, 1, 2, 3], [11, 0], Some(shift_of(&m)));
    for (p, same) in [
        (hashed_weights(4), true),
        (compact(hashed_weights(3)), true),
        (
            CircuitParams {
                width: 4,
                ..Default::default()
            },
            false,
        ),
    ] {
        let spec = CircuitSpec::compile_params(&m, &p).unwrap();
        let params = ParamsIPA::<G1Affine>::new(spec.k);
        let vk = |m: &CircuitModel| {
            let c = ModelCircuit::<Fr>::for_keygen(Arc::new(m.clone()), p, [1; 32]).unwrap();
            keygen_vk(&params, &c)
                .unwrap()
                .to_bytes(SerdeFormat::RawBytes)
        };
        assert_eq!(vk(&m) == vk(&m2), same, "{:?}", p.visibility);
    }
}

/// The spec's row and cell counts are synthesis's for hashed circuits too.
#[test]
fn spec_matches_synthesis_hashed() {
    let (m, x) = dense_hashed(6);
    for p in [
        hashed_weights(3),
        params(8, T::Hashed, T::Private, W::Hashed),
    ] {
        let spec = CircuitSpec::compile_params(&m, &p).unwrap();
        let c = ModelCircuit::<Fr>::new(Arc::new(m.clone()), p, [2; 32], Some(x.clone())).unwrap();
        let inst = c.instances().unwrap();
        mock_verify(spec.k, &c, inst.clone()).unwrap();
        let n = spec.advice_cells;
        let mut bad = c.clone();
        bad.tamper = Some(Tamper {
            cell: n - 1,
            delta: 1,
        });
        assert!(mock_verify(spec.k, &bad, inst.clone()).is_err());
        bad.tamper = Some(Tamper { cell: n, delta: 1 });
        assert!(mock_verify(spec.k, &bad, inst.clone()).is_ok());
        let per_layer: usize = spec.layers.iter().map(|l| l.rows).sum();
        assert_eq!(
            per_layer + spec.header_rows + spec.hashing.rows(),
            spec.rows
        );
        assert!(spec.usable_rows() >= spec.rows);
    }
}

/// A weight outside the limb range is a typed error before proving.
#[test]
fn out_of_range_weight_is_a_typed_error() {
    let (m, x) = conv1d(&[3, -2, 1, 0, 16, -7], [4, -9]);
    let e = ModelCircuit::<Fr>::new(Arc::new(m), hashed_weights(4), [0; 32], Some(x)).unwrap_err();
    assert!(
        matches!(
            e,
            crate::error::CircuitError::ParamOutOfRange {
                what: "weight",
                index: 4,
                ..
            }
        ),
        "{e}"
    );
}

/// Rows hashing takes per 1,000 weights: a 100 -> 10 dense layer (1,000 weights, 10 biases) at
/// the default width 8 and 9-bit weights, against the same layer with fixed weights.
#[test]
fn rows_per_thousand_weights() {
    let mut rng = SplitMix(12);
    let rows = (0..10)
        .map(|_| AffineRow {
            bias: rng.below(200) as i64 - 100,
            terms: (0..100)
                .map(|i| Term {
                    src: 0,
                    idx: i,
                    coeff: rng.below(511) as i64 - 255,
                })
                .collect(),
        })
        .collect();
    let mut m = CircuitModel {
        input_len: 100,
        bits: 10,
        layers: vec![affine("fc", vec![0], rows, Activation::Identity)],
    };
    if let LayerKind::Affine(a) = &mut m.layers[0].kind {
        a.requant.shift = 10;
    }
    with_param_maps(&mut m);
    for width in [4, 8] {
        let fixed = CircuitSpec::compile_params(
            &m,
            &CircuitParams {
                width,
                ..Default::default()
            },
        )
        .unwrap();
        let p = CircuitParams {
            width,
            weight_bits: 9,
            visibility: Visibility {
                weights: W::Hashed,
                ..Default::default()
            },
            batch: 1,
            outputs: 1,
            ..Default::default()
        };
        let hashed = CircuitSpec::compile_params(&m, &p).unwrap();
        let h = &hashed.hashing;
        println!(
            "1,000 weights + 10 biases, width {width}, 9-bit limbs: hashing rows {} (pack {}, \
             poseidon {}, constants {}), {} limbs in {} elements, {} permutations; total rows \
             fixed {} / hashed {}, k {} / {}",
            h.rows(),
            h.pack_rows,
            h.poseidon_rows,
            h.constant_rows,
            h.limbs,
            h.elements,
            h.permutations,
            fixed.rows,
            hashed.rows,
            fixed.k,
            hashed.k
        );
        assert_eq!(h.params, 1010);
        // 28 limbs per element: ceil((1000 + 30) / 28) = 37 elements, 19 permutations with
        // the architecture tag.
        assert_eq!((h.limbs, h.elements, h.permutations), (1030, 37, 19));
        let bound = if width == 8 { 600 } else { 1000 };
        assert!(h.rows() < bound, "hashing rows regressed: {}", h.rows());
    }
}

/// Real proofs of a hashed-weights circuit with both commitment schemes (IPA and KZG): the
/// honest proof verifies against the model commitment and is rejected with another.
#[test]
fn hashed_weights_real_proofs_ipa_and_kzg() {
    let (m, x) = conv1d(&[3, -2, 1, 0, 5, -7], [4, -9]);
    let p = params(4, T::Public, T::Hashed, W::Hashed);
    let spec = CircuitSpec::compile_params(&m, &p).unwrap();
    let model = Arc::new(m);
    let circuit = ModelCircuit::<Fr>::new(model.clone(), p, [0; 32], Some(x)).unwrap();
    let inst = circuit.instances().unwrap();
    let keygen = ModelCircuit::<Fr>::for_keygen(model, p, [0; 32]).unwrap();
    let mut wrong = inst.clone();
    wrong[0] += Fr::one();

    let ipa = ParamsIPA::<G1Affine>::new(spec.k);
    let pk = keygen_pk(&ipa, keygen_vk(&ipa, &keygen).unwrap(), &keygen).unwrap();
    let mut tr = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<IPACommitmentScheme<G1Affine>, ProverIPA<G1Affine>, _, _, _, _>(
        &ipa,
        &pk,
        std::slice::from_ref(&circuit),
        &[&[&inst]],
        OsRng,
        &mut tr,
    )
    .unwrap();
    let proof = tr.finalize();
    let check = |i: &[Fr]| {
        let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&proof[..]);
        verify_proof::<IPACommitmentScheme<G1Affine>, VerifierIPA<G1Affine>, _, _, _>(
            &ipa,
            pk.get_vk(),
            IpaStrategy::new(&ipa),
            &[&[i]],
            &mut t,
        )
        .is_ok()
    };
    assert!(check(&inst), "IPA: honest proof rejected");
    assert!(!check(&wrong), "IPA: wrong model commitment accepted");

    let kzg = ParamsKZG::<Bn256>::setup(spec.k, OsRng);
    let pk = keygen_pk(&kzg, keygen_vk(&kzg, &keygen).unwrap(), &keygen).unwrap();
    let mut tr = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        &kzg,
        &pk,
        std::slice::from_ref(&circuit),
        &[&[&inst]],
        OsRng,
        &mut tr,
    )
    .unwrap();
    let proof = tr.finalize();
    let check = |i: &[Fr]| {
        let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&proof[..]);
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
            kzg.verifier_params(),
            pk.get_vk(),
            KzgStrategy::new(&kzg),
            &[&[i]],
            &mut t,
        )
        .is_ok()
    };
    assert!(check(&inst), "KZG: honest proof rejected");
    assert!(!check(&wrong), "KZG: wrong model commitment accepted");
    println!("hashed weights: k={}, IPA and KZG proofs verified", spec.k);
}

/// Packing's range lookup is what makes a commitment binding, in the compact set's Horner form
/// too: a consistent forgery that moves `2^L` from one input limb into the next (`x_0 + 2^L`,
/// `x_1 - 1`: the same packed element, so the same input hash, with the copies and the running
/// element forged to match) is rejected by the range lookup alone.
#[test]
fn compact_pack_carry_forgery_rejected_by_the_range_lookup() {
    let (mut m, x) = dense(Activation::Relu, 5);
    // Inputs 0 and 1 feed no dot row: their only cells are the header's and the pack rows'.
    if let LayerKind::Affine(a) = &mut m.layers[0].kind {
        for t in a.rows.iter_mut().flat_map(|r| r.terms.iter_mut()) {
            if t.src == 0 && t.idx < 2 {
                t.coeff = 0;
            }
        }
    }
    let p = compact(params(3, T::Hashed, T::Public, W::Fixed));
    let spec = CircuitSpec::compile_params(&m, &p).unwrap();
    let honest = ModelCircuit::<Fr>::new(Arc::new(m.clone()), p, [9; 32], Some(x.clone())).unwrap();
    let inst = honest.instances().unwrap();
    assert!(failures(spec.k, &honest, inst.clone()).is_empty());
    let limbs = tensor_cells(&m, &p).unwrap();
    assert_eq!(limbs.len(), x.len());
    let big = 1i64 << BITS;
    // Header: the model hash is cell 0, input i cell 1 + i. On a Horner row the limb cell is
    // followed by the row's running element; x_1's row comes right before x_0's.
    let mut c = honest.clone();
    c.forge = vec![(1, big), (2, -1), (limbs[0], big), (limbs[1], -1), (limbs[1] + 1, -1)];
    let f = failures(spec.k, &c, inst);
    assert!(!f.is_empty(), "carry forgery accepted");
    assert!(f.iter().all(|e| matches!(e, VerifyFailure::Lookup { name, .. } if name == "pack range")), "{f:?}");
}
