//! Structured mutations of a real (vk.bin, proof.json) pair for the `verify` target. Random
//! bytes almost never parse as a proof file; mutating the fields and bytes of a real pair lets
//! the fuzzer reach every check of `verify`, down to halo2's transcript and the IPA argument.
use arbitrary::Arbitrary;
use zkinfer_circuits::{TensorVisibility, Visibility, WeightVisibility};
use zkinfer_verifier::{Backend, ProofFile, SrsInfo, VkFile};

/// One visibility setting (the verifier's types do not implement `Arbitrary`).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Vis {
    Public,
    Hashed,
    Private,
}

impl Vis {
    fn tensor(self) -> TensorVisibility {
        match self {
            Vis::Public => TensorVisibility::Public,
            Vis::Hashed => TensorVisibility::Hashed,
            Vis::Private => TensorVisibility::Private,
        }
    }
    fn weights(self) -> WeightVisibility {
        match self {
            Vis::Public | Vis::Private => WeightVisibility::Fixed,
            Vis::Hashed => WeightVisibility::Hashed,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct VisChoice {
    input: Vis,
    output: Vis,
    weights: Vis,
}

impl VisChoice {
    fn get(self) -> Visibility {
        Visibility { input: self.input.tensor(), output: self.output.tensor(), weights: self.weights.weights() }
    }
}

/// A hex string edit: flip one nibble, or replace the whole string.
#[derive(Arbitrary, Debug, Clone)]
pub enum HexEdit {
    Flip { at: u8, by: u8 },
    Replace(String),
    Upper,
}

impl HexEdit {
    pub fn apply(&self, s: &mut String) {
        match self {
            HexEdit::Flip { at, by } => {
                let mut b: Vec<u8> = s.bytes().collect();
                if b.is_empty() {
                    return;
                }
                let i = usize::from(*at) % b.len();
                let digits = b"0123456789abcdef";
                let d = digits.iter().position(|&c| c == b[i].to_ascii_lowercase()).unwrap_or(0);
                b[i] = digits[(d + 1 + usize::from(*by) % 15) % 16];
                *s = String::from_utf8_lossy(&b).into_owned();
            }
            HexEdit::Replace(r) => *s = r.clone(),
            HexEdit::Upper => *s = s.to_ascii_uppercase(),
        }
    }
}

/// One edit of the pair.
#[derive(Arbitrary, Debug, Clone)]
pub enum Mutation {
    ProofByte { at: u16, xor: u8 },
    ProofTruncate { len: u16 },
    ProofAppend(Vec<u8>),
    ProofOverwrite { at: u16, bytes: Vec<u8> },
    ProofHex(HexEdit),
    KeyByte { at: u16, xor: u8 },
    KeyTruncate { len: u16 },
    KeyAppend(Vec<u8>),
    KeyOverwrite { at: u16, bytes: Vec<u8> },
    InputValue { at: u8, value: i64 },
    OutputValue { at: u8, value: i64 },
    InputValues(Vec<i64>),
    OutputValues(Vec<i64>),
    InputShape(Vec<usize>),
    OutputShape(Vec<usize>),
    InputScale(i32),
    OutputScale(i32),
    /// The model hash of the proof only, of the key header only, or of both.
    ModelHash { proof: bool, vk: bool, edit: HexEdit },
    InputHash(Option<HexEdit>),
    OutputHash(Option<HexEdit>),
    ProofK(u32),
    VkK(u32),
    ProofFormat(u32),
    VkFormat(u32),
    ProofBackendKzg,
    VkBackendKzg,
    ProofVisibility(VisChoice),
    VkVisibility(VisChoice),
    Width(usize),
    WeightBits(u32),
    Bits(u32),
    VkInputShape(Vec<usize>),
    VkOutputShape(Vec<usize>),
    VkInputScale(i32),
    VkOutputScale(i32),
    Srs(Option<(String, String)>),
    /// Take the halo2 key of the other fixture (a valid key for another circuit).
    OtherKey,
}

/// What the fuzzer controls in one `verify` run.
#[derive(Arbitrary, Debug, Clone)]
pub struct Case {
    /// Which fixture to start from: fixed weights (false) or hashed weights (true).
    pub hashed: bool,
    /// The model hash the caller expects: none, the real one, or an edit of it.
    pub expected: Option<Option<HexEdit>>,
    pub mutations: Vec<Mutation>,
}

fn edit_bytes(b: &mut Vec<u8>, at: u16, f: impl FnOnce(&mut Vec<u8>, usize)) {
    let i = if b.is_empty() { 0 } else { usize::from(at) % (b.len() + 1) };
    f(b, i);
}

fn edit_tensor_value(values: &mut [i64], at: u8, value: i64) {
    if !values.is_empty() {
        let i = usize::from(at) % values.len();
        values[i] = value;
    }
}

/// Apply `m` to the pair; `other_key` is the halo2 key of the other fixture.
pub fn apply(m: &Mutation, vk: &mut VkFile, proof: &mut ProofFile, other_key: &[u8]) {
    let h = &mut vk.header;
    match m {
        Mutation::ProofByte { at, xor } => {
            let mut b = proof.proof_bytes().unwrap_or_default();
            if !b.is_empty() {
                let i = usize::from(*at) % b.len();
                b[i] ^= xor.max(&1);
            }
            proof.proof = hex::encode(b);
        }
        Mutation::ProofTruncate { len } => {
            let mut b = proof.proof_bytes().unwrap_or_default();
            b.truncate(usize::from(*len));
            proof.proof = hex::encode(b);
        }
        Mutation::ProofAppend(extra) => {
            let mut b = proof.proof_bytes().unwrap_or_default();
            b.extend_from_slice(extra);
            proof.proof = hex::encode(b);
        }
        Mutation::ProofOverwrite { at, bytes } => {
            let mut b = proof.proof_bytes().unwrap_or_default();
            edit_bytes(&mut b, *at, |b, i| {
                for (j, &x) in bytes.iter().enumerate() {
                    if let Some(slot) = b.get_mut(i + j) {
                        *slot = x;
                    }
                }
            });
            proof.proof = hex::encode(b);
        }
        Mutation::ProofHex(e) => e.apply(&mut proof.proof),
        Mutation::KeyByte { at, xor } => {
            if !vk.key.is_empty() {
                let i = usize::from(*at) % vk.key.len();
                vk.key[i] ^= xor.max(&1);
            }
        }
        Mutation::KeyTruncate { len } => vk.key.truncate(usize::from(*len)),
        Mutation::KeyAppend(extra) => vk.key.extend_from_slice(extra),
        Mutation::KeyOverwrite { at, bytes } => edit_bytes(&mut vk.key, *at, |b, i| {
            for (j, &x) in bytes.iter().enumerate() {
                if let Some(slot) = b.get_mut(i + j) {
                    *slot = x;
                }
            }
        }),
        Mutation::InputValue { at, value } => edit_tensor_value(&mut proof.input.values, *at, *value),
        Mutation::OutputValue { at, value } => edit_tensor_value(&mut proof.output.values, *at, *value),
        Mutation::InputValues(v) => proof.input.values = v.clone(),
        Mutation::OutputValues(v) => proof.output.values = v.clone(),
        Mutation::InputShape(s) => proof.input.shape = s.clone(),
        Mutation::OutputShape(s) => proof.output.shape = s.clone(),
        Mutation::InputScale(s) => proof.input.scale = *s,
        Mutation::OutputScale(s) => proof.output.scale = *s,
        Mutation::ModelHash { proof: p, vk: v, edit } => {
            if *p {
                edit.apply(&mut proof.model_hash);
            }
            if *v {
                edit.apply(&mut h.model_hash);
            }
        }
        Mutation::InputHash(e) => edit_hash(&mut proof.input_hash, e.as_ref()),
        Mutation::OutputHash(e) => edit_hash(&mut proof.output_hash, e.as_ref()),
        Mutation::ProofK(k) => proof.k = *k,
        Mutation::VkK(k) => h.k = *k,
        Mutation::ProofFormat(f) => proof.format = *f,
        Mutation::VkFormat(f) => h.format = *f,
        Mutation::ProofBackendKzg => proof.backend = Backend::Kzg,
        Mutation::VkBackendKzg => h.backend = Backend::Kzg,
        Mutation::ProofVisibility(v) => proof.visibility = v.get(),
        Mutation::VkVisibility(v) => h.circuit.visibility = v.get(),
        Mutation::Width(w) => h.circuit.width = *w,
        Mutation::WeightBits(b) => h.circuit.weight_bits = *b,
        Mutation::Bits(b) => h.bits = *b,
        Mutation::VkInputShape(s) => h.input_shape = s.clone(),
        Mutation::VkOutputShape(s) => h.output_shape = s.clone(),
        Mutation::VkInputScale(s) => h.input_scale = *s,
        Mutation::VkOutputScale(s) => h.output_scale = *s,
        Mutation::Srs(s) => h.srs = s.as_ref().map(|(source, s_g2)| SrsInfo { source: source.clone(), s_g2: s_g2.clone() }),
        Mutation::OtherKey => vk.key = other_key.to_vec(),
    }
}

fn edit_hash(h: &mut Option<String>, e: Option<&HexEdit>) {
    match e {
        None => *h = None,
        Some(e) => {
            let mut s = h.clone().unwrap_or_else(|| "00".repeat(32));
            e.apply(&mut s);
            *h = Some(s);
        }
    }
}
