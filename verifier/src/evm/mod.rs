//! The on-chain verifier of KZG proofs (feature `evm`): Solidity generation from a verifying
//! key (snark-verifier's EVM loader), compilation with solc, and execution in an in-process EVM
//! (revm, through snark-verifier's `deploy_and_call`).
//!
//! It lives here, behind a feature, because it is verification: it needs only the verifying
//! key, the SRS's `[1]G1, [1]G2, [tau]G2`, and the public inputs that [`crate::public_instances`]
//! already builds. The default build of this crate stays without snark-verifier and revm.
//!
//! The contract is snark-verifier's `Halo2Verifier` (`pragma solidity 0.8.19`, a `fallback`
//! in assembly, no function selector): calldata is the public inputs (32 bytes big-endian each)
//! followed by the proof bytes; it returns normally when the proof is accepted and reverts
//! otherwise.
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::{Command, Stdio};
use std::rc::Rc;

use halo2_proofs::{
    halo2curves::bn256::{Bn256, Fq, Fr, G1Affine},
    plonk::VerifyingKey,
    poly::{commitment::ParamsProver, kzg::commitment::ParamsKZG},
};
use snark_verifier::{
    loader::evm::{self as sv_evm, EvmLoader},
    pcs::kzg::{Bdfg21, KzgAs, KzgDecidingKey},
    system::halo2::{compile, transcript::evm::EvmTranscript, Config},
    verifier::{self, SnarkVerifier},
};

use crate::backend::Backend;
use crate::error::VerifyError;

/// snark-verifier's PLONK verifier for KZG with SHPLONK (BDFG21), as the prover uses.
type PlonkVerifier = verifier::plonk::PlonkVerifier<KzgAs<Bn256, Bdfg21>>;

/// EIP-170: the largest runtime bytecode a contract may have on Ethereum mainnet.
pub const EIP170_LIMIT: usize = 24_576;
/// The compiler version the generated contract pins (`pragma solidity 0.8.19`).
pub const SOLC_VERSION: &str = "0.8.19";

#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    #[error("the EVM verifier checks KZG proofs, but this {what} uses the {backend} backend: prove with --backend kzg")]
    NotKzg { what: &'static str, backend: Backend },
    #[error("generating the Solidity verifier failed: {0}")]
    Generate(String),
    #[error("cannot run the Solidity compiler {solc}: {reason}")]
    SolcMissing { solc: String, reason: String },
    #[error("solc failed to compile the verifier: {0}")]
    Compile(String),
    #[error(
        "the verifier contract's runtime bytecode is {runtime} bytes, above EIP-170's limit of {limit} bytes, so no \
         Ethereum chain would deploy it ({detail}); make the circuit smaller: a narrower dot-product width \
         (--width, fewer fixed columns to commit) or fewer public values"
    )]
    TooLarge { runtime: usize, limit: usize, detail: String },
    #[error("deploying the verifier contract failed: {0}")]
    Deploy(String),
    #[error("{path} is not the verifier contract of the key in hand (identity {identity}): zkinfer regenerates the contract from the key and the bytecode differs; run `zkinfer create-evm-verifier` again or drop the file")]
    ContractMismatch { path: String, identity: String },
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// Sizes of the verifying key that drive the contract's size and gas.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyShape {
    pub k: u32,
    pub public_inputs: usize,
    pub fixed_commitments: usize,
    pub permutation_commitments: usize,
    pub advice_columns: usize,
    pub lookups: usize,
}

impl KeyShape {
    pub fn of(vk: &VerifyingKey<G1Affine>, public_inputs: usize) -> KeyShape {
        KeyShape {
            k: vk.get_domain().k(),
            public_inputs,
            fixed_commitments: vk.fixed_commitments().len(),
            permutation_commitments: vk.permutation().commitments().len(),
            advice_columns: vk.cs().num_advice_columns(),
            lookups: vk.cs().lookups().len(),
        }
    }
}

