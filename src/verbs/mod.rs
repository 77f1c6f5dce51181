//! The CLI's verbs as library calls: what `zkinfer inspect | accuracy | compile | estimate |
//! setup | prove | verify | commit | reveal-check | create-evm-verifier | verify-evm` do, each
//! returning a report whose serde form is exactly that command's `--json` output.
//!
//! The CLI (`src/cli/`) parses arguments into [`ModelOptions`], calls these and prints the
//! report (as text, or serialized with `--json`); the Python bindings (`python/`) call the same
//! functions and convert the same reports into Python objects. Nothing here prints.
//!
//! Fields marked `#[serde(skip)]` are what the CLI's text output needs beyond the JSON.
mod checking;
mod evm;
mod model;
mod options;
mod proving;

pub use checking::{commit, reveal_check, verify, CommitReport, RevealCheckReport, Trust, VerifyReport};
pub use evm::{create_evm_verifier, verify_evm, EvmVerifierReport, VerifyEvmReport};
pub use model::{accuracy, compile, estimate, inspect, AccuracyReport, CompileReport, EstimateReport, InspectReport};
pub use options::ModelOptions;
pub use proving::{ensure_keys, prove, setup, ProofSummary, SetupReport};

use std::collections::BTreeMap;

use crate::report::Timings;

/// Serializes timings as the CLI always printed them: an object of seconds per step (keys in
/// order, a repeated step keeps its last time).
pub(crate) fn timings_map<S: serde::Serializer>(t: &Timings, s: S) -> Result<S::Ok, S::Error> {
    let m: BTreeMap<&str, f64> = t.0.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    serde::Serialize::serialize(&m, s)
}
