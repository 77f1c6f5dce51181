//! The transcript of KZG proofs, read natively.
//!
//! KZG proofs are written with snark-verifier's `EvmTranscript` (Keccak-256), so that the same
//! proof bytes are checked by the native verifier and by the generated Solidity contract. This
//! module reads that transcript without depending on snark-verifier (the thin verifier's
//! default build stays free of it). The encoding, byte for byte as snark-verifier 0.2.7's
//! native `EvmTranscript`:
//!
//! - a scalar is 32 bytes big-endian (a value `>= r` is rejected);
//! - a point is `x ‖ y`, each 32 bytes big-endian, uncompressed (the point at infinity and
//!   points off the curve are rejected);
//! - every scalar and point read (or absorbed) is appended to a buffer; a challenge is
//!   `keccak256(buffer)` reduced mod r, where a buffer of exactly 32 bytes (the previous
//!   challenge's hash alone) gets one extra byte `0x01`; after a squeeze the buffer is the hash.
//!
//! IPA proofs keep halo2's Blake2b transcript. The backend decides the transcript, so a proof
//! file needs no separate transcript field.
use std::io::{self, Read};

use halo2_proofs::{
    halo2curves::{
        bn256::{Fq, Fr, G1Affine},
        ff::{FromUniformBytes, PrimeField},
        Coordinates, CurveAffine,
    },
    transcript::{EncodedChallenge, Transcript, TranscriptRead, TranscriptReadBuffer},
};
use sha3::{Digest, Keccak256};

/// A challenge of the EVM transcript: 32 hash bytes read big-endian, reduced mod r.
#[derive(Clone, Copy, Debug)]
pub struct EvmChallenge(Fr);

/// `bytes` (big-endian) mod r.
pub fn fr_from_be_bytes_mod(bytes: &[u8; 32]) -> Fr {
    let mut wide = [0u8; 64];
    for (w, b) in wide.iter_mut().zip(bytes.iter().rev()) {
        *w = *b;
    }
    Fr::from_uniform_bytes(&wide)
}

impl EncodedChallenge<G1Affine> for EvmChallenge {
    type Input = [u8; 32];
    fn new(input: &[u8; 32]) -> Self {
        EvmChallenge(fr_from_be_bytes_mod(input))
    }
    fn get_scalar(&self) -> Fr {
        self.0
    }
}

/// Reads a proof written with snark-verifier's `EvmTranscript`.
#[derive(Debug)]
pub struct EvmTranscriptRead<R: Read> {
    reader: R,
    buf: Vec<u8>,
}

fn be(repr: impl AsRef<[u8]>) -> impl Iterator<Item = u8> {
    repr.as_ref().iter().rev().copied().collect::<Vec<u8>>().into_iter()
}

impl<R: Read> Transcript<G1Affine, EvmChallenge> for EvmTranscriptRead<R> {
    fn squeeze_challenge(&mut self) -> EvmChallenge {
        if self.buf.len() == 0x20 {
            self.buf.push(1);
        }
        let hash: [u8; 32] = Keccak256::digest(&self.buf).into();
        self.buf = hash.to_vec();
        EvmChallenge::new(&hash)
    }

    fn common_point(&mut self, point: G1Affine) -> io::Result<()> {
        let c: Coordinates<G1Affine> = Option::from(point.coordinates())
            .ok_or_else(|| io::Error::other("the point at infinity cannot enter the transcript"))?;
        self.buf.extend(be(c.x().to_repr()));
        self.buf.extend(be(c.y().to_repr()));
        Ok(())
    }

    fn common_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        self.buf.extend(be(scalar.to_repr()));
        Ok(())
    }
}

impl<R: Read> TranscriptRead<G1Affine, EvmChallenge> for EvmTranscriptRead<R> {
    fn read_point(&mut self) -> io::Result<G1Affine> {
        let mut xy = [[0u8; 32]; 2];
        for c in xy.iter_mut() {
            self.reader.read_exact(c)?;
            c.reverse();
        }
        let [x, y] = xy;
        let x: Option<Fq> = Option::from(Fq::from_repr(x));
        let y: Option<Fq> = Option::from(Fq::from_repr(y));
        let point = x
            .zip(y)
            .and_then(|(x, y)| Option::from(G1Affine::from_xy(x, y)))
            .ok_or_else(|| io::Error::other("invalid elliptic curve point encoding in proof"))?;
        self.common_point(point)?;
        Ok(point)
    }

    fn read_scalar(&mut self) -> io::Result<Fr> {
        let mut data = [0u8; 32];
        self.reader.read_exact(&mut data)?;
        data.reverse();
        let scalar: Fr = Option::from(Fr::from_repr(data))
            .ok_or_else(|| io::Error::other("invalid scalar encoding in proof"))?;
        self.common_scalar(scalar)?;
        Ok(scalar)
    }
}

impl<R: Read> TranscriptReadBuffer<R, G1Affine, EvmChallenge> for EvmTranscriptRead<R> {
    fn init(reader: R) -> Self {
        EvmTranscriptRead { reader, buf: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_is_the_big_endian_hash_mod_r() {
        let mut bytes = [0u8; 32];
        bytes[31] = 5;
        assert_eq!(fr_from_be_bytes_mod(&bytes), Fr::from(5));
        // 2^256 - 1 mod r is what Fr computes from the same value.
        let all = fr_from_be_bytes_mod(&[0xff; 32]);
        let two128 = Fr::from_u128(u128::MAX) + Fr::from(1);
        assert_eq!(all, two128 * two128 - Fr::from(1));
    }

    #[test]
    fn rejects_non_canonical_scalars_and_points_off_the_curve() {
        let mut t = EvmTranscriptRead::init(&[0xffu8; 32][..]);
        assert!(TranscriptRead::<G1Affine, EvmChallenge>::read_scalar(&mut t).is_err());
        let mut p = [0u8; 64];
        p[31] = 1;
        p[63] = 1; // (1, 1) is not on y^2 = x^3 + 3
        let mut t = EvmTranscriptRead::init(&p[..]);
        assert!(TranscriptRead::<G1Affine, EvmChallenge>::read_point(&mut t).is_err());
        let mut t = EvmTranscriptRead::init(&p[..10]);
        assert!(TranscriptRead::<G1Affine, EvmChallenge>::read_point(&mut t).is_err());
    }
}
