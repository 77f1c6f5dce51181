//! `zkinfer_verifier::verify` on structured mutations of a real proof and key (see
//! `zkinfer_fuzz::mutate`), through the file formats (`VkFile::to_bytes`/`from_bytes`,
//! `ProofFile::to_json`/`from_json`), with fixed small IPA parameters. Oracle: no panic, and an
//! accepted proof states exactly what the unmutated proof states (model hash, public input and
//! output, tensor hashes, visibility): anything else is a forgery.
#![no_main]
use std::sync::OnceLock;

use halo2_proofs::{halo2curves::bn256::G1Affine, poly::commitment::ParamsProver, poly::ipa::commitment::ParamsIPA};
use libfuzzer_sys::fuzz_target;
use zkinfer_fuzz::{fixtures, mutate};
use zkinfer_verifier::{model_identity, verify, ProofFile, VerifierParams, VkFile};

struct Fixture {
    vk: VkFile,
    proof: ProofFile,
    params: VerifierParams,
    /// The model identity recomputed from the real key (what a caller expects).
    identity: String,
}

fn fixture(vk: &[u8], proof: &str) -> Fixture {
    let vk = VkFile::from_bytes(vk).expect("committed vk fixture");
    let proof = ProofFile::from_json(proof).expect("committed proof fixture");
    let params = VerifierParams::Ipa(ParamsIPA::<G1Affine>::new(vk.header.k));
    let commitment = (proof.visibility.weights == zkinfer_circuits::WeightVisibility::Hashed).then_some(proof.model_hash.as_str());
    let identity = model_identity(&vk, commitment).expect("identity of the committed key").to_string();
    let f = Fixture { vk, proof, params, identity };
    verify(&f.params, &f.vk, &f.proof, None).expect("the committed fixture verifies");
    f
}

fn fixtures() -> &'static [Fixture; 2] {
    static F: OnceLock<[Fixture; 2]> = OnceLock::new();
    F.get_or_init(|| {
        [fixture(fixtures::FIXED_VK, fixtures::FIXED_PROOF), fixture(fixtures::HASHED_VK, fixtures::HASHED_PROOF)]
    })
}

/// Issue 10, finding 8 (fixed on main by the identity change; the exemption is off): byte 31 of a fixed-weights
/// model hash is not bound by the proof. The oracle skips exactly that forgery while this is
/// true.
const KNOWN_OPEN_BYTE_31: bool = false;

fn same_but_last_byte(a: &str, b: &str) -> bool {
    a.len() == 64 && b.len() == 64 && a.get(..62).zip(b.get(..62)).is_some_and(|(x, y)| x.eq_ignore_ascii_case(y))
}

fn same_hash(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

fuzz_target!(init: { zkinfer_fuzz::install_panic_policy(); fixtures(); }, |case: mutate::Case| {
    let all = fixtures();
    let (base, other) = if case.hashed { (&all[1], &all[0]) } else { (&all[0], &all[1]) };
    let (mut vk, mut proof) = (base.vk.clone(), base.proof.clone());
    for m in case.mutations.iter().take(8) {
        mutate::apply(m, &mut vk, &mut proof, &other.vk.key);
    }
    // Through the file formats, as the CLI reads them.
    let Ok(vk) = VkFile::from_bytes(&vk.to_bytes()) else { return };
    let Ok(proof) = ProofFile::from_json(&proof.to_json()) else { return };
    let expected = case.expected.map(|e| {
        let mut h = base.identity.clone();
        if let Some(e) = e {
            e.apply(&mut h);
        }
        h
    });
    if let Ok(out) = verify(&base.params, &vk, &proof, expected.as_deref()) {
        let orig = &base.proof;
        if KNOWN_OPEN_BYTE_31 && same_but_last_byte(&out.model_hash, &orig.model_hash) {
            return;
        }
        assert!(out.model_hash.eq_ignore_ascii_case(&orig.model_hash), "accepted another model hash: {}", out.model_hash);
        assert_eq!(out.input, orig.input, "accepted another input");
        assert_eq!(out.output, orig.output, "accepted another output");
        assert_eq!(out.visibility, orig.visibility, "accepted another visibility");
        assert!(same_hash(&out.input_hash, &orig.input_hash), "accepted another input hash: {:?}", out.input_hash);
        assert!(same_hash(&out.output_hash, &orig.output_hash), "accepted another output hash: {:?}", out.output_hash);
        assert_eq!(out.identity.to_string(), base.identity, "accepted under another key identity");
        if let Some(e) = &expected {
            assert!(e.trim().eq_ignore_ascii_case(&base.identity), "accepted under another expected identity {e}");
        }
    }
});
