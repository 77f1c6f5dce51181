//! Typed tract graph -> [`Graph`]: one function per op family, matched on tract's typed ops.
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::array::{Gather, Slice, TypedConcat};
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::Downsample;
use tract_onnx::tract_core::ops::change_axes::AxisOp;
use tract_onnx::tract_core::ops::cnn::{Conv, MaxPool, SumPool};
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::element_wise::ElementWiseOp;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::ops::nn::{Reduce, Reducer, RmsNorm, Softmax};
use tract_onnx::tract_core::ops::source::TypedSource;
use ndarray::ArrayD;

use super::{elementwise, linear, mask, norm, softmax, spatial, wiring};
use tract_onnx::tract_core::ops::cast::Cast;
use tract_onnx::tract_core::ops::logic::Iff;
use crate::error::{ModelError, UnsupportedNode};
use crate::graph::{Graph, Node, Op, TensorId};

pub(crate) enum ConvertError {
    Unsupported(Vec<UnsupportedNode>),
    Other(ModelError),
}

/// What a tract wire carries: a tensor of our graph, or a folded constant.
#[derive(Clone)]
pub(crate) enum Value {
    Tensor(TensorId),
    Const(ArrayD<f32>),
    /// A constant that is minus infinity everywhere (or at or below -1e30): a mask fill.
    NegInf,
    /// A tensor with some elements replaced by minus infinity (see [`super::mask`]): only a
    /// Softmax reads it.
    Masked { tensor: TensorId, masked: Vec<bool> },
}

/// The value of a node that failed to lower: a stand-in tensor, so that the nodes after it are
/// still lowered and their own problems reported in the same error. (The graph being built is
/// discarded whenever any node failed, so the stand-in id is never read.)
const FAILED: Value = Value::Tensor(0);

/// Why one node could not be lowered.
pub(crate) struct Unsupported(pub String);

pub(crate) type Lowered = Result<Op, Unsupported>;

/// The facts a lowering needs about one node.
pub(crate) struct Ctx<'a> {
    pub inputs: Vec<Value>,
    pub input_shapes: Vec<Vec<usize>>,
    pub out_shape: Vec<usize>,
    pub node: &'a TypedNode,
}

impl Ctx<'_> {
    pub fn tensor(&self, slot: usize) -> Result<TensorId, Unsupported> {
        match self.inputs.get(slot) {
            Some(Value::Tensor(t)) => Ok(*t),
            Some(Value::Masked { .. }) => Err(Unsupported(format!("input {slot} is masked with -inf: only a Softmax may read it"))),
            _ => Err(Unsupported(format!("input {slot} must be a tensor"))),
        }
    }
    pub fn konst(&self, slot: usize) -> Result<&ArrayD<f32>, Unsupported> {
        match self.inputs.get(slot) {
            Some(Value::Const(c)) if c.iter().any(|x| x.is_infinite()) => {
                Err(Unsupported(format!("constant input {slot} holds -inf: only an additive mask before a Softmax may")))
            }
            Some(Value::Const(c)) => Ok(c),
            _ => Err(Unsupported(format!("input {slot} must be a constant"))),
        }
    }
}

fn shape_of(fact: &TypedFact) -> Option<Vec<usize>> {
    fact.shape.as_concrete().map(|s| s.to_vec())
}

/// At or below this a constant is a mask fill (`exp` of it is 0 in f32 and f64).
pub(crate) const MASK_FILL: f32 = -1e30;

fn const_value(c: &Const) -> Result<Value, Unsupported> {
    let t = c.val().cast_to::<f32>().map_err(|e| Unsupported(format!("constant: {e}")))?;
    let v = t.to_plain_array_view::<f32>().map(|v| v.to_owned()).map_err(|e| Unsupported(format!("constant: {e}")))?;
    if !v.is_empty() && v.iter().all(|&x| x <= MASK_FILL) {
        return Ok(Value::NegInf);
    }
    // -inf beside finite values is a mask in the making (torch's `where(mask, 0, -inf)`,
    // folded by tract): kept for [`super::mask::additive`]; [`Ctx::konst`] refuses it to every
    // other reader. NaN and +inf are never accepted.
    match v.iter().find(|x| x.is_nan() || **x == f32::INFINITY) {
        Some(x) => Err(Unsupported(format!("constant holds the non-finite value {x}"))),
        None => Ok(Value::Const(v)),
    }
}

