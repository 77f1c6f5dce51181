//! ONNX import: tract-onnx loads and types the model, folds constants and BatchNormalization,
//! and [`convert`] turns tract's typed ops into our [`Graph`].
//!
//! Unsupported nodes are collected, never skipped: first the ops tract itself does not know
//! (placeholder nodes in the un-typed model), then every typed op zkinfer has no lowering for.
//! Either way one error lists them all.
mod convert;
mod elementwise;
mod gelu_tanh;
mod linear;
mod mask;
mod norm;
mod product;
mod softmax;
mod spatial;
mod wiring;
pub(crate) mod index;

use std::path::Path;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::unimpl::UnimplementedOp;
use tract_onnx::tract_hir::infer::Factoid;
use tract_onnx::tract_hir::internal::DimLike;

use crate::error::{ModelError, Result, UnsupportedNode};
use crate::graph::Graph;

/// The decoded protobuf of an ONNX file (weights stored in external data files not read yet).
fn read_proto(path: &Path) -> Result<tract_onnx::pb::ModelProto> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.into(), source })?;
    proto_of(&bytes, path)
}

fn proto_of(bytes: &[u8], path: &Path) -> Result<tract_onnx::pb::ModelProto> {
    tract_onnx::onnx()
        .proto_model_for_read(&mut &bytes[..])
        .map_err(|e| ModelError::InvalidOnnx { path: path.into(), reason: anyhow_like::E::root(&e).0 })
}

/// The files an ONNX model consists of: the model itself, then every external data file its
/// initializers name (`model.onnx.data` for PyTorch's exporter), each once, in order of first
/// use. Paths are relative to the model's directory, as ONNX defines them.
pub fn onnx_files(path: &Path) -> Result<Vec<std::path::PathBuf>> {
    let proto = read_proto(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut files = vec![path.to_path_buf()];
    let graph_tensors = proto.graph.iter().flat_map(|g| g.initializer.iter());
    for t in graph_tensors {
        if let Some(loc) = t.external_data.iter().find(|e| e.key == "location") {
            let f = dir.join(&loc.value);
            if !files.contains(&f) {
                files.push(f);
            }
        }
    }
    Ok(files)
}

/// Load an ONNX file into a [`Graph`] with concrete shapes (a symbolic batch dimension
/// becomes 1). Weights in external data files (PyTorch's `dynamo=True` exporter writes
/// `model.onnx.data`) are read from the model's directory.
pub fn load_onnx(path: &Path) -> Result<Graph> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.into(), source })?;
    load_onnx_bytes(&bytes, path)
}

/// [`load_onnx`] on the bytes of an ONNX file; `path` names the file in errors, and its
/// directory is where external data files are looked up.
///
/// tract is not written for hostile input: some malformed protobufs or graphs make it panic
/// (index out of bounds, arithmetic overflow, `unwrap` on a missing attribute) instead of
/// returning an error. A panic inside tract is caught here, at our import boundary, and becomes
/// [`ModelError::InvalidOnnx`], so no model file can crash a command. `catch_unwind` is sound
/// for this: tract's state is dropped with the failed call (nothing of it is reused), and
/// zkinfer builds with `panic = "unwind"`. Panics in our own conversion code are bugs and are
/// not caught (the fuzz target `onnx` runs them).
pub fn load_onnx_bytes(bytes: &[u8], path: &Path) -> Result<Graph> {
    let (typed, shape) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tract_import(bytes, path)))
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(ModelError::InvalidOnnx {
                path: path.into(),
                reason: format!("the ONNX importer (tract) failed on malformed data: {}", what.replace('\n', " ")),
            })
        })?;
    convert::convert(&typed, shape).map_err(|e| match e {
        convert::ConvertError::Unsupported(nodes) => ModelError::Unsupported { path: path.into(), nodes },
        convert::ConvertError::Other(err) => err,
    })
}