/// How the contract evaluates the public inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceCode {
    /// snark-verifier's own code: straight-line, about 160 bytes of bytecode per public input.
    Unrolled,
    /// Loops over the public inputs (see [`generate_solidity`]): a constant ~0.5 KB.
    Looped,
}

/// The Solidity source of a verifier for `vk` with `public_inputs` public inputs in one
/// instance column, for the SRS in `params` (only `[1]G1, [1]G2, [tau]G2` enter the contract).
///
/// snark-verifier unrolls everything, and its per-public-input code (loading, the Lagrange
/// basis value `L_i(z)` with two 32-byte constants, batch inversion, the instance sum) costs
/// about 160 bytes of runtime bytecode each: the zoo models' 75 public inputs alone take 12 KB
/// of EIP-170's 24 KB. With [`InstanceCode::Looped`] the contract is generated for one public
/// input and then patched in three places to take all of them, with the same arithmetic:
///
/// 1. proof reads move past the public inputs in calldata (every `calldataload` at offset
///    `>= 0x20` shifts by `32 (n - 1)`);
/// 2. the first transcript squeeze, `keccak256(0x80, len)` over `[vk digest, input 0,
///    first-round commitments]`, becomes the hash of `[vk digest, inputs 0..n, commitments]`,
///    the bytes the unrolled contract (and the prover's transcript) hash;
/// 3. the instance evaluation `L_0(z) * input_0` becomes `sum_i L_i(z) * input_i` with
///    `L_i(z) = omega^i (z^n - 1) / (n (z - omega^i))`, computed in a loop with one batch
///    inversion (the modexp precompile), from the slots of `z` and `(z^n - 1) / n` that the
///    generated code already holds.
///
/// The patch checks every pattern it relies on and fails with [`EvmError::Generate`] rather
/// than guess; the tests run both forms on the same proofs.
pub fn generate_solidity(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    public_inputs: usize,
    code: InstanceCode,
) -> Result<String, EvmError> {
    let g0 = *params.get_g().first().ok_or_else(|| EvmError::Generate("empty SRS".into()))?;
    let loop_it = code == InstanceCode::Looped && public_inputs > 1;
    let generated_for = if loop_it { 1 } else { public_inputs };
    // snark-verifier reports its failures by panicking; keep them typed.
    let generated = catch_unwind(AssertUnwindSafe(|| -> Result<(String, usize), String> {
        let protocol = compile(params, vk, Config::kzg().with_num_instance(vec![generated_for]));
        let dk: KzgDecidingKey<Bn256> = (g0, params.g2(), params.s_g2()).into();
        let loader = EvmLoader::new::<Fq, Fr>();
        let protocol = protocol.loaded(&loader);
        let mut transcript = EvmTranscript::<_, Rc<EvmLoader>, _, _>::new(&loader);
        let instances = transcript.load_instances(vec![generated_for]);
        let proof = PlonkVerifier::read_proof(&dk, &protocol, &instances, &mut transcript).map_err(|e| format!("{e:?}"))?;
        PlonkVerifier::verify(&dk, &protocol, &instances, &proof).map_err(|e| format!("{e:?}"))?;
        // Memory past everything the generated code uses, for the patch's buffers.
        let free = loader.allocate(0x20);
        Ok((loader.solidity_code(), free))
    }));
    let (source, free) = match generated {
        Ok(r) => r.map_err(EvmError::Generate)?,
        Err(_) => return Err(EvmError::Generate("snark-verifier panicked (unsupported verifying key?)".into())),
    };
    if !loop_it {
        return Ok(source);
    }
    let omega = vk.get_domain().get_omega();
    instance_loop::patch(&source, public_inputs, omega, free).map_err(|e| EvmError::Generate(format!("looping the public inputs: {e}")))
}

pub mod keyed;