fn lower(ctx: &Ctx) -> Lowered {
    let op = &ctx.node.op;
    if let Some(e) = ctx.node.op_as::<EinSum>() {
        return linear::einsum(ctx, e);
    }
    if let Some(c) = ctx.node.op_as::<Conv>() {
        return spatial::conv(ctx, c);
    }
    if let Some(p) = ctx.node.op_as::<MaxPool>() {
        return spatial::max_pool(ctx, p);
    }
    if let Some(p) = ctx.node.op_as::<SumPool>() {
        return spatial::sum_pool(ctx, p);
    }
    if let Some(r) = ctx.node.op_as::<Reduce>() {
        return match r.reducer {
            Reducer::Sum => spatial::reduce(ctx, &r.axes, false),
            Reducer::Max => spatial::reduce(ctx, &r.axes, true),
            _ => Err(Unsupported(format!("reducer {:?} is not supported", r.reducer))),
        };
    }
    if let Some(b) = ctx.node.op_as::<TypedBinOp>() {
        return elementwise::binary(ctx, b);
    }
    if let Some(e) = ctx.node.op_as::<ElementWiseOp>() {
        return elementwise::unary(ctx, e);
    }
    if let Some(a) = ctx.node.op_as::<AxisOp>() {
        return linear::axis_op(ctx, a);
    }
    if let Some(s) = ctx.node.op_as::<Slice>() {
        return wiring::slice(ctx, s);
    }
    if let Some(d) = ctx.node.op_as::<Downsample>() {
        return wiring::downsample(ctx, d);
    }
    if let Some(g) = ctx.node.op_as::<Gather>() {
        return wiring::gather(ctx, g);
    }
    if let Some(r) = ctx.node.op_as::<RmsNorm>() {
        return norm::rms_norm(ctx, r);
    }
    if let Some(s) = ctx.node.op_as::<Softmax>() {
        return softmax::softmax(ctx, s);
    }
    if let Some(c) = ctx.node.op_as::<TypedConcat>() {
        return wiring::concat(ctx, c);
    }
    Err(Unsupported(format!("op {} has no zkinfer lowering", op.name())))
}