/// tract's part of the import: parse, check the op set and the arity, fix the input shape,
/// type and declutter. Returns the typed model and the concrete input shape.
fn tract_import(bytes: &[u8], path: &Path) -> Result<(TypedModel, Vec<usize>)> {
    let invalid = |e: anyhow_like::E| ModelError::InvalidOnnx { path: path.into(), reason: e.0 };
    let proto = proto_of(bytes, path)?;
    // tract resolves external data relative to this directory (and refuses paths outside it).
    let dir = match path.parent().map(|d| d.to_str()) {
        Some(Some("")) | None => Some("."),
        Some(d) => d,
    };
    let parsed = tract_onnx::onnx().parse(&proto, dir).map_err(|e| invalid(anyhow_like::E::root(&e)))?;
    if !parsed.unresolved_inputs.is_empty() {
        return Err(ModelError::InvalidOnnx {
            path: path.into(),
            reason: format!("unresolved inputs {:?}", parsed.unresolved_inputs),
        });
    }
    let mut model = parsed.model;

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
                let input = model.input_outlets().ok().and_then(|o| o.first()).map(|o| model.node(o.node).name.clone()).unwrap_or_default();
                let fix = match d.to_string() {
                    sym if concrete.is_none() && !sym.is_empty() && sym.chars().all(|c| c.is_alphanumeric() || c == '_') => format!(
                        "fix it, e.g. `python -m onnxruntime.tools.make_dynamic_shape_fixed --dim_param {sym} --dim_value N {} fixed.onnx`, or export with a fixed size (torch.onnx.export without dynamic_axes / dynamic_shapes for that axis)",
                        path.display()
                    ),
                    _ => "export the model with a fixed size for it (torch.onnx.export without dynamic_axes / dynamic_shapes for that axis)".into(),
                };
                return Err(ModelError::InputShape {
                    path: path.into(),
                    shape: format!("{:?}", fact.shape),
                    reason: format!(
                        "dimension {axis} ('{d}') of input '{input}' is not fixed; only the batch dimension (0) may be symbolic, a circuit has one size: {fix}"
                    ),
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
        .and_then(gelu_tanh::fuse)
        .map_err(|e| invalid(anyhow_like::E::root(&e)))?;
    Ok((typed, shape))
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

#[cfg(test)]
mod tests {
    //! Bad files: each is one typed error with a one-line message that names the problem.
    use super::*;
    use crate::testing::fixture;

    fn load_err(rel: &str) -> ModelError {
        let e = load_onnx(&fixture(rel)).expect_err(rel);
        assert!(!e.to_string().contains('\n'), "{rel}: message is not one line: {e}");
        assert!(e.to_string().contains(rel.rsplit('/').next().unwrap_or(rel)), "{rel}: path not named: {e}");
        e
    }

    #[test]
    fn truncated_file_is_invalid_onnx() {
        let e = load_err("truncated.onnx");
        assert!(matches!(&e, ModelError::InvalidOnnx { reason, .. } if reason.contains("decode")), "{e}");
    }

    #[test]
    fn non_onnx_file_is_invalid_onnx() {
        let e = load_err("not_onnx.onnx");
        assert!(matches!(e, ModelError::InvalidOnnx { .. }), "{e}");
    }

    #[test]
    fn a_symbolic_sequence_length_names_the_input_the_axis_and_the_fix() {
        let e = load_err("dynamic_sequence.onnx");
        assert!(matches!(e, ModelError::InputShape { .. }), "{e}");
        let msg = e.to_string();
        for part in ["dimension 1 ('sequence')", "input 'tokens'", "--dim_param sequence --dim_value N", "dynamic_axes"] {
            assert!(msg.contains(part), "{part} missing from: {msg}");
        }
    }

    #[test]
    fn missing_file_is_io() {
        let e = load_err("no_such_model.onnx");
        assert!(matches!(&e, ModelError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound), "{e}");
    }

    #[test]
    fn all_unsupported_ops_are_listed_in_one_error() {
        // Gemm -> Sin -> LogSoftmax: the LogSoftmax after the failing Sin is reported too.
        let e = load_err("unsupported.onnx");
        let ModelError::Unsupported { nodes, .. } = &e else { panic!("{e}") };
        let ops: Vec<&str> = nodes.iter().map(|n| n.op.as_str()).collect();
        // tract declutters LogSoftmax into Softmax (proved) and Ln (not).
        assert_eq!(ops, ["Sin", "Ln"], "{e}");
        let msg = e.to_string();
        for part in ["2 unsupported", "weird_sin", "Sin", "final_log_softmax", "Ln"] {
            assert!(msg.contains(part), "{part} missing from: {msg}");
        }
    }

    #[test]
    fn non_finite_weights_are_refused() {
        let e = load_err("nan_weight.onnx");
        let ModelError::Unsupported { nodes, .. } = &e else { panic!("{e}") };
        assert!(nodes.iter().any(|n| n.reason.contains("non-finite value NaN")), "{e}");
    }

    #[test]
    fn bytes_import_matches_file_import_and_names_the_path() {
        let path = fixture("ops/gemm_relu.onnx");
        let bytes = std::fs::read(&path).unwrap();
        let from_file = load_onnx(&path).unwrap();
        let from_bytes = load_onnx_bytes(&bytes, &path).unwrap();
        assert_eq!(from_file, from_bytes);
        let e = load_onnx_bytes(&bytes[..bytes.len() / 2], Path::new("half.onnx")).unwrap_err();
        assert!(matches!(&e, ModelError::InvalidOnnx { path, .. } if path == Path::new("half.onnx")), "{e}");
    }

    #[test]
    fn zoo_and_multi_op_fixtures_load() {
        for rel in ["pool_bn.onnx", "elementwise.onnx"] {
            let g = load_onnx(&fixture(rel)).unwrap_or_else(|e| panic!("{e}"));
            g.validate().unwrap();
        }
    }
}
