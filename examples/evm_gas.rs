//! Deploys any verifier contract in the same in-memory EVM (revm) that `zkinfer verify-evm`
//! uses and calls it once: the gas of another system's verifier measured exactly as zkinfer's.
//! `benches/ezkl_evm_gas.sh` runs it on EZKL's generated verifier.
//!
//! Usage: `cargo run --release --example evm_gas -- CREATION.bin CALLDATA [CALLDATA ...]`
//! (`CREATION.bin`: the creation bytecode as hex, as `solc --bin` prints it; each `CALLDATA` a
//! binary file). Prints one JSON line per call: accepted, gas, creation size, calldata size.
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((creation, calls)) = args.split_first().filter(|(_, c)| !c.is_empty()) else {
        eprintln!("usage: evm_gas CREATION.bin CALLDATA [CALLDATA ...]");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(creation) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{creation}: {e}");
            return ExitCode::from(2);
        }
    };
    let code = match hex::decode(text.trim().trim_start_matches("0x")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{creation}: not hex bytecode: {e}");
            return ExitCode::from(2);
        }
    };
    let mut all_accepted = true;
    for path in calls {
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(2);
            }
        };
        match zkinfer::verifier::evm::deploy_and_call(&code, &data) {
            Ok(o) => {
                all_accepted &= o.accepted;
                let line = serde_json::json!({
                    "calldata": path,
                    "accepted": o.accepted,
                    "gas_used": o.gas_used,
                    "creation_bytes": code.len(),
                    "calldata_bytes": data.len(),
                    "reason": o.reason,
                });
                println!("{line}");
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    if all_accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