pub(crate) fn convert(model: &TypedModel, input_shape: Vec<usize>) -> Result<Graph, ConvertError> {
    let order = model.eval_order().map_err(|e| {
        ConvertError::Other(ModelError::Node { node: "<graph>".into(), reason: e.to_string() })
    })?;
    let mut values: std::collections::HashMap<OutletId, Value> = Default::default();
    let mut graph = Graph { input_shape, nodes: vec![] };
    let mut unsupported = vec![];
    let reject = |n: &TypedNode, reason: String| UnsupportedNode {
        name: n.name.clone(),
        op: n.op.name().to_string(),
        reason,
    };

    for id in order {
        let node = &model.nodes()[id];
        if node.outputs.len() != 1 {
            unsupported.push(reject(node, format!("{} outputs", node.outputs.len())));
            for slot in 0..node.outputs.len() {
                values.insert(OutletId::new(id, slot), FAILED);
            }
            continue;
        }
        let out = OutletId::new(id, 0);
        if node.op_as::<TypedSource>().is_some() {
            values.insert(out, Value::Tensor(0));
            continue;
        }
        if let Some(c) = node.op_as::<Const>() {
            match const_value(c) {
                Ok(v) => {
                    values.insert(out, v);
                }
                Err(Unsupported(r)) => {
                    unsupported.push(reject(node, r));
                    values.insert(out, FAILED);
                }
            }
            continue;
        }
        let inputs: Option<Vec<Value>> = node.inputs.iter().map(|i| values.get(i).cloned()).collect();
        let Some(inputs) = inputs else {
            // Cannot happen in eval order (every input is visited first and gets a value).
            unsupported.push(reject(node, "an input is not computed before this node".into()));
            values.insert(out, FAILED);
            continue;
        };
        let shapes: Option<Vec<Vec<usize>>> = node
            .inputs
            .iter()
            .map(|i| model.outlet_fact(*i).ok().and_then(shape_of))
            .collect();
        let (Some(input_shapes), Some(out_shape)) = (shapes, shape_of(&node.outputs[0].fact)) else {
            unsupported.push(reject(node, "shape is not concrete".into()));
            values.insert(out, FAILED);
            continue;
        };
        if inputs.iter().all(|v| matches!(v, Value::Const(_) | Value::NegInf)) {
            unsupported.push(reject(node, "operates on constants only (not folded)".into()));
            values.insert(out, FAILED);
            continue;
        }
        let ctx = Ctx { inputs, input_shapes, out_shape: out_shape.clone(), node };
        // Token ids: the model input cast to an integer type is the input itself (its values
        // are integers; an embedding reads them at scale 0).
        if let Some(c) = node.op_as::<Cast>() {
            if matches!(ctx.inputs.first(), Some(Value::Tensor(0))) && c.to.is_integer() {
                values.insert(out, Value::Tensor(0));
                continue;
            }
        }
        let is_add = node.op_as::<TypedBinOp>().is_some_and(|b| b.0.is::<tract_onnx::tract_core::ops::math::Add>());
        if let Some(masked) = is_add.then(|| mask::additive(&ctx)).flatten() {
            match masked {
                Ok(v) => {
                    values.insert(out, v);
                }
                Err(Unsupported(r)) => {
                    unsupported.push(reject(node, r));
                    values.insert(out, FAILED);
                }
            }
            continue;
        }
        // A NaN guard (Hugging Face's `where(isnan(p), 0, p)` after a softmax): zkinfer's
        // tensors are quantized integers, never NaN, so the test is the constant false and
        // the `Where` after it passes `p` through (see `mask::iff`).
        if node.op.name() == "IsNan" && matches!(ctx.inputs.first(), Some(Value::Tensor(_))) {
            values.insert(out, Value::Const(ArrayD::zeros(out_shape.clone())));
            continue;
        }
        if node.op_as::<Iff>().is_some() {
            match mask::iff(&ctx) {
                Ok(mask::Selected::Masked(v)) | Ok(mask::Selected::Pass(v)) => {
                    values.insert(out, v);
                }
                Ok(mask::Selected::Op(op)) => {
                    graph.nodes.push(Node { name: node.name.clone(), op, shape: out_shape });
                    values.insert(out, Value::Tensor(graph.nodes.len()));
                }
                Err(Unsupported(r)) => {
                    unsupported.push(reject(node, r));
                    values.insert(out, FAILED);
                }
            }
            continue;
        }
        let reads_mask = ctx.inputs.iter().any(|v| matches!(v, Value::Masked { .. } | Value::NegInf));
        if reads_mask && node.op_as::<Softmax>().is_none() {
            unsupported.push(reject(node, "reads a -inf mask fill: only a Softmax may read it".into()));
            values.insert(out, FAILED);
            continue;
        }
        match lower(&ctx) {
            Ok(op) => {
                graph.nodes.push(Node { name: node.name.clone(), op, shape: out_shape });
                values.insert(out, Value::Tensor(graph.nodes.len()));
            }
            Err(Unsupported(r)) => {
                unsupported.push(reject(node, r));
                values.insert(out, FAILED);
            }
        }
    }
    if !unsupported.is_empty() {
        return Err(ConvertError::Unsupported(unsupported));
    }
    let outlet = model.output_outlets().ok().and_then(|o| o.first().copied());
    let output = match outlet.and_then(|o| values.get(&o)) {
        Some(Value::Tensor(t)) => *t,
        _ => {
            return Err(ConvertError::Other(ModelError::Node {
                node: "<output>".into(),
                reason: "the model output is a constant or missing".into(),
            }))
        }
    };
    if output != graph.nodes.len() || output == 0 {
        // Make the output the last tensor (an identity permutation costs nothing).
        let shape = graph.shape(output).to_vec();
        let n: usize = shape.iter().product();
        graph.nodes.push(Node {
            name: "output".into(),
            op: Op::Permute { input: output, perm: (0..n as u32).collect() },
            shape,
        });
    }
    Ok(graph)
}