mod instance_loop {
    //! The text patch behind [`super::InstanceCode::Looped`].
    use halo2_proofs::halo2curves::{bn256::Fr, ff::PrimeField};

    /// `r - 1` in decimal, as snark-verifier prints the constant `-1`.
    const MINUS_ONE: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495616";
    const F_Q: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

    fn dec(f: Fr) -> String {
        // Big-endian bytes to a decimal string.
        let mut digits = vec![0u8]; // little-endian base-10 digits
        let mut be = f.to_repr();
        be.as_mut().reverse();
        for byte in be.as_ref() {
            let mut carry = *byte as u32;
            for d in digits.iter_mut() {
                let v = *d as u32 * 256 + carry;
                *d = (v % 10) as u8;
                carry = v / 10;
            }
            while carry > 0 {
                digits.push((carry % 10) as u8);
                carry /= 10;
            }
        }
        digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
    }

    /// The one line of `src` that starts (after indentation) with `prefix` and ends with
    /// `suffix`.
    fn unique_line<'a>(src: &'a str, prefix: &str, suffix: &str) -> Result<&'a str, String> {
        let mut found = src.lines().map(str::trim).filter(|l| l.starts_with(prefix) && l.ends_with(suffix));
        let first = found.next().ok_or_else(|| format!("no line `{prefix}...{suffix}`"))?;
        if found.next().is_some() {
            return Err(format!("several lines `{prefix}...{suffix}`"));
        }
        Ok(first)
    }

    /// The text between `open` and the next `close` in `line`.
    fn between<'a>(line: &'a str, open: &str, close: &str) -> Result<&'a str, String> {
        let start = line.find(open).ok_or_else(|| format!("`{open}` not in `{line}`"))? + open.len();
        let len = line.get(start..).and_then(|r| r.find(close)).ok_or_else(|| format!("`{close}` not in `{line}`"))?;
        line.get(start..start + len).ok_or_else(|| "bad slice".to_string())
    }

    fn parse_hex(s: &str) -> Result<usize, String> {
        usize::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| format!("{s}: {e}"))
    }

    /// Patch `src` (generated for one public input) to take `n`; `free` is unused memory.
    pub fn patch(src: &str, n: usize, omega: Fr, free: usize) -> Result<String, String> {
        // 3. The instance evaluation and the slots it needs: L_0 = A * B where A = numer * 1 and
        //    B = 1 / (z - 1) after batch inversion, defined as `z + (r - 1)`.
        let eval_line = unique_line(src, "let result := mulmod(mload(", ", mload(0xa0), f_q)")?;
        let l0 = between(eval_line, "mulmod(mload(", ")")?;
        let l0_def = unique_line(src, &format!("mstore({l0}, mulmod(mload("), "), f_q))")?;
        let a = between(l0_def, "mulmod(mload(", ")")?;
        let b = between(l0_def, "), mload(", ")")?;
        let a_def = unique_line(src, &format!("mstore({a}, mulmod(mload("), "), 1, f_q))")?;
        let numer = between(a_def, "mulmod(mload(", ")")?;
        let b_def = unique_line(src, &format!("mstore({b}, addmod(mload("), &format!("), {MINUS_ONE}, f_q))"))?;
        let z = between(b_def, "addmod(mload(", ")")?;

        // 2. The first squeeze hashes from the transcript start, 0x80.
        let squeeze = "keccak256(0x80, ";
        if src.matches(squeeze).count() != 1 {
            return Err("expected one transcript squeeze from 0x80".into());
        }
        let first_len: usize = between(src, squeeze, ")")?.parse().map_err(|e| format!("squeeze length: {e}"))?;
        if first_len < 0x40 || first_len % 0x20 != 0 {
            return Err(format!("first squeeze over {first_len} bytes"));
        }

        // Scratch memory: the hash buffer, then the prefix products, then the modexp input.
        let buf = free;
        let pre = buf + 0x20 * (n + 1) + first_len;
        let mx = pre + 0x20 * n;
        let shift = 0x20 * (n - 1);
        let omega_inv: Option<Fr> = omega.invert().into();
        let omega_inv = omega_inv.ok_or("omega is zero")?;
        let (omega, omega_inv) = (dec(omega), dec(omega_inv));
        let functions = format!(
            "function zkinfer_first_squeeze(len) -> h {{
                // [vk digest, the {n} public inputs (mod r), first-round commitments]
                mstore({buf:#x}, mload(0x80))
                for {{ let i := 0 }} lt(i, {n}) {{ i := add(i, 1) }} {{
                    mstore(add({b1:#x}, mul(i, 0x20)), mod(calldataload(mul(i, 0x20)), {F_Q}))
                }}
                for {{ let o := 0 }} lt(o, sub(len, 0x40)) {{ o := add(o, 0x20) }} {{
                    mstore(add({bn:#x}, o), mload(add(0xc0, o)))
                }}
                h := keccak256({buf:#x}, add(len, {shift}))
            }}
            function zkinfer_instance_eval(z, numer) -> result, ok {{
                // sum_i L_i(z) x_i, L_i(z) = omega^i numer / (z - omega^i), numer = (z^n - 1) / n
                let q := {F_Q}
                let w := 1
                let prod := 1
                for {{ let i := 0 }} lt(i, {n}) {{ i := add(i, 1) }} {{
                    prod := mulmod(prod, addmod(z, sub(q, w), q), q)
                    mstore(add({pre:#x}, mul(i, 0x20)), prod)
                    w := mulmod(w, {omega}, q)
                }}
                mstore({mx:#x}, 0x20)
                mstore({m1:#x}, 0x20)
                mstore({m2:#x}, 0x20)
                mstore({m3:#x}, prod)
                mstore({m4:#x}, sub(q, 2))
                mstore({m5:#x}, q)
                ok := eq(staticcall(gas(), 0x5, {mx:#x}, 0xc0, {mx:#x}, 0x20), 1)
                let inv := mload({mx:#x})
                for {{ let i := {n} }} gt(i, 0) {{ }} {{
                    i := sub(i, 1)
                    w := mulmod(w, {omega_inv}, q)
                    let inv_d := inv
                    if i {{ inv_d := mulmod(inv, mload(add({pre:#x}, mul(sub(i, 1), 0x20))), q) }}
                    inv := mulmod(inv, addmod(z, sub(q, w), q), q)
                    let li := mulmod(mulmod(numer, w, q), inv_d, q)
                    // A public input is a field element: x and x + r must not both verify.
                    let x := calldataload(mul(i, 0x20))
                    ok := and(ok, lt(x, q))
                    result := addmod(result, mulmod(li, x, q), q)
                }}
            }}
            ",
            b1 = buf + 0x20,
            bn = buf + 0x20 * (n + 1),
            m1 = mx + 0x20,
            m2 = mx + 0x40,
            m3 = mx + 0x60,
            m4 = mx + 0x80,
            m5 = mx + 0xa0,
        );

        let anchor = "function validate_ec_point(";
        if src.matches(anchor).count() != 1 {
            return Err("no unique validate_ec_point to anchor the functions".into());
        }
        let mut out = src.replacen(anchor, &format!("{functions}{anchor}"), 1);
        out = out.replacen(squeeze, "zkinfer_first_squeeze(", 1);
        out = out.replacen(
            eval_line,
            &format!("let result, zkinfer_ok := zkinfer_instance_eval(mload({z}), mload({numer}))\n            success := and(zkinfer_ok, success)"),
            1,
        );

        // 1. Proof reads start after the n public inputs.
        let mut shifted = String::with_capacity(out.len() + 1024);
        let mut rest = out.as_str();
        let open = "calldataload(0x";
        while let Some(pos) = rest.find(open) {
            let (head, tail) = rest.split_at(pos + open.len());
            shifted.push_str(head);
            let end = tail.find(')').ok_or("unterminated calldataload")?;
            let offset = parse_hex(tail.get(..end).ok_or("bad slice")?)?;
            let moved = if offset >= 0x20 { offset + shift } else { offset };
            shifted.push_str(&format!("{moved:x}"));
            rest = tail.get(end..).ok_or("bad slice")?;
        }
        shifted.push_str(rest);
        Ok(shifted)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use halo2_proofs::halo2curves::ff::Field;

        #[test]
        fn decimal_constants_match_snark_verifier() {
            assert_eq!(dec(-Fr::ONE), MINUS_ONE);
            assert_eq!(dec(Fr::from(1234567)), "1234567");
            assert_eq!(dec(Fr::ZERO), "0");
        }
    }
}

/// Bytecode of a compiled contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// Creation code (what a deployment transaction carries).
    pub deployment: Vec<u8>,
    /// The code the chain stores (what EIP-170 limits).
    pub runtime: Vec<u8>,
}

fn hex_after(stdout: &str, label: &str) -> Option<Vec<u8>> {
    let mut lines = stdout.lines();
    lines.find(|l| l.trim() == label)?;
    let hex_line = lines.find(|l| !l.trim().is_empty())?;
    hex::decode(hex_line.trim()).ok()
}

/// The version a `solc` command reports (`solc --version`).
pub fn solc_version(solc: &Path) -> Result<String, EvmError> {
    let missing = |reason: String| EvmError::SolcMissing { solc: solc.display().to_string(), reason };
    let out = Command::new(solc).arg("--version").output().map_err(|e| missing(e.to_string()))?;
    if !out.status.success() {
        return Err(missing(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Version: "))
        .map(|v| v.trim().to_string())
        .ok_or_else(|| missing(format!("unexpected --version output: {}", text.trim())))
}

/// Compile `source` with the `solc` command at `solc` (`solc --bin --bin-runtime -`): the
/// repository's `tools/solc` (solc-js 0.8.19, optimizer off, legacy code generation) or a native
/// solc 0.8.19. Checks the runtime code against EIP-170.
pub fn compile_solidity(solc: &Path, source: &str) -> Result<Compiled, EvmError> {
    compile_solidity_with(solc, source, false)
}

/// [`compile_solidity`], with solc's (legacy) optimizer when `optimize` (`--optimize`): only
/// for the keyed verifier, whose code compiles with it.
pub fn compile_solidity_with(solc: &Path, source: &str, optimize: bool) -> Result<Compiled, EvmError> {
    let missing = |reason: String| EvmError::SolcMissing { solc: solc.display().to_string(), reason };
    let mut child = Command::new(solc)
        .args(if optimize { &["--bin", "--bin-runtime", "--optimize", "-"][..] } else { &["--bin", "--bin-runtime", "-"][..] })
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| missing(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A compiler that exits early shows up in its status and stderr below.
        let _ = stdin.write_all(source.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| missing(e.to_string()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let errors: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).take(6).collect();
        return Err(EvmError::Compile(format!("{} ({})", errors.join(" | "), out.status)));
    }
    let deployment = hex_after(&stdout, "Binary:").ok_or_else(|| EvmError::Compile("no creation bytecode in solc's output".into()))?;
    let runtime = hex_after(&stdout, "Binary of the runtime part:")
        .ok_or_else(|| EvmError::Compile("no runtime bytecode in solc's output".into()))?;
    if deployment.is_empty() || runtime.is_empty() {
        return Err(EvmError::Compile("empty bytecode".into()));
    }
    Ok(Compiled { deployment, runtime })
}

/// Errors unless `runtime` fits EIP-170; `shape` explains what made it large.
pub fn check_size(runtime: usize, shape: &KeyShape) -> Result<(), EvmError> {
    if runtime > EIP170_LIMIT {
        return Err(EvmError::TooLarge {
            runtime,
            limit: EIP170_LIMIT,
            detail: format!(
                "k = {}, {} public inputs, {} fixed + {} permutation commitments, {} advice columns, {} lookups",
                shape.k, shape.public_inputs, shape.fixed_commitments, shape.permutation_commitments, shape.advice_columns, shape.lookups
            ),
        });
    }
    Ok(())
}

/// The verifier contract's calldata: the public inputs, 32 bytes big-endian each, then the proof.
pub fn encode_calldata(instances: &[Fr], proof: &[u8]) -> Vec<u8> {
    sv_evm::encode_calldata(&[instances.to_vec()], proof)
}

/// What the contract said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmOutcome {
    pub accepted: bool,
    /// Gas of the call transaction (21,000 base + calldata + execution), when known.
    pub gas_used: Option<u64>,
    /// Why it was not accepted (revert or halt), empty when accepted.
    pub reason: String,
}

fn gas_in(message: &str) -> Option<u64> {
    let rest = message.split("gas_used ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// Deploy `deployment` in a fresh in-memory EVM (revm) and call it with `calldata`. A failed
/// deployment is an error; a call that reverts is a rejection, not an error.
pub fn deploy_and_call(deployment: &[u8], calldata: &[u8]) -> Result<EvmOutcome, EvmError> {
    let (code, data) = (deployment.to_vec(), calldata.to_vec());
    let result = catch_unwind(AssertUnwindSafe(move || sv_evm::deploy_and_call(code, data)))
        .map_err(|_| EvmError::Deploy("the EVM panicked".into()))?;
    match result {
        Ok(gas) => Ok(EvmOutcome { accepted: true, gas_used: Some(gas), reason: String::new() }),
        Err(msg) if msg.starts_with("Contract call") => Ok(EvmOutcome { accepted: false, gas_used: gas_in(&msg), reason: msg }),
        Err(msg) => Err(EvmError::Deploy(msg)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_solc_output_and_gas() {
        let out = "\n======= <stdin>:A =======\nBinary:\n6001\nBinary of the runtime part:\n60ff\n";
        assert_eq!(hex_after(out, "Binary:"), Some(vec![0x60, 0x01]));
        assert_eq!(hex_after(out, "Binary of the runtime part:"), Some(vec![0x60, 0xff]));
        assert_eq!(gas_in("Contract call transaction reverts with gas_used 29001 and output 0x"), Some(29001));
    }

    #[test]
    fn oversized_contract_is_a_typed_error_naming_the_limit() {
        let shape = KeyShape { k: 12, public_inputs: 75, fixed_commitments: 40, permutation_commitments: 10, advice_columns: 9, lookups: 3 };
        assert!(check_size(EIP170_LIMIT, &shape).is_ok());
        let e = check_size(EIP170_LIMIT + 1, &shape).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, EvmError::TooLarge { runtime: 24_577, .. }));
        assert!(msg.contains("EIP-170") && msg.contains("--width") && msg.contains("40 fixed"), "{msg}");
    }

    #[test]
    fn contract_that_reverts_is_a_rejection_and_bad_code_a_deploy_error() {
        // Runtime code `PUSH1 0 DUP1 REVERT`, deployed by a minimal constructor.
        let runtime = [0x60, 0x00, 0x80, 0xfd];
        // PUSH1 4 DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN, then the runtime code.
        let mut code = vec![0x60, 0x04, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
        code.extend_from_slice(&runtime);
        let o = deploy_and_call(&code, &[1, 2, 3]).unwrap();
        assert!(!o.accepted);
        assert!(o.gas_used.unwrap_or(0) >= 21_000, "{o:?}");
        // A constructor that reverts.
        assert!(matches!(deploy_and_call(&[0x60, 0x00, 0x80, 0xfd], &[]), Err(EvmError::Deploy(_))));
    }
}
