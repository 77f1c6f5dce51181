//! KZG proofs and the on-chain verifier, end to end on the zoo MLP and CNN: the Solidity
//! verifier generated for each model's key, compiled by solc 0.8.19 (tools/solc, solc-js from
//! `npm ci`), accepts the honest proof in revm and rejects a proof with a flipped byte and one
//! with a changed public output; the same proof verifies natively; backends do not mix; a
//! user-supplied SRS file is hash-checked.
mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::evm::*;
use common::*;
use zkinfer::evm::{
    create_evm_verifier, create_evm_verifier_with, verify_evm, verify_evm_with, VerifierKind, VerifierMeta, BIN_FILE, CALLDATA_FILE, KEY_BIN_FILE,
    META_FILE, SOL_FILE,
};
use zkinfer::models::data::Dataset;
use zkinfer::pipeline::{self, Settings};
use zkinfer::prover::{Backend, ParamsCache};
use zkinfer::report::Timings;
use zkinfer::verifier::evm::{self, EvmError, InstanceCode, EIP170_LIMIT};
use zkinfer::verifier::{ProofFile, SrsInfo, VerifiedOutput, VerifierParams, VerifyError, VerifyOptions, VkFile};

fn verify(params: &VerifierParams, vk: &VkFile, proof: &ProofFile, expected: Option<&str>) -> Result<VerifiedOutput, VerifyError> {
    zkinfer::verifier::verify_with(params, vk, proof, &VerifyOptions { expected_identity: expected, ..ALLOW })
}

fn identity(vk: &VkFile) -> String {
    zkinfer::verifier::model_identity(vk, None).unwrap().to_string()
}

fn kzg_case(model: &str, name: &str) -> Case {
    kzg_case_settings(model, name, &kzg_settings())
}

fn kzg_case_settings(model: &str, name: &str, settings: &Settings) -> Case {
    let settings = settings.clone();
    let cache = ParamsCache::new(cache_dir());
    let prepared = pipeline::prepare(&zoo(model), &zoo("calibration.json"), &settings.quant).expect("prepare");
    let dir = scratch(name);
    let mut t = Timings::default();
    let setup = pipeline::setup(&prepared, &settings, &dir, &cache, false, &mut t, &|_| {}).expect("setup");
    let input = Dataset::load(&zoo("input.json")).expect("input").samples.remove(0);
    let proof = pipeline::prove(&prepared, &settings, &setup, &input, &dir, &mut t, &|_| {}).expect("prove");
    let meta = create_evm_verifier(&dir, None, &cache, &mut t).expect("create the EVM verifier (is `npm ci` done?)");
    eprintln!("{model}: k = {}, {meta:?}, timings {:?}", setup.spec.k, t.0);
    let shape = setup.spec.verifier_shape();
    Case { dir, proof, vk: setup.vk, params: setup.params.to_verifier(), meta, shape }
}

fn mlp() -> &'static Case {
    static C: OnceLock<Case> = OnceLock::new();
    C.get_or_init(|| kzg_case("mlp.onnx", "evm_mlp"))
}

fn cnn() -> &'static Case {
    static C: OnceLock<Case> = OnceLock::new();
    C.get_or_init(|| kzg_case("cnn.onnx", "evm_cnn"))
}

/// The zoo's sigmoid/tanh MLP: at width 4 the same constraint system and k (12) as the CNN.
fn smooth() -> &'static Case {
    static C: OnceLock<Case> = OnceLock::new();
    C.get_or_init(|| kzg_case("smooth.onnx", "evm_smooth"))
}

/// Write `proof` into a fresh directory and run the case's contract on it.
fn run_evm(c: &Case, proof: &ProofFile, name: &str) -> zkinfer::verifier::evm::EvmOutcome {
    let d = scratch(name);
    let path = d.join("proof.json");
    std::fs::write(&path, proof.to_json()).unwrap();
    let run = verify_evm(&path, Some(&c.dir.join("vk.bin")), Some(&c.dir.join(BIN_FILE)), &ALLOW, &cache()).expect("EVM run");
    run.outcome
}

