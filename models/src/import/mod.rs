//! ONNX import: tract-onnx loads and types the model, folds constants and BatchNormalization,
//! and [`convert`] turns tract's typed ops into our [`Graph`].
//!
//! Unsupported nodes are collected, never skipped: first the ops tract itself does not know
//! (placeholder nodes in the un-typed model), then every typed op zkinfer has no lowering for.
//! Either way one error lists them all.
mod convert;
mod elementwise;
mod linear;
mod spatial;
pub(crate) mod index;

use std::path::Path;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::unimpl::UnimplementedOp;
use tract_onnx::tract_hir::infer::Factoid;
use tract_onnx::tract_hir::internal::DimLike;

use crate::error::{ModelError, Result, UnsupportedNode};
use crate::graph::Graph;

/// Load an ONNX file into a [`Graph`] with concrete shapes (a symbolic batch dimension
/// becomes 1).
pub fn load_onnx(path: &Path) -> Result<Graph> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.into(), source })?;
    let invalid = |e: anyhow_like::E| ModelError::InvalidOnnx { path: path.into(), reason: e.0 };
    let mut model = tract_onnx::onnx()
        .model_for_read(&mut bytes.as_slice())
        .map_err(|e| invalid(anyhow_like::E::root(&e)))?;

    let unknown: Vec<UnsupportedNode> = model
        .nodes()
        .iter()
        .filter(|n| n.op_as::<UnimplementedOp>().is_some())
        .map(|n| UnsupportedNode { name: n.name.clone(), op: n.op.name().to_string(), reason: String::new() })
        .collect();
    if !unknown.is_empty() {
        return Err(ModelError::Unsupported { path: path.into(), nodes: unknown });
    }
    let inputs = model.input_outlets().map(|o| o.len()).unwrap_or(0);
    if inputs != 1 {
        return Err(ModelError::Arity { path: path.into(), kind: "input", count: inputs });
    }
    let outputs = model.output_outlets().map(|o| o.len()).unwrap_or(0);
    if outputs != 1 {
        return Err(ModelError::Arity { path: path.into(), kind: "output", count: outputs });
    }

    let fact = model.input_fact(0).map_err(|e| invalid(anyhow_like::E::root(&e)))?.clone();
    let dims: Vec<_> = fact.shape.dims().cloned().collect();
    let mut shape = Vec::with_capacity(dims.len());
    for (axis, d) in dims.iter().enumerate() {
        // Unknown or symbolic dimensions: the batch axis (0) becomes 1; others are an error.
        let concrete = d.concretize().and_then(|d| d.to_usize().ok());
        match (axis, concrete) {
            (_, Some(v)) if v > 0 => shape.push(v),
            (0, _) => shape.push(1),
            _ => {
                return Err(ModelError::InputShape {
                    path: path.into(),
                    shape: format!("{:?}", fact.shape),
                    reason: format!("dimension {axis} is not known; only the batch dimension may be symbolic"),
                })
            }
        }
    }
    model
        .set_input_fact(0, f32::fact(&shape).into())
        .map_err(|e| invalid(anyhow_like::E::root(&e)))?;
    let typed = model
        .into_typed()
        .and_then(|m| m.into_decluttered())
        .map_err(|e| invalid(anyhow_like::E::root(&e)))?;
    convert::convert(&typed, shape).map_err(|e| match e {
        convert::ConvertError::Unsupported(nodes) => ModelError::Unsupported { path: path.into(), nodes },
        convert::ConvertError::Other(err) => err,
    })
}

/// tract returns `anyhow`-style errors; keep the whole context chain on one line.
mod anyhow_like {
    pub struct E(pub String);
    impl E {
        pub fn root(e: &tract_onnx::prelude::TractError) -> E {
            E(e.chain().map(|c| c.to_string()).collect::<Vec<_>>().join(": "))
        }
    }
}
