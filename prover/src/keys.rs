//! Key generation and the proving-key file.
use std::path::Path;

use halo2_proofs::{
    halo2curves::bn256::{Fr, G1Affine},
    plonk::{keygen_pk, keygen_vk, ProvingKey},
    poly::commitment::Params,
    SerdeFormat,
};
use zkinfer_circuits::{CircuitParams, ModelCircuit};

use crate::error::ProverError;

pub struct Keys {
    pub pk: ProvingKey<G1Affine>,
}

impl Keys {
    /// The halo2 verifying key bytes (compressed points).
    pub fn vk_bytes(&self) -> Vec<u8> {
        self.pk.get_vk().to_bytes(SerdeFormat::Processed)
    }
}

/// Verifying and proving keys for `circuit` (its witness is not used).
pub fn keygen<'p, P: Params<'p, G1Affine> + Sync>(params: &P, circuit: &ModelCircuit<Fr>) -> Result<Keys, ProverError> {
    let halo2 = |stage| move |e: halo2_proofs::plonk::Error| ProverError::Halo2 { stage, reason: format!("{e:?}") };
    let vk = keygen_vk(params, circuit).map_err(halo2("keygen_vk"))?;
    let pk = keygen_pk(params, vk, circuit).map_err(halo2("keygen_pk"))?;
    Ok(Keys { pk })
}

pub fn write_pk(keys: &Keys, path: &Path) -> Result<(), ProverError> {
    let bytes = keys.pk.to_bytes(SerdeFormat::RawBytesUnchecked);
    std::fs::write(path, bytes).map_err(|source| ProverError::Io { action: "write", path: path.into(), source })
}

/// Read a proving key written by [`write_pk`] (a local, trusted file: unchecked point format).
pub fn read_pk(path: &Path, params: CircuitParams) -> Result<Keys, ProverError> {
    let bytes = std::fs::read(path).map_err(|source| ProverError::Io { action: "read", path: path.into(), source })?;
    let pk = ProvingKey::<G1Affine>::from_bytes::<ModelCircuit<Fr>>(&bytes, SerdeFormat::RawBytesUnchecked, params)
        .map_err(|e| ProverError::Corrupt { path: path.into(), reason: e.to_string() })?;
    Ok(Keys { pk })
}