fn check_model(c: &Case, name: &str) {
    // The contract is deployable on Ethereum and was compiled from the files on disk.
    assert!(c.meta.runtime_bytes > 1000 && c.meta.runtime_bytes <= EIP170_LIMIT, "{:?}", c.meta);
    assert!(c.meta.deployment_bytes > c.meta.runtime_bytes);
    assert!(c.meta.solc.starts_with("0.8.19"), "{}", c.meta.solc);
    let sol = std::fs::read_to_string(c.dir.join(SOL_FILE)).unwrap();
    assert_eq!(sol.chars().count(), c.meta.source_chars);
    assert!(sol.contains("pragma solidity 0.8.19"));
    let meta: VerifierMeta = serde_json::from_str(&std::fs::read_to_string(c.dir.join(META_FILE)).unwrap()).unwrap();
    assert_eq!(&meta, &c.meta);

    // Honest proof: accepted by the contract (not merely "did not fail": an always-reverting
    // contract, as via-IR produces, fails here), with the calldata written beside the proof.
    let id = identity(&c.vk);
    let opts = VerifyOptions { expected_identity: Some(&id), ..ALLOW };
    let run = verify_evm(&c.dir.join("proof.json"), None, None, &opts, &cache()).expect("EVM run");
    assert!(run.identity_checked && run.identity == id);
    assert!(run.outcome.accepted, "honest proof rejected: {}", run.outcome.reason);
    let gas = run.outcome.gas_used.unwrap();
    assert!((21_000..2_000_000).contains(&gas), "gas {gas}");
    let calldata = std::fs::read(c.dir.join(CALLDATA_FILE)).unwrap();
    let publics = 1 + c.proof.input.values.len() + c.proof.output.values.len();
    assert_eq!(calldata.len(), 32 * publics + c.proof.proof_bytes().unwrap().len());
    assert_eq!(run.calldata_bytes, calldata.len());
    eprintln!(
        "{name}: gas {gas}, runtime {} B, deployment {} B, source {} chars, proof {} B, calldata {} B",
        c.meta.runtime_bytes,
        c.meta.deployment_bytes,
        c.meta.source_chars,
        run.proof_bytes,
        calldata.len()
    );

    // The same proof verifies natively (the thin verifier reads the EVM transcript).
    let v = verify(&c.params, &c.vk, &c.proof, Some(&id)).expect("native KZG verify");
    assert_eq!(v.output, c.proof.output);

    // A flipped byte anywhere: the contract reverts, and the native verifier rejects too.
    let bytes = c.proof.proof_bytes().unwrap();
    for pos in [0, 100, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        let bad = ProofFile { proof: hex::encode(&b), ..c.proof.clone() };
        let o = run_evm(c, &bad, &format!("{name}_flip"));
        assert!(!o.accepted, "byte {pos} flipped but accepted");
        assert!(o.gas_used.is_some_and(|g| g >= 21_000), "{o:?}");
        let e = verify(&c.params, &c.vk, &bad, None).unwrap_err();
        assert!(matches!(e, VerifyError::Rejected(_)), "byte {pos}: {e}");
    }

    // A changed public output (still in range): the contract reverts.
    let mut bad = c.proof.clone();
    bad.output.values[0] += 1;
    assert!(!run_evm(c, &bad, &format!("{name}_output")).accepted);
    assert!(matches!(verify(&c.params, &c.vk, &bad, None).unwrap_err(), VerifyError::Rejected(_)));
    // And a changed public input.
    let mut bad = c.proof.clone();
    bad.input.values[1] -= 1;
    assert!(!run_evm(c, &bad, &format!("{name}_input")).accepted);
}

#[test]
fn mlp_verifier_contract_accepts_the_honest_proof_and_rejects_tampering() {
    let m = mlp();
    assert_eq!(m.meta.kind, VerifierKind::Keyed, "auto makes the keyed verifier");
    check_model(m, "evm_mlp");
}

/// snark-verifier's contract stays available (`--verifier snark`): honest accepted, a flipped
/// byte rejected.
#[test]
fn snark_verifier_contract_stays_available() {
    let m = mlp();
    let d = scratch("evm_mlp_snark");
    for f in ["vk.bin", "proof.json"] {
        std::fs::copy(m.dir.join(f), d.join(f)).unwrap();
    }
    let meta = create_evm_verifier_with(&d, None, VerifierKind::Snark, &cache(), &mut Timings::default()).unwrap();
    assert_eq!(meta.kind, VerifierKind::Snark);
    assert!(meta.key_contract.is_none() && !d.join(KEY_BIN_FILE).exists());
    let run = verify_evm(&d.join("proof.json"), None, None, &ALLOW, &cache()).unwrap();
    assert!(run.outcome.accepted && run.kind == VerifierKind::Snark, "{:?}", run.outcome);
    eprintln!("snark verifier: gas {:?}, runtime {} B, creation {} B", run.outcome.gas_used, meta.runtime_bytes, meta.deployment_bytes);
    let mut b = m.proof.proof_bytes().unwrap();
    b[100] ^= 1;
    let bad = ProofFile { proof: hex::encode(&b), ..m.proof.clone() };
    let p = d.join("bad.json");
    std::fs::write(&p, bad.to_json()).unwrap();
    let o = verify_evm_with(&p, None, Some(&d.join(BIN_FILE)), VerifierKind::Snark, &ALLOW, &cache()).unwrap().outcome;
    assert!(!o.accepted);
}

#[test]
fn cnn_verifier_contract_accepts_the_honest_proof_and_rejects_tampering() {
    check_model(cnn(), "evm_cnn");
}

