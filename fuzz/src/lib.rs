//! Shared helpers of the fuzz targets: the committed fixtures (a real proof and verifying key
//! of a tiny model at small k), the panic policy, and the structured mutations of the `verify`
//! target.
//!
//! **Panic policy.** libfuzzer-sys installs a panic hook that aborts, so every panic is a crash,
//! even one that our code catches. Two boundaries catch panics of third-party code on purpose:
//! `zkinfer_verifier` around halo2's key reader and `verify_proof` (halo2 panics on some
//! malformed keys and proofs) and `zkinfer_models::load_onnx_bytes` around tract. [`install_panic_policy`]
//! lets a panic unwind (to that `catch_unwind`) only when it is raised inside those crates'
//! sources; a panic anywhere else (our crates, std called by our code) still aborts and is
//! reported. If a tolerated panic is not caught by our boundary, libfuzzer-sys's own
//! `catch_unwind` around the target aborts: it is still a crash.
use std::collections::HashSet;
use std::sync::{Mutex, Once};

pub mod mutate;

/// The real files the verifier-side targets start from (`fuzz/fixtures/`, made by
/// `fuzz/make_fixtures.sh`): a Gemm 6->3 model at small k, IPA backend.
pub mod fixtures {
    /// Fixed weights, public input and output.
    pub const FIXED_VK: &[u8] = include_bytes!("../fixtures/fixed/vk.bin");
    pub const FIXED_PROOF: &str = include_str!("../fixtures/fixed/proof.json");
    /// Hashed weights, hashed input, private output.
    pub const HASHED_VK: &[u8] = include_bytes!("../fixtures/hashed/vk.bin");
    pub const HASHED_PROOF: &str = include_str!("../fixtures/hashed/proof.json");
}

/// Source paths (as they appear in panic locations) of the crates whose panics our code
/// catches on purpose. Matches registry paths like `.../tract-core-0.23.9/src/...`.
const TOLERATED: [&str; 3] = ["/tract-", "/halo2-axiom-", "/halo2curves-axiom-"];

static POLICY: Once = Once::new();
static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Install the panic policy described in the module docs (idempotent). Each distinct tolerated
/// panic location is printed once to stderr, so a run's log lists them.
pub fn install_panic_policy() {
    POLICY.call_once(|| {
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file().to_string()).unwrap_or_default();
            if TOLERATED.iter().any(|t| file.contains(t)) {
                let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                if let Ok(mut seen) = SEEN.lock() {
                    if seen.get_or_insert_with(HashSet::new).insert(at.clone()) {
                        eprintln!("zkinfer-fuzz: tolerated third-party panic at {at} (caught at our boundary)");
                    }
                }
                return;
            }
            abort_hook(info);
        }));
    });
}
