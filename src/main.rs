//! The `zkinfer` command line.
mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Before any field arithmetic: this build's may use instructions the CPU lacks.
    if let Err(e) = zkinfer::prover::cpu::check() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line naming the problem (the whole cause chain, innermost last).
            let msg = e.chain().map(|c| c.to_string()).collect::<Vec<_>>().join(": ");
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
