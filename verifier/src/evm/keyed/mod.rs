//! zkinfer's own verifier contract: code that loops, and the circuit's key in a separate
//! contract.
//!
//! snark-verifier's generated verifier is straight-line code: every column, every gate term
//! and every public input adds bytecode, so large circuits pass EIP-170's 24,576 bytes. Here the
//! verifier is one fixed program ([`source`]) that interprets a key ([`key`]): the transcript
//! steps, the fixed and permutation commitments, a compact field program (the gates, the
//! permutation and lookup arguments, SHPLONK's interpolation: [`program`]) and the terms of the
//! final MSM, all derived from the verifying key by [`plan`] in halo2's own order. It verifies
//! exactly the proofs the prover writes today (KZG, SHPLONK/BDFG21, snark-verifier's EVM Keccak
//! transcript); [`native`] runs the same plan natively as the reference.
//!
//! Deployment: the key contract first (code `0x00 ‖ key`, so calling it stops at once), then
//! the verifier with the key's address as constructor argument (an immutable): the verifier's
//! code is the same for every model, its key binds it to one. On success the call returns the
//! 32-byte model identity stored in the key.
pub mod key;
pub mod native;
pub mod plan;
pub mod program;
pub mod source;

use halo2_proofs::{
    halo2curves::bn256::{Bn256, G1Affine},
    plonk::VerifyingKey,
    poly::{commitment::ParamsProver, kzg::commitment::ParamsKZG},
};

pub use key::EncodedKey;
pub use plan::Plan;

/// The plan and encoded key of `vk`.
pub fn build(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    public_inputs: usize,
    identity: [u8; 32],
) -> Result<(Plan, EncodedKey), String> {
    let g1 = *params.get_g().first().ok_or("empty SRS")?;
    let plan = plan::plan(vk, public_inputs, g1)?;
    let proof_len = 64 * plan.num_proof_points as usize + 32 * plan.num_evals as usize;
    let key = key::encode(&plan, identity, &params.s_g2(), &params.g2(), proof_len)?;
    Ok((plan, key))
}

/// The verifier's source for `key`: the program written out as straight-line code when
/// `unrolled` (less gas; the contract then serves the models of one constraint system), else
/// the interpreter (one contract for every key).
pub fn verifier_source(key: &EncodedKey, unrolled: bool) -> String {
    if unrolled {
        source::solidity_unrolled(&key.program, key.zero_at, key.one_at)
    } else {
        source::solidity()
    }
}

/// [`native::run`] with the SRS's G2 points.
pub fn native_check(params: &ParamsKZG<Bn256>, plan: &Plan, publics: &[halo2_proofs::halo2curves::bn256::Fr], proof: &[u8]) -> Result<bool, String> {
    native::run(plan, publics, proof, &params.s_g2(), &params.g2())
}

/// [`native::trace`] with the SRS's G2 points.
pub fn native_trace(params: &ParamsKZG<Bn256>, plan: &Plan, publics: &[halo2_proofs::halo2curves::bn256::Fr], proof: &[u8]) -> Result<native::Trace, String> {
    native::trace(plan, publics, proof, &params.s_g2(), &params.g2())
}

/// The key contract's creation code: a constructor that returns `0x00 ‖ data`.
pub fn key_creation_code(data: &[u8]) -> Result<Vec<u8>, String> {
    let len = data.len() + 1;
    let len16 = u16::try_from(len).map_err(|_| format!("key of {len} bytes"))?;
    let [l0, l1] = len16.to_be_bytes();
    // PUSH2 len DUP1 PUSH1 0x0e PUSH1 0 CODECOPY PUSH1 0 RETURN, padded to 14 bytes.
    let mut code = vec![0x61, l0, l1, 0x80, 0x60, 0x0e, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3, 0x00, 0x00];
    code.push(0x00);
    code.extend_from_slice(data);
    Ok(code)
}
pub mod chain;

/// Deploy the key contract and the verifier bound to it on a fresh in-memory chain, then call
/// the verifier with `calldata`. Deployment failures (EIP-170 included) are errors.
pub fn deploy_and_call(key_data: &[u8], verifier_creation: &[u8], calldata: &[u8]) -> Result<chain::CallOutcome, String> {
    let mut c = chain::Chain::default();
    let key = c.deploy(key_creation_code(key_data)?)?;
    let verifier = c.deploy(chain::with_key_argument(verifier_creation, key))?;
    c.call(verifier, calldata.to_vec())
}