#[test]
fn backends_do_not_mix() {
    let m = mlp();
    // The MLP's IPA key (keygen only; IPA parameters are cached by k).
    let settings = Settings::default();
    let cache = ParamsCache::new(cache_dir());
    let prepared = pipeline::prepare(&zoo("mlp.onnx"), &zoo("calibration.json"), &settings.quant).unwrap();
    let ipa_dir = scratch("evm_ipa_keys");
    let ipa = pipeline::setup(&prepared, &settings, &ipa_dir, &cache, false, &mut Timings::default(), &|_| {}).unwrap();
    let ipa_params = ipa.params.to_verifier();

    // A KZG proof with an IPA key (and IPA parameters), and the reverse.
    let e = verify(&ipa_params, &ipa.vk, &m.proof, None).unwrap_err();
    assert_eq!(e, VerifyError::BackendMismatch { proof: Backend::Kzg, vk: Backend::Ipa });
    let ipa_proof = ProofFile { backend: Backend::Ipa, ..m.proof.clone() };
    let e = verify(&m.params, &m.vk, &ipa_proof, None).unwrap_err();
    assert_eq!(e, VerifyError::BackendMismatch { proof: Backend::Ipa, vk: Backend::Kzg });
    // KZG parameters with an IPA key.
    let ipa_labelled = ProofFile { backend: Backend::Ipa, ..m.proof.clone() };
    let e = verify(&m.params, &ipa.vk, &ipa_labelled, None).unwrap_err();
    assert_eq!(e, VerifyError::BackendMismatch { proof: Backend::Kzg, vk: Backend::Ipa });

    // Through the files, as `zkinfer verify` reads them.
    let e = pipeline::verify_files(&m.dir.join("proof.json"), Some(&ipa_dir.join("vk.bin")), &ALLOW, &cache).unwrap_err();
    assert!(matches!(e, pipeline::PipelineError::Verify(VerifyError::BackendMismatch { .. })), "{e}");
    // The EVM path wants KZG on both sides.
    let e = create_evm_verifier(&ipa_dir, None, &cache, &mut Timings::default()).unwrap_err();
    assert!(matches!(e, pipeline::PipelineError::Evm(EvmError::NotKzg { .. })), "{e}");
    let ipa_proof_path = ipa_dir.join("ipa_proof.json");
    std::fs::write(&ipa_proof_path, ipa_proof.to_json()).unwrap();
    let e = verify_evm(&ipa_proof_path, None, None, &ALLOW, &cache).unwrap_err();
    assert!(matches!(e, pipeline::PipelineError::Evm(EvmError::NotKzg { .. })), "{e}");
    let e = verify_evm(&m.dir.join("proof.json"), Some(&ipa_dir.join("vk.bin")), None, &ALLOW, &cache).unwrap_err();
    assert!(matches!(e, pipeline::PipelineError::Verify(VerifyError::BackendMismatch { .. })), "{e}");
}

/// Finding 3 of the soundness review: `verify-evm` deployed whatever `Verifier.bin` lay beside
/// the proof. Now the contract is regenerated from the key and must match byte for byte.
#[test]
fn verifier_of_another_key_is_refused_before_running() {
    let (m, c) = (mlp(), cnn());
    // The CNN's contract with the MLP's proof and key.
    let e = verify_evm(&m.dir.join("proof.json"), None, Some(&c.dir.join(BIN_FILE)), &ALLOW, &cache()).unwrap_err();
    assert!(matches!(e, pipeline::PipelineError::Evm(EvmError::ContractMismatch { .. })), "{e}");
    // Without its Verifier.json, and beside the proof: still refused. (The keyed verifiers of
    // the MLP and the CNN are the same code, so the foreign part is the CNN's key contract.)
    let d = scratch("evm_foreign");
    std::fs::copy(m.dir.join("proof.json"), d.join("proof.json")).unwrap();
    std::fs::copy(m.dir.join("vk.bin"), d.join("vk.bin")).unwrap();
    std::fs::copy(c.dir.join(BIN_FILE), d.join(BIN_FILE)).unwrap();
    if c.dir.join(KEY_BIN_FILE).is_file() {
        std::fs::copy(c.dir.join(KEY_BIN_FILE), d.join(KEY_BIN_FILE)).unwrap();
    }
    let e = verify_evm(&d.join("proof.json"), None, None, &ALLOW, &cache()).unwrap_err();
    assert!(e.to_string().contains("is not the verifier contract of the key in hand"), "{e}");
    // A contract that accepts everything (returns without reverting) is refused the same way.
    std::fs::write(d.join(BIN_FILE), "600a600c600039600a6000f3600160005260206000f3").unwrap();
    let e = verify_evm(&d.join("proof.json"), None, None, &ALLOW, &cache()).unwrap_err();
    assert!(matches!(e, pipeline::PipelineError::Evm(EvmError::ContractMismatch { .. })), "{e}");
    // No Verifier.bin at all: the regenerated contract runs, and accepts the honest proof.
    std::fs::remove_file(d.join(BIN_FILE)).unwrap();
    let run = verify_evm(&d.join("proof.json"), None, None, &ALLOW, &cache()).unwrap();
    assert!(run.outcome.accepted, "{:?}", run.outcome);
    // Another model's identity expected: refused before anything runs.
    let other = identity(&c.vk);
    let opts = VerifyOptions { expected_identity: Some(&other), ..ALLOW };
    let e = verify_evm(&d.join("proof.json"), None, None, &opts, &cache()).unwrap_err();
    assert!(matches!(e, pipeline::PipelineError::Verify(VerifyError::IdentityMismatch { .. })), "{e}");
}

