//! Developer aid: print the simplified graph, the quantized layers and the accuracy table.
//! `cargo run --release -p zkinfer-models --example dump -- MODEL.onnx DATA.json [bits] [CALIB.json]`
//! Calibrates on CALIB.json (default: DATA.json itself) and evaluates on DATA.json.
use std::path::Path;
use zkinfer_models::{data::Dataset, QuantConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(model), Some(data)) = (args.get(1), args.get(2)) else {
        return Err("usage: dump MODEL.onnx DATA.json [bits] [CALIB.json]".into());
    };
    let data = Dataset::load(Path::new(data))?;
    let mut cfg = QuantConfig::default();
    if let Some(b) = args.get(3) {
        cfg.bits = b.parse()?;
    }
    let calibration = match args.get(4) {
        Some(p) => Dataset::load(Path::new(p))?,
        None => data.clone(),
    };
    let (g, m) = zkinfer_models::load_and_quantize(Path::new(model), &calibration, &cfg)?;
    for n in &g.nodes {
        println!("{:20} {:10} {:?}", n.name, n.op.label(), n.shape);
    }
    println!("{}", serde_json::to_string_pretty(&zkinfer_models::summary::summarize(&m))?);
    println!("{:?}", zkinfer_models::accuracy::evaluate(&g, &m, &data)?);
    Ok(())
}
