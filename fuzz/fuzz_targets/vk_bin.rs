//! `vk.bin`: `VkFile::from_bytes` on arbitrary bytes, then what a verifier does with a key:
//! the public-instance checks and the full `verify` of each fixture's real proof with fixed
//! IPA parameters (this reads the halo2 key: the constraint system from the header's circuit
//! parameters, then the key bytes), and `read_key` directly for keys of at most the
//! fixtures' k (a verifier reads a key only after matching its k with its parameters).
//! Oracle: no panic, no abort (allocation failure), no run-away; a parsed file survives
//! `to_bytes` / `from_bytes`.
#![no_main]
use std::sync::OnceLock;

use halo2_proofs::{halo2curves::bn256::G1Affine, poly::commitment::ParamsProver, poly::ipa::commitment::ParamsIPA};
use libfuzzer_sys::fuzz_target;
use zkinfer_fuzz::fixtures;
use zkinfer_verifier::{public_instances, read_key, verify, ProofFile, VerifierParams, VkFile};

/// Largest k of the fixtures.
const MAX_FIXTURE_K: u32 = 10;

fn proofs() -> &'static [(ProofFile, VerifierParams); 2] {
    static P: OnceLock<[(ProofFile, VerifierParams); 2]> = OnceLock::new();
    P.get_or_init(|| {
        [fixtures::FIXED_PROOF, fixtures::HASHED_PROOF].map(|t| {
            let p = ProofFile::from_json(t).expect("committed proof fixture");
            let params = VerifierParams::Ipa(ParamsIPA::<G1Affine>::new(p.k));
            (p, params)
        })
    })
}

fuzz_target!(init: { zkinfer_fuzz::install_panic_policy(); proofs(); }, |data: &[u8]| {
    let Ok(vk) = VkFile::from_bytes(data) else { return };
    let again = VkFile::from_bytes(&vk.to_bytes()).expect("a parsed key file round-trips");
    assert_eq!(again, vk);
    let _ = vk.header.instance_len();
    for (proof, params) in proofs() {
        let _ = public_instances(&vk, proof);
        let _ = verify(params, &vk, proof, None);
    }
    let key_k = vk.key.get(1..5).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
    if key_k.is_some_and(|k| k <= MAX_FIXTURE_K) {
        let _ = read_key(&vk);
    }
});
