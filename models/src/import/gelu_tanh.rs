//! GELU's tanh form written out with `Pow(x, 3)` (GPT-2's `gelu_new`, Hugging Face's
//! `NewGELUActivation`, as torch exports it):
//!
//! ```text
//! 0.5·x · (1 + Tanh(√(2/π) · (x + 0.044715 · Pow(x, 3))))
//! ```
//!
//! tract 0.23.9 has the op for it (`GeluApproximate`) and a detector, but its declutter turns a
//! constant `Pow` into `PowConst` before the detector sees the `Pow`, so the chain reaches the
//! importer as seven ops, two of them products of activations. This pass, run after declutter,
//! finds the chain from its `PowConst` and replaces it by tract's own `GeluApproximate`, which
//! the importer lowers to one table ([`crate::graph::Nonlinearity::GeluTanh`]).
use tract_onnx::prelude::*;
use tract_onnx::tract_core::model::TypedModelHelpers;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::element_wise::ElementWiseOp;
use tract_onnx::tract_core::ops::math::{Add, Mul, PowConst, Tanh};
use tract_onnx::tract_core::ops::nn::gelu_approximate::gelu_approximate;

/// One matched chain: its input and the node whose output is the GELU.
struct Chain {
    x: OutletId,
    last: usize,
    name: String,
}

fn is_tanh(node: &TypedNode) -> bool {
    node.op_as::<ElementWiseOp>().is_some_and(|e| e.0.is::<Tanh>())
}

fn is_mul(node: &TypedNode) -> bool {
    node.op_as::<TypedBinOp>().is_some_and(|b| b.0.is::<Mul>())
}

fn chain_from(model: &TypedModel, pow: &TypedNode) -> Option<Chain> {
    let cube = pow.op_as::<ElementWiseOp>()?.0.downcast_ref::<PowConst>()?;
    if cube.exponent != 3.0 {
        return None;
    }
    let x = *pow.inputs.first()?;
    let k = model.find_succ_bin_with_const::<Mul>(pow, 0.044715)?;
    let inner = model.find_succ_bin_with_outlet::<Add>(k, &x)?;
    let scaled = model.find_succ_bin_with_const::<Mul>(inner, (2.0 / std::f32::consts::PI).sqrt())?;
    let tanh = model.single_succ(scaled.id).ok()??;
    if !is_tanh(tanh) {
        return None;
    }
    let one_plus = model.find_succ_bin_with_const::<Add>(tanh, 1.0)?;
    let product = model.single_succ(one_plus.id).ok()??;
    if !is_mul(product) {
        return None;
    }
    let last = if product.inputs.contains(&x) {
        // (x · (1 + tanh(…))) · 0.5
        model.find_succ_bin_with_const::<Mul>(product, 0.5)?.id
    } else {
        // (0.5 · x) · (1 + tanh(…))
        let half_x = product.inputs.iter().map(|i| &model.nodes()[i.node]).find(|n| n.id != one_plus.id)?;
        if !(is_mul(half_x) && model.matches_single_input_const(half_x, 0.5) && half_x.inputs.contains(&x)) {
            return None;
        }
        product.id
    };
    Some(Chain { x, last, name: pow.name.clone() })
}

/// Replaces every GELU tanh chain of `model` by one `GeluApproximate`, then declutters again
/// (which drops the chain's now unused nodes). Returns the model unchanged when there is none.
pub(crate) fn fuse(model: TypedModel) -> TractResult<TypedModel> {
    let chains: Vec<Chain> = model.nodes().iter().filter_map(|n| chain_from(&model, n)).collect();
    if chains.is_empty() {
        return Ok(model);
    }
    let mut model = model;
    for c in chains {
        let mut patch = TypedModelPatch::default();
        let tap = patch.tap_model(&model, c.x)?;
        let gelu = patch.wire_node(format!("{}.gelu_tanh", c.name), gelu_approximate(false), &[tap])?;
        patch.shunt_outside(&model, c.last.into(), gelu[0])?;
        patch.apply(&mut model)?;
    }
    model.into_decluttered()
}
