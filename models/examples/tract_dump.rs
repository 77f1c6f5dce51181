//! Prints what tract makes of an ONNX file after typing and declutter: one line per node with
//! its op (and the op's own description: EinSum expressions, axes), inputs and output fact.
//! This is the graph `zkinfer_models::import` lowers; use it to see which typed ops a new
//! export produces. Run: `cargo run --release -p zkinfer-models --example tract_dump -- M.onnx`
//! (a symbolic batch dimension is fixed to 1, like the importer does).
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;
use tract_onnx::tract_hir::internal::DimLike;

fn main() -> TractResult<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: tract_dump MODEL.onnx");
        std::process::exit(2);
    };
    let mut model = tract_onnx::onnx().model_for_path(&path)?;
    let fact = model.input_fact(0)?.clone();
    let dims: Vec<usize> = fact
        .shape
        .dims()
        .map(|d| d.concretize().and_then(|d| d.to_usize().ok()).unwrap_or(1))
        .collect();
    model.set_input_fact(0, f32::fact(&dims).into())?;
    let typed = model.into_typed()?.into_decluttered()?;
    for node in typed.nodes() {
        let inputs: Vec<String> = node.inputs.iter().map(|i| format!("{}/{}", i.node, i.slot)).collect();
        let info = node.op.info().unwrap_or_default().join("; ");
        println!(
            "#{} {:<24} {:<16} [{}] -> {:?} {}",
            node.id,
            node.name,
            node.op.name(),
            inputs.join(", "),
            node.outputs.first().map(|o| format!("{:?}", o.fact)),
            info
        );
    }
    Ok(())
}
