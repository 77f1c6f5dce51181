//! An in-memory chain (revm 27, mainnet rules, so EIP-170 applies) for the keyed verifier:
//! deploy the key contract, deploy the verifier bound to it, call it.
use revm::{
    context::{
        result::{ExecutionResult, Output},
        TxEnv,
    },
    database::InMemoryDB,
    primitives::{Address, TxKind},
    Context, ExecuteCommitEvm, MainBuilder, MainContext,
};

/// What a call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    pub accepted: bool,
    /// The call transaction's gas (21,000 + calldata + execution).
    pub gas_used: u64,
    /// Return data when accepted; why not otherwise.
    pub output: Vec<u8>,
    pub reason: String,
}

/// A fresh chain with one sender.
pub struct Chain {
    evm: revm::MainnetEvm<revm::handler::MainnetContext<InMemoryDB>>,
    nonce: u64,
}

impl Default for Chain {
    fn default() -> Self {
        Chain { evm: Context::mainnet().with_db(InMemoryDB::default()).build_mainnet(), nonce: 0 }
    }
}

impl Chain {
    fn tx(&mut self, kind: TxKind, data: Vec<u8>) -> Result<ExecutionResult, String> {
        let tx = TxEnv { gas_limit: 30_000_000, kind, data: data.into(), nonce: self.nonce, ..Default::default() };
        self.nonce += 1;
        self.evm.transact_commit(tx).map_err(|e| format!("{e:?}"))
    }

    /// Deploy `creation` code; the new contract's address.
    pub fn deploy(&mut self, creation: Vec<u8>) -> Result<Address, String> {
        match self.tx(TxKind::Create, creation)? {
            ExecutionResult::Success { output: Output::Create(_, Some(a)), .. } => Ok(a),
            other => Err(format!("deployment failed: {other:?}")),
        }
    }

    /// Call `to` with `calldata`; a revert is a rejection, not an error.
    pub fn call(&mut self, to: Address, calldata: Vec<u8>) -> Result<CallOutcome, String> {
        Ok(match self.tx(TxKind::Call(to), calldata)? {
            ExecutionResult::Success { gas_used, output, .. } => {
                CallOutcome { accepted: true, gas_used, output: output.data().to_vec(), reason: String::new() }
            }
            ExecutionResult::Revert { gas_used, output } => {
                CallOutcome { accepted: false, gas_used, output: vec![], reason: format!("reverted ({} bytes of output)", output.len()) }
            }
            ExecutionResult::Halt { reason, gas_used } => CallOutcome { accepted: false, gas_used, output: vec![], reason: format!("halted: {reason:?}") },
        })
    }
}

/// The verifier's creation code with its constructor argument (the key's address, ABI-encoded).
pub fn with_key_argument(verifier_creation: &[u8], key: Address) -> Vec<u8> {
    let mut code = verifier_creation.to_vec();
    code.extend_from_slice(&[0u8; 12]);
    code.extend_from_slice(key.as_slice());
    code
}