/// Finding 7: keys on the insecure fixed-seed SRS verify only when explicitly allowed, and
/// the SRS is recognised by value, whatever the header's label says.
#[test]
fn insecure_srs_is_refused_unless_allowed() {
    let m = mlp();
    let e = zkinfer::verifier::verify(&m.params, &m.vk, &m.proof, None).unwrap_err();
    assert_eq!(e, VerifyError::InsecureSrs);
    let mut relabelled = m.vk.clone();
    relabelled.header.srs.as_mut().unwrap().source = format!("sha256:{}", "ab".repeat(32));
    let e = zkinfer::verifier::verify(&m.params, &relabelled, &m.proof, None).unwrap_err();
    assert_eq!(e, VerifyError::InsecureSrs);
    verify(&m.params, &m.vk, &m.proof, None).expect("allowed explicitly");
    let strict = VerifyOptions::default();
    let e = verify_evm(&m.dir.join("proof.json"), None, None, &strict, &cache()).unwrap_err();
    assert!(matches!(e, pipeline::PipelineError::Verify(VerifyError::InsecureSrs)), "{e}");
}

fn srs_dir() -> PathBuf {
    cache_dir()
}

fn insecure_srs_file(k: u32) -> PathBuf {
    let cache = ParamsCache::new(srs_dir());
    cache.kzg_insecure(k).unwrap();
    cache.kzg_insecure_path(k)
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn cli_kzg_prove_create_verifier_and_verify_evm_with_a_user_srs() {
    let out = scratch("evm_cli");
    let dir = path_str(&out);
    let (model, input) = (zoo("mlp.onnx"), zoo("input.json"));
    // A "ceremony" file in halo2's ParamsKZG format (here the test SRS, copied as a user would).
    let srs = out.join("ceremony.srs");
    std::fs::copy(insecure_srs_file(12), &srs).unwrap();
    let sha = sha256_of(&srs);

    let o = zkinfer(&[
        "prove", "--model", path_str(&model), "--input", path_str(&input), "--out", dir, "--backend", "kzg", "--width", "4",
        "--srs", path_str(&srs), "--srs-sha256", &sha, "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("INSECURE"), "a user SRS is not the insecure one: {}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(report["timings_s"]["prove"].as_f64().is_some());
    let k = report["k"].as_u64().unwrap();
    assert!(k <= 12, "the test SRS file has k = 12: {report}");
    let vk = VkFile::from_bytes(&std::fs::read(out.join("vk.bin")).unwrap()).unwrap();
    assert_eq!(vk.header.backend, Backend::Kzg);
    assert_eq!(vk.header.srs.as_ref().unwrap().source, format!("sha256:{sha}"));
    let proof: ProofFile = ProofFile::from_json(&std::fs::read_to_string(out.join("proof.json")).unwrap()).unwrap();
    assert_eq!(proof.backend, Backend::Kzg);

    // Native verification finds the SRS in the cache by its hash. This "ceremony" file is the
    // insecure SRS under another name: the verifier recognises it by value and refuses it
    // unless allowed.
    let o = zkinfer(&["verify", "--proof", path_str(&out.join("proof.json"))]);
    assert_clean_failure(&o, &["INSECURE"]);
    let o = zkinfer(&["verify", "--proof", path_str(&out.join("proof.json")), "--allow-insecure-srs"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = zkinfer(&["create-evm-verifier", "--dir", dir, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let runtime = v["runtime_bytes"].as_u64().unwrap();
    assert!(runtime > 0 && runtime <= EIP170_LIMIT as u64, "{v}");
    assert!(v["source_chars"].as_u64().unwrap() > 10_000);
    assert!(out.join(SOL_FILE).is_file() && out.join(BIN_FILE).is_file());

    let o = zkinfer(&["verify-evm", "--proof", path_str(&out.join("proof.json"))]);
    assert_clean_failure(&o, &["INSECURE"]);
    let o = zkinfer(&["verify-evm", "--proof", path_str(&out.join("proof.json")), "--allow-insecure-srs", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["accepted"], true);
    assert!(v["gas_used"].as_u64().unwrap() > 21_000);
    assert!(out.join(CALLDATA_FILE).is_file());
    let o = zkinfer(&["verify-evm", "--proof", path_str(&out.join("proof.json")), "--allow-insecure-srs"]);
    assert!(o.status.success() && stdout(&o).contains("accepted"), "{}", stderr(&o));

    // A tampered output: exit code 1 and one error line.
    let mut bad = proof.clone();
    bad.output.values[2] -= 1;
    let bad_path = out.join("bad_proof.json");
    std::fs::write(&bad_path, bad.to_json()).unwrap();
    let o = zkinfer(&["verify-evm", "--proof", path_str(&bad_path), "--allow-insecure-srs"]);
    assert_clean_failure(&o, &["rejected", "reverted"]);
    let o = zkinfer(&["verify-evm", "--proof", path_str(&bad_path), "--allow-insecure-srs", "--json"]);
    assert!(!o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["accepted"], false);

    // The wrong hash for the SRS file, and an SRS too small for the circuit.
    let o = zkinfer(&[
        "setup", "--model", path_str(&model), "--out", path_str(&out.join("k")), "--backend", "kzg", "--srs", path_str(&srs),
        "--srs-sha256", &"ab".repeat(32),
    ]);
    assert_clean_failure(&o, &["SHA-256", &sha]);
    let o = zkinfer(&[
        "setup", "--model", path_str(&model), "--out", path_str(&out.join("k")), "--backend", "kzg", "--srs",
        path_str(&insecure_srs_file(5)),
    ]);
    assert_clean_failure(&o, &["covers circuits up to k = 5", &format!("needs k = {k}")]);
    // --srs is a KZG option.
    let o = zkinfer(&["setup", "--model", path_str(&model), "--out", path_str(&out.join("k")), "--srs", path_str(&srs)]);
    assert_clean_failure(&o, &["--backend kzg"]);
}

#[test]
fn cli_kzg_without_srs_warns_that_it_is_insecure() {
    let out = scratch("evm_cli_insecure");
    let o = zkinfer(&["setup", "--model", path_str(&zoo("cnn.onnx")), "--out", path_str(&out), "--backend", "kzg", "--width", "4"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("INSECURE"), "{}", stderr(&o));
    let vk = VkFile::from_bytes(&std::fs::read(out.join("vk.bin")).unwrap()).unwrap();
    assert_eq!(vk.header.srs.as_ref().unwrap().source, SrsInfo::INSECURE);
}

/// The looped public-input code computes what snark-verifier's unrolled code computes: on a
/// model small enough for both contracts to fit EIP-170 (6 inputs), both accept the honest
/// calldata and reject the same tampered ones (proof bytes and each kind of public value).
#[test]
fn looped_and_unrolled_public_input_code_agree() {
    let d = scratch("evm_equiv");
    let samples: Vec<String> = (0..8)
        .map(|s| {
            let v: Vec<String> = (0..6).map(|i| format!("{:.3}", ((s * 7 + i * 5) % 11) as f64 / 11.0 - 0.4)).collect();
            format!("[{}]", v.join(","))
        })
        .collect();
    let calib = d.join("calibration.json");
    std::fs::write(&calib, format!(r#"{{"input_data": [{}]}}"#, samples.join(","))).unwrap();
    let settings = kzg_settings();
    let cache = ParamsCache::new(cache_dir());
    let prepared = pipeline::prepare(&fixture("ops/gemm_relu.onnx"), &calib, &settings.quant).unwrap();
    let mut t = Timings::default();
    let setup = pipeline::setup(&prepared, &settings, &d, &cache, false, &mut t, &|_| {}).unwrap();
    let input = Dataset::load(&calib).unwrap().samples.remove(0);
    let proof = pipeline::prove(&prepared, &settings, &setup, &input, &d, &mut t, &|_| {}).unwrap();
    let params = match setup.params.to_verifier() {
        VerifierParams::Kzg(p) => p,
        VerifierParams::Ipa(_) => unreachable!(),
    };
    let key = zkinfer::verifier::read_key(&setup.vk).unwrap();
    let n = setup.vk.header.instance_len();
    assert!(n > 4, "{n}");
    let solc = zkinfer::evm::solc_command();
    let build = |code| {
        let src = evm::generate_solidity(&params, &key, n, code).unwrap();
        evm::compile_solidity(&solc, &src).unwrap()
    };
    let (unrolled, looped) = (build(InstanceCode::Unrolled), build(InstanceCode::Looped));
    assert!(looped.runtime.len() < unrolled.runtime.len());
    assert!(unrolled.runtime.len() <= EIP170_LIMIT, "{}", unrolled.runtime.len());

    let instances = zkinfer::verifier::public_instances(&setup.vk, &proof).unwrap();
    let bytes = proof.proof_bytes().unwrap();
    let honest = evm::encode_calldata(&instances, &bytes);
    let mut cases = vec![("honest", honest.clone())];
    for pos in [0, 64, bytes.len() / 3, bytes.len() - 1] {
        let mut c = honest.clone();
        c[32 * n + pos] ^= 1;
        cases.push(("proof byte", c));
    }
    for i in [0, 1, n / 2, n - 1] {
        let mut c = honest.clone();
        c[32 * i + 31] ^= 1;
        cases.push(("public value", c));
    }
    for (what, calldata) in &cases {
        let a = evm::deploy_and_call(&unrolled.deployment, calldata).unwrap();
        let b = evm::deploy_and_call(&looped.deployment, calldata).unwrap();
        assert_eq!(a.accepted, b.accepted, "{what}: unrolled {a:?}, looped {b:?}");
        assert_eq!(a.accepted, *what == "honest", "{what}: {a:?}");
    }

    // Finding 11: a public input x + r (the same field element as x). snark-verifier's code
    // reads public inputs mod r and accepts it; zkinfer's looped code requires every public
    // input below r and rejects it (zkinfer's calldata encoder only writes canonical values).
    let r_be = {
        let mut minus_one = (-halo2_proofs::halo2curves::bn256::Fr::one()).to_bytes();
        minus_one.reverse(); // big-endian r - 1
        let mut r = minus_one;
        for b in r.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
        r
    };
    for i in [1, n - 1] {
        let mut c = honest.clone();
        let word = &mut c[32 * i..32 * i + 32];
        let mut carry = 0u16;
        for j in (0..32).rev() {
            let sum = word[j] as u16 + r_be[j] as u16 + carry;
            word[j] = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0, "x + r fits 256 bits");
        let a = evm::deploy_and_call(&unrolled.deployment, &c).unwrap();
        let b = evm::deploy_and_call(&looped.deployment, &c).unwrap();
        assert!(a.accepted, "snark-verifier's unrolled code reads public inputs mod r: {a:?}");
        assert!(!b.accepted, "an aliased public input {i} was accepted by zkinfer's contract");
    }
}

/// The thin verifier's default build stays without the EVM stack (it is behind `evm`).
#[test]
fn thin_verifier_default_build_has_no_snark_verifier_or_revm() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let tree = |extra: &[&str]| {
        let out = std::process::Command::new(&cargo)
            .current_dir(root())
            .args(["tree", "--offline", "-p", "zkinfer-verifier", "-e", "normal", "--prefix", "none"])
            .args(extra)
            .output()
            .expect("cargo tree");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let thin = tree(&[]);
    for banned in ["snark-verifier", "revm", "halo2-base"] {
        assert!(!thin.lines().any(|l| l.starts_with(banned)), "{banned} in the default verifier:\n{thin}");
    }
    let with_evm = tree(&["--features", "evm"]);
    assert!(with_evm.lines().any(|l| l.starts_with("snark-verifier v0.2.7")), "{with_evm}");
}

/// The keyed verifier (zkinfer's looped contract + a key contract) of a case, made by
/// `create_evm_verifier_with` into its own directory beside copies of the case's files.
fn keyed_case(c: &Case, name: &str) -> (PathBuf, VerifierMeta) {
    let d = scratch(name);
    for f in ["vk.bin", "proof.json"] {
        std::fs::copy(c.dir.join(f), d.join(f)).unwrap();
    }
    let meta = create_evm_verifier_with(&d, None, VerifierKind::Keyed, &cache(), &mut Timings::default()).expect("keyed verifier");
    (d, meta)
}

fn check_keyed(c: &Case, name: &str) -> (VerifierMeta, u64) {
    let (dir, meta) = keyed_case(c, name);
    assert_eq!(meta.kind, VerifierKind::Keyed);
    let key = meta.key_contract.expect("key contract sizes");
    assert!(meta.runtime_bytes <= 13_000, "{meta:?}");
    assert!(key.runtime_bytes <= EIP170_LIMIT && key.deployment_bytes > key.runtime_bytes, "{meta:?}");
    assert!(dir.join(KEY_BIN_FILE).is_file());
    let id = identity(&c.vk);
    let opts = VerifyOptions { expected_identity: Some(&id), ..ALLOW };
    let run = verify_evm_with(&dir.join("proof.json"), None, None, VerifierKind::Keyed, &opts, &cache()).unwrap();
    assert!(run.outcome.accepted, "honest proof rejected by the keyed verifier: {}", run.outcome.reason);
    assert_eq!(run.kind, VerifierKind::Keyed);
    eprintln!(
        "{name}: keyed gas {:?} (estimated {}), verifier runtime {} B (creation {} B), key runtime {} B (creation {} B), calldata {} B, {:?}",
        run.outcome.gas_used, zkinfer::target::evm_gas(&c.shape), meta.runtime_bytes, meta.deployment_bytes, key.runtime_bytes, key.deployment_bytes,
        run.calldata_bytes, c.shape
    );
    // A flipped byte anywhere, a changed output, a changed input: rejected on chain.
    let bytes = c.proof.proof_bytes().unwrap();
    for pos in [0, 100, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        let bad = ProofFile { proof: hex::encode(&b), ..c.proof.clone() };
        assert!(!run_keyed(&dir, &bad, &format!("{name}_flip")).accepted, "byte {pos} flipped but accepted");
    }
    let mut bad = c.proof.clone();
    bad.output.values[0] += 1;
    assert!(!run_keyed(&dir, &bad, &format!("{name}_output")).accepted);
    let mut bad = c.proof.clone();
    bad.input.values[1] -= 1;
    assert!(!run_keyed(&dir, &bad, &format!("{name}_input")).accepted);
    (meta, run.outcome.gas_used.expect("gas of the honest run"))
}

#[test]
fn mlp_keyed_verifier_accepts_the_honest_proof_and_rejects_tampering() {
    check_keyed(mlp(), "keyed_mlp");
    // Where the gas goes (printed for benches/ONCHAIN.md): the debugging variant of the contract
    // returns the gas of each phase and the phases' flags instead of reverting.
    use zkinfer::verifier::evm::keyed;
    let c = mlp();
    let VerifierParams::Kzg(params) = &c.params else { panic!("kzg") };
    let st = zkinfer::verifier::statement(&c.vk, &c.proof, &ALLOW).unwrap();
    let (plan, key) = keyed::build(params, &st.key, st.instances.len(), [0; 32]).unwrap();
    // The spec's count (the gas estimate's input) is the plan's: the unused max-pool selector
    // commits to the identity and is left out of both.
    assert_eq!(c.shape.msm_terms, key.msm_terms, "{:?}", c.shape);
    let calldata = evm::encode_calldata(&st.instances, &c.proof.proof_bytes().unwrap());
    for unrolled in [true, false] {
        let source = keyed::source::debug_variant(&keyed::verifier_source(&key, unrolled));
        let dbg = evm::compile_solidity_with(&zkinfer::evm::solc_command(), &source, false).unwrap();
        let o = keyed::deploy_and_call(&key.data, &dbg.deployment, &calldata).unwrap();
        let m = &o.output;
        let word = |i: usize| u64::from_be_bytes(m[m.len() - 256 + 32 * i + 24..m.len() - 256 + 32 * i + 32].try_into().unwrap());
        assert_eq!((word(4), word(5), word(6), word(7)), (1, 1, 1, 1), "every phase succeeds");
        eprintln!(
            "keyed_mlp gas by phase (unrolled {unrolled}): transcript {}, program {} ({} instructions), msm {} ({} terms), pairing {}; key {} B, memory {} B",
            word(0), word(1), key.program_len, word(2), key.msm_terms, word(3), key.data.len(), key.memory_end
        );
    }
    assert!(plan.program.consts.len() < 256);
}

#[test]
fn cnn_keyed_verifier_accepts_the_honest_proof_and_rejects_tampering() {
    check_keyed(cnn(), "keyed_cnn");
}

/// `--target evm` (the automatic shape chosen for gas, `zkinfer::target`): its keyed verifier
/// accepts the honest proof and rejects tampering, costs less gas than the default test width,
/// and the estimate the choice ranks by is within 3% of revm's gas for both shapes.
#[test]
fn evm_target_shape_costs_less_gas_and_matches_its_estimate() {
    use zkinfer::target::{evm_gas, Target};
    let mut settings = Settings { target: Target::Evm, ..kzg_settings() };
    let p = pipeline::prepare(&zoo("mlp.onnx"), &zoo("calibration.json"), &settings.quant).expect("prepare");
    settings.circuit = pipeline::auto_params_for(&p, &settings.circuit, Target::Evm).expect("evm shape");
    assert!(zkinfer::target::EVM_WIDTHS.contains(&settings.circuit.width), "{:?}", settings.circuit);
    let evm = kzg_case_settings("mlp.onnx", "evm_mlp_target", &settings);
    let (_, evm_gas_used) = check_keyed(&evm, "keyed_mlp_target_evm");
    let base = mlp();
    let (_, base_gas_used) = check_keyed(base, "keyed_mlp_width4");
    eprintln!("--target evm: {:?}, gas {evm_gas_used} against {base_gas_used} at width {WIDTH}", settings.circuit);
    assert!(evm_gas_used < base_gas_used, "{evm_gas_used} >= {base_gas_used}");
    // Issue 15's target for the zoo MLP with fixed weights, public input and output, met by the
    // compact column set (revm's gas is deterministic).
    assert!(settings.circuit.compact, "{:?}", settings.circuit);
    assert!(evm_gas_used <= 400_000, "{evm_gas_used}");
    for (c, gas) in [(&evm, evm_gas_used), (base, base_gas_used)] {
        let est = evm_gas(&c.shape) as f64;
        assert!((est - gas as f64).abs() <= 0.03 * gas as f64, "estimate {est} against {gas}: {:?}", c.shape);
    }
}

/// The keyed plan run natively agrees with the contract: the honest proof passes, a changed
/// evaluation or public input fails; and a verifier bound to another model's key contract, or
/// called with another model's proof, rejects.
#[test]
fn keyed_verifier_is_bound_to_its_key() {
    use zkinfer::verifier::evm::keyed;
    let (m, c) = (mlp(), cnn());
    let keyed_of = |case: &Case| {
        let VerifierParams::Kzg(params) = &case.params else { panic!("kzg") };
        let st = zkinfer::verifier::statement(&case.vk, &case.proof, &ALLOW).unwrap();
        let id = zkinfer::verifier::key_digest(&case.vk).unwrap();
        let (plan, key) = keyed::build(params, &st.key, st.instances.len(), id).unwrap();
        let proof = case.proof.proof_bytes().unwrap();
        (params.clone(), plan, key, st.instances, proof)
    };
    let (mp, mplan, mkey, minst, mproof) = keyed_of(m);
    let (_, _, ckey, cinst, cproof) = keyed_of(c);
    assert!(keyed::native_check(&mp, &mplan, &minst, &mproof).unwrap());
    let mut bad = mproof.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(!keyed::native_check(&mp, &mplan, &minst, &bad).unwrap_or(false));
    let mut inst = minst.clone();
    inst[3] += halo2_proofs::halo2curves::bn256::Fr::from(1u64);
    assert!(!keyed::native_check(&mp, &mplan, &inst, &mproof).unwrap());

    // One verifier serves every model of one constraint system and k (the CNN and the smooth
    // MLP, both k = 12 at width 4; the MLP proves at k = 11); the keys differ.
    let (_, _, skey, _, _) = keyed_of(smooth());
    assert_eq!(keyed::verifier_source(&ckey, true), keyed::verifier_source(&skey, true));
    assert_ne!(skey.data, ckey.data);
    assert_ne!(mkey.data, ckey.data);
    let source = keyed::source::solidity();
    let verifier = evm::compile_solidity_with(&zkinfer::evm::solc_command(), &source, true).unwrap();
    let m_call = evm::encode_calldata(&minst, &mproof);
    let c_call = evm::encode_calldata(&cinst, &cproof);
    let ok = keyed::deploy_and_call(&mkey.data, &verifier.deployment, &m_call).unwrap();
    assert!(ok.accepted, "{ok:?}");
    assert_eq!(ok.output, zkinfer::verifier::key_digest(&m.vk).unwrap().to_vec(), "returns the model identity");
    // A public input x + r (the same field element, not canonical) is rejected.
    let mut alias = m_call.clone();
    let r_be = hex::decode("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001").unwrap();
    let word = &mut alias[32..64];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let v = word[i] as u16 + r_be[i] as u16 + carry;
        word[i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    assert!(!keyed::deploy_and_call(&mkey.data, &verifier.deployment, &alias).unwrap().accepted, "x + r accepted");
    // Calldata one word short or one word long: rejected.
    assert!(!keyed::deploy_and_call(&mkey.data, &verifier.deployment, &m_call[..m_call.len() - 32]).unwrap().accepted);
    let mut long = m_call.clone();
    long.extend_from_slice(&[0u8; 32]);
    assert!(!keyed::deploy_and_call(&mkey.data, &verifier.deployment, &long).unwrap().accepted);
    // The MLP's proof with the CNN's key contract, and the CNN's proof with the MLP's.
    assert!(!keyed::deploy_and_call(&ckey.data, &verifier.deployment, &m_call).unwrap().accepted);
    assert!(!keyed::deploy_and_call(&mkey.data, &verifier.deployment, &c_call).unwrap().accepted);
    // The MLP's key with its identity word changed still verifies only what it says: the
    // returned identity is the changed one, which `verify-evm` refuses (files differ).
    let (dir, _) = keyed_case(m, "keyed_foreign_key");
    let (cdir, _) = keyed_case(c, "keyed_foreign_key_cnn");
    std::fs::copy(cdir.join(KEY_BIN_FILE), dir.join(KEY_BIN_FILE)).unwrap();
    let e = verify_evm_with(&dir.join("proof.json"), None, None, VerifierKind::Keyed, &ALLOW, &cache()).unwrap_err();
    assert!(matches!(e, pipeline::PipelineError::Evm(EvmError::ContractMismatch { .. })), "{e}");
}

/// A two-phase circuit (a batch of two: the Freivalds chip's challenge and second-phase
/// columns) through the keyed verifier: honest accepted, a flipped byte rejected.
#[test]
fn keyed_verifier_checks_a_two_phase_batch_proof() {
    let mut settings = kzg_settings();
    settings.circuit.batch = 2;
    let cache = ParamsCache::new(cache_dir());
    let p = pipeline::prepare(&zoo("mlp.onnx"), &zoo("calibration.json"), &settings.quant).expect("prepare");
    let dir = scratch("evm_keyed_batch");
    let mut t = Timings::default();
    let setup = pipeline::setup(&p, &settings, &dir, &cache, false, &mut t, &|_| {}).expect("setup");
    let samples: Vec<Vec<f32>> = Dataset::load(&zoo("calibration.json")).unwrap().samples[5..7].to_vec();
    let proof = pipeline::prove_batch(&p, &settings, &setup, &samples, &dir, &mut t, &|_| {}).expect("prove");
    let meta = create_evm_verifier(&dir, None, &cache, &mut t).expect("keyed verifier");
    assert_eq!(meta.kind, VerifierKind::Keyed);
    let run = verify_evm(&dir.join("proof.json"), None, None, &ALLOW, &cache).unwrap();
    let est = zkinfer::target::evm_gas(&setup.spec.verifier_shape());
    eprintln!("keyed batch of 2: estimated gas {est}, shape {:?}", setup.spec.verifier_shape());
    assert!(run.outcome.accepted, "{:?}", run.outcome);
    eprintln!("keyed batch of 2: gas {:?}, verifier runtime {} B, key {:?}", run.outcome.gas_used, meta.runtime_bytes, meta.key_contract);
    let mut b = proof.proof_bytes().unwrap();
    b[64 * 3 + 5] ^= 1;
    let bad = ProofFile { proof: hex::encode(&b), ..proof.clone() };
    assert!(!run_keyed(&dir, &bad, "evm_keyed_batch_flip").accepted);
}
