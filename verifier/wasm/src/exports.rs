//! The module's interface for JavaScript: four input buffers, one call, one output buffer.
//!
//! ```text
//! JS                                         module
//! ptr = input(slot, len) ──────────────────► slot's Vec resized to len, its address returned
//! new Uint8Array(memory.buffer, ptr, len).set(bytes)
//!   slots: 0 proof.json, 1 vk.bin, 2 params.bin (may be empty), 3 expected identity (UTF-8)
//! len = verify(flags) ─────────────────────► verify_bundle; the verdict's JSON into the output
//!   flags: bit 0 allows the insecure KZG test SRS
//! output_ptr() → the verdict (len bytes of UTF-8 JSON)
//! ```
//!
//! No unsafe code: the module only hands out the addresses of its own buffers, and JavaScript
//! writes into them between calls (a wasm32 module runs on one thread). The exported names are
//! `#[no_mangle]`, which the `unsafe_code` lint counts, hence the `allow` on each.
use std::cell::RefCell;

use crate::{verify_bundle, Bundle, IpaCache, Options};

/// Input slots: proof, key, parameters, expected identity.
const SLOTS: usize = 4;

#[derive(Default)]
struct State {
    inputs: [Vec<u8>; SLOTS],
    output: Vec<u8>,
    ipa: IpaCache,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Resize input `slot` to `len` bytes (zeroed) and return its address; null for a bad slot.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn input(slot: u32, len: u32) -> *mut u8 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        match s.inputs.get_mut(slot as usize) {
            Some(buf) => {
                buf.clear();
                buf.resize(len as usize, 0);
                buf.as_mut_ptr()
            }
            None => std::ptr::null_mut(),
        }
    })
}

/// Verify what the input slots hold; returns the length of the verdict at [`output_ptr`].
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn verify(flags: u32) -> u32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let State { inputs, output, ipa } = &mut *s;
        let [proof, vk, params, expected] = inputs;
        let expected = std::str::from_utf8(expected).ok();
        let bundle = Bundle { proof_json: proof, vk, params, expected_identity: expected };
        let verdict = verify_bundle(&bundle, Options { allow_insecure_srs: flags & 1 == 1 }, ipa);
        *output = verdict.to_string().into_bytes();
        output.len() as u32
    })
}

/// Address of the last verdict.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn output_ptr() -> *const u8 {
    STATE.with(|s| s.borrow().output.as_ptr())
}

/// getrandom 0.2 needs a source of randomness on wasm32-unknown-unknown; verification draws
/// no random numbers, so the registered one only ever fails.
#[cfg(target_arch = "wasm32")]
fn no_randomness(_: &mut [u8]) -> Result<(), getrandom::Error> {
    Err(getrandom::Error::UNSUPPORTED)
}
#[cfg(target_arch = "wasm32")]
getrandom::register_custom_getrandom!(no_randomness);

#[cfg(test)]
mod tests {
    use super::*;

    fn put(slot: u32, bytes: &[u8]) {
        let p = input(slot, bytes.len() as u32);
        assert!(!p.is_null());
        STATE.with(|s| s.borrow_mut().inputs[slot as usize].copy_from_slice(bytes));
    }

    #[test]
    fn buffers_round_trip_a_verdict() {
        assert!(input(SLOTS as u32, 1).is_null());
        put(0, b"not json");
        put(1, b"");
        put(2, b"");
        put(3, b"");
        let len = verify(0) as usize;
        let out = STATE.with(|s| s.borrow().output.clone());
        assert_eq!(out.len(), len);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["verified"], false);
        assert!(!output_ptr().is_null());
    }
}
