//! The thin verifier's dependency tree has no tract, ONNX or ndarray, and does not depend on
//! rayon itself (halo2-axiom 0.5.3 pulls rayon unconditionally; that is the only path).
use std::process::Command;

fn cargo_tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "-p", "zkinfer-verifier", "-e", "normal", "--prefix", "none"])
        .args(args)
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn verifier_tree_has_no_onnx_tract_or_ndarray() {
    let tree = cargo_tree(&[]);
    assert!(tree.contains("halo2-axiom"), "{tree}");
    for banned in ["tract", "onnx", "ndarray", "zkinfer-models", "zkinfer-prover", "prost"] {
        assert!(!tree.lines().any(|l| l.starts_with(banned)), "{banned} in the verifier's tree:\n{tree}");
    }
}

#[test]
fn rayon_reaches_the_verifier_only_through_halo2() {
    let inverted = cargo_tree(&["-i", "rayon", "--depth", "1"]);
    let parents: Vec<&str> = inverted.lines().skip(1).map(|l| l.split_whitespace().next().unwrap_or("")).collect();
    assert!(!parents.is_empty());
    for p in parents {
        assert!(p.starts_with("halo2"), "rayon is a dependency of {p}:\n{inverted}");
    }
}
