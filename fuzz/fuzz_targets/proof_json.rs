//! `proof.json`: `ProofFile::from_json` on arbitrary text, then the checks that need no proof
//! system (`public_instances`) against the real keys of both fixtures. Oracle: no panic; a parsed file survives `to_json` / `from_json`.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zkinfer_fuzz::fixtures;
use zkinfer_verifier::{public_instances, ProofFile, VkFile};

fn keys() -> &'static [VkFile; 2] {
    static K: OnceLock<[VkFile; 2]> = OnceLock::new();
    K.get_or_init(|| {
        [fixtures::FIXED_VK, fixtures::HASHED_VK].map(|b| VkFile::from_bytes(b).expect("committed vk fixture"))
    })
}

fuzz_target!(init: { zkinfer_fuzz::install_panic_policy(); keys(); }, |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(proof) = ProofFile::from_json(text) else { return };
    let again = ProofFile::from_json(&proof.to_json()).expect("a parsed proof file round-trips");
    assert_eq!(again, proof);
    let _ = proof.proof_bytes();
    for vk in keys() {
        let _ = public_instances(vk, &proof);
    }
});
