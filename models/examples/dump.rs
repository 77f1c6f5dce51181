//! Developer aid: print the simplified graph, the quantized layers and the accuracy table.
//! `cargo run --release -p zkinfer-models --example dump -- MODEL.onnx DATA.json [bits]`
use std::path::Path;
use zkinfer_models::{data::Dataset, QuantConfig};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = Dataset::load(Path::new(&args[2])).expect("data");
    let mut cfg = QuantConfig::default();
    if let Some(b) = args.get(3) {
        cfg.bits = b.parse().expect("bits");
    }
    match zkinfer_models::load_and_quantize(Path::new(&args[1]), &data, &cfg) {
        Err(e) => println!("error: {e}"),
        Ok((g, m)) => {
            for n in &g.nodes {
                println!("{:20} {:10} {:?}", n.name, n.op.label(), n.shape);
            }
            println!("{}", serde_json::to_string_pretty(&zkinfer_models::summary::summarize(&m)).unwrap());
            let r = zkinfer_models::accuracy::evaluate(&g, &m, &data).unwrap();
            println!("{r:?}");
        }
    }
}
