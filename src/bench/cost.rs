//! Where the proving cost goes, per kind of layer work, against the native cost of that work.
//!
//! The circuit's per-layer sizes come from the compiler's dry run ([`CircuitSpec::layers`]).
//! An affine layer is split into its dot-product rows (linear: `matmul`, `conv`, `avgpool`,
//! `scale`, `add`) and its requant rows, one per output element, that rescale and apply the
//! activation in one lookup (`relu`, `sigmoid`, `tanh`), or two when there is none (`rescale`:
//! the second row range-checks the quotient);
//! a standalone activation layer is requant rows only; `maxpool` is its own chip.
//!
//! **Estimated share of proving time** = the part's cost units over the circuit's, where
//! cost units = advice cells + [`LOOKUP_WEIGHT`] x lookups (a looked-up row adds a permuted
//! input, a permuted table and a grand-product cell to halo2's lookup argument). The
//! estimated proving time of a part is that share of the measured proving time, and its
//! overhead is that time over the part's native time.
use serde::Serialize;
use zkinfer_circuits::CircuitSpec;
use zkinfer_models::quant::{QOp, QuantModel};

use super::native::{act_kind, Part};

/// Weight of one lookup against one advice cell in the cost units.
pub const LOOKUP_WEIGHT: usize = 3;

/// Advice cells of one requant row (`z`, `q`, `r`, `y`).
const REQUANT_CELLS: usize = 4;
/// Rows and advice cells of one identity requant element (`rescale`): the rescale row and the
/// row that range-checks its quotient (circuits' `chips/requant.rs`).
const RESCALE_ROWS: usize = 2;
const RESCALE_CELLS: usize = 5;

/// The class a kind of work belongs to.
pub fn class_of(kind: &str) -> &'static str {
    match kind {
        "matmul" | "conv" | "avgpool" | "scale" | "add" => "linear",
        // Products of two activations: bilinear, proved by Freivalds checks.
        "matmul_act" | "mul_act" => "product",
        // Tables (every `Nonlinearity`), the softmax and the RMS norm (whose float op becomes a
        // product with the rsqrt table and a product).
        "relu" | "sigmoid" | "tanh" | "gelu" | "gelu_tanh" | "silu" | "erf" | "hard_swish" | "abs" | "rsqrt" | "maxpool"
        | "softmax" | "rms_norm" => "nonlinear",
        "rescale" => "rescale",
        _ => "data",
    }
}

/// Cost of one kind of work (or a class, or the whole model).
#[derive(Clone, Debug, Default, Serialize)]
pub struct KindCost {
    pub kind: String,
    pub class: String,
    /// Layers (or parts of fused layers) of this kind.
    pub layers: usize,
    /// Multiply-accumulates for linear work, elements for the rest.
    pub elements: usize,
    pub rows: usize,
    pub advice_cells: usize,
    pub lookups: usize,
    /// `advice_cells + LOOKUP_WEIGHT * lookups`.
    pub cost_units: usize,
    /// Share of the circuit's rows.
    pub row_share: f64,
    /// Estimated share of proving time (share of cost units).
    pub prove_share: f64,
    /// `prove_share` x the measured proving time, seconds.
    pub prove_s: f64,
    /// Native float time, seconds (median, one thread).
    pub float_s: f64,
    /// Native integer time, seconds (median, one thread).
    pub int_s: f64,
    /// `prove_s / float_s` (none when there is no float counterpart).
    pub overhead_float: Option<f64>,
    /// `prove_s / int_s`.
    pub overhead_int: Option<f64>,
}

impl KindCost {
    fn add(&mut self, o: &KindCost) {
        self.layers += o.layers;
        self.elements += o.elements;
        self.rows += o.rows;
        self.advice_cells += o.advice_cells;
        self.lookups += o.lookups;
        self.float_s += o.float_s;
        self.int_s += o.int_s;
    }
    fn finish(&mut self, total_rows: usize, total_units: usize, prove_s: f64) {
        self.cost_units = self.advice_cells + LOOKUP_WEIGHT * self.lookups;
        self.row_share = self.rows as f64 / total_rows.max(1) as f64;
        self.prove_share = self.cost_units as f64 / total_units.max(1) as f64;
        self.prove_s = self.prove_share * prove_s;
        let ratio = |native: f64| (native > 0.0).then(|| self.prove_s / native);
        self.overhead_float = ratio(self.float_s);
        self.overhead_int = ratio(self.int_s);
    }
}

/// The whole breakdown.
#[derive(Clone, Debug, Serialize)]
pub struct Breakdown {
    pub kinds: Vec<KindCost>,
    /// `linear`, `rescale`, `nonlinear`, `data` (reshapes and the input header).
    pub classes: Vec<KindCost>,
    pub total: KindCost,
    /// Integer overhead of nonlinear work over that of linear work.
    pub nonlinear_over_linear: Option<f64>,
    /// For each nonlinear kind: one element costs as many MACs as this, counted in rows.
    pub element_in_macs_rows: Vec<(String, f64)>,
    /// The same in cost units.
    pub element_in_macs_units: Vec<(String, f64)>,
    /// How the estimate is made, for the reader.
    pub method: String,
}

fn entry<'a>(v: &'a mut Vec<KindCost>, kind: &str) -> &'a mut KindCost {
    let i = match v.iter().position(|k| k.kind == kind) {
        Some(i) => i,
        None => {
            v.push(KindCost { kind: kind.into(), class: class_of(kind).into(), ..KindCost::default() });
            v.len() - 1
        }
    };
    &mut v[i]
}

/// Split the circuit per kind of work and set it against the native times and the measured
/// proving time `prove_s`. `float` and `int` are per-part native times (see [`super::native`]).
pub fn breakdown(quant: &QuantModel, spec: &CircuitSpec, float: &[Part], int: &[Part], prove_s: f64) -> Breakdown {
    let mut kinds: Vec<KindCost> = vec![];
    let header = entry(&mut kinds, "input");
    header.rows = spec.header_rows;
    // The rows outside the layers: the public block (a copy of every public value), the packed
    // input header and the constant rows.
    header.advice_cells = spec.advice_cells.saturating_sub(spec.layers.iter().map(|l| l.advice_cells).sum::<usize>());
    header.elements = quant.input_len();
    for (layer, stats) in quant.layers.iter().zip(&spec.layers) {
        let n: usize = layer.shape.iter().product();
        let (lin, req) = match &layer.op {
            QOp::Affine { kind, rows, act, .. } => (Some((kind.label(), rows.iter().map(|r| r.terms.len()).sum::<usize>())), Some(act_kind(act))),
            QOp::Activation { act, .. } => (None, Some(act_kind(act))),
            QOp::Product { kind, act, .. } => (Some((kind.label(), layer.op.product_pairs(n).map_or(0, |p| p.iter().map(Vec::len).sum()))), Some(act_kind(act))),
            QOp::MaxPool { .. } => {
                let e = entry(&mut kinds, "maxpool");
                e.layers += 1;
                e.elements += n;
                e.rows += stats.rows;
                e.advice_cells += stats.advice_cells;
                e.lookups += stats.lookups;
                continue;
            }
            QOp::Embedding { .. } => {
                let e = entry(&mut kinds, "embedding");
                e.layers += 1;
                e.elements += n;
                e.rows += stats.rows;
                e.advice_cells += stats.advice_cells;
                e.lookups += stats.lookups;
                continue;
            }
            QOp::Softmax { .. } => {
                let e = entry(&mut kinds, "softmax");
                e.layers += 1;
                e.elements += n;
                e.rows += stats.rows;
                e.advice_cells += stats.advice_cells;
                e.lookups += stats.lookups;
                continue;
            }
            QOp::Permute { .. } => {
                let e = entry(&mut kinds, "reshape");
                e.layers += 1;
                e.elements += n;
                continue;
            }
        };
        // Requant rows: one per output element (two for a rescale), all of the layer's lookups.
        let (rows_per, cells_per) = if req == Some("rescale") { (RESCALE_ROWS, RESCALE_CELLS) } else { (1, REQUANT_CELLS) };
        let (req_rows, req_cells) = match lin {
            Some(_) => ((rows_per * n).min(stats.rows), (cells_per * n).min(stats.advice_cells)),
            None => (stats.rows, stats.advice_cells),
        };
        if let Some(kind) = req {
            let e = entry(&mut kinds, kind);
            e.layers += 1;
            e.elements += n;
            e.rows += req_rows;
            e.advice_cells += req_cells;
            e.lookups += stats.lookups;
        }
        if let Some((kind, macs)) = lin {
            let e = entry(&mut kinds, kind);
            e.layers += 1;
            e.elements += macs;
            e.rows += stats.rows - req_rows;
            e.advice_cells += stats.advice_cells - req_cells;
        }
    }
    for p in float {
        entry(&mut kinds, p.kind).float_s += p.seconds;
    }
    for p in int {
        entry(&mut kinds, p.kind).int_s += p.seconds;
    }
    let mut total = KindCost { kind: "whole model".into(), class: "all".into(), ..KindCost::default() };
    for k in &kinds {
        total.add(k);
    }
    let total_units = total.advice_cells + LOOKUP_WEIGHT * total.lookups;
    let total_rows = total.rows;
    let mut classes: Vec<KindCost> = vec![];
    for k in kinds.iter_mut() {
        k.finish(total_rows, total_units, prove_s);
        let c = entry(&mut classes, &k.class.clone());
        c.kind = k.class.clone();
        c.add(k);
    }
    for c in classes.iter_mut() {
        c.class = c.kind.clone();
        c.finish(total_rows, total_units, prove_s);
    }
    total.finish(total_rows, total_units, prove_s);
    let class = |name: &str| classes.iter().find(|c| c.kind == name);
    let nonlinear_over_linear = match (class("nonlinear").and_then(|c| c.overhead_int), class("linear").and_then(|c| c.overhead_int)) {
        (Some(n), Some(l)) if l > 0.0 => Some(n / l),
        _ => None,
    };
    let per = |f: fn(&KindCost) -> usize| -> Vec<(String, f64)> {
        let Some(lin) = class("linear").filter(|c| c.elements > 0) else { return vec![] };
        let mac = f(lin) as f64 / lin.elements as f64;
        kinds
            .iter()
            .filter(|k| k.class == "nonlinear" && k.elements > 0 && mac > 0.0)
            .map(|k| (k.kind.clone(), f(k) as f64 / k.elements as f64 / mac))
            .collect()
    };
    let element_in_macs_rows = per(|k| k.rows);
    let element_in_macs_units = per(|k| k.cost_units);
    let method = format!(
        "est. share of proving time = (advice cells + {LOOKUP_WEIGHT} x lookups) / total; est. prove time = share x measured prove time; \
         overhead = est. prove time / native time (native: one thread, median; proving: all threads, wall clock)"
    );
    Breakdown { kinds, classes, total, nonlinear_over_linear, element_in_macs_rows, element_in_macs_units, method }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::synth;
    use zkinfer_circuits::CompileOptions;
    use zkinfer_models::QuantConfig;

    #[test]
    fn breakdown_accounts_for_every_row_cell_and_lookup() {
        let g = synth::mlp(&[16, 8, 8, 4], 2);
        let cal = synth::samples(16, 8, false, 3);
        let p = synth::prepare_graph(g, &cal, &QuantConfig::default()).unwrap();
        let spec = CircuitSpec::compile(&p.circuit, &CompileOptions { width: 4 }).unwrap();
        let b = breakdown(&p.quant, &spec, &[], &[], 2.0);
        assert_eq!(b.total.rows, spec.rows);
        assert_eq!(b.total.advice_cells, spec.advice_cells);
        assert_eq!(b.total.lookups, spec.layers.iter().map(|l| l.lookups).sum::<usize>());
        let share: f64 = b.kinds.iter().map(|k| k.prove_share).sum();
        assert!((share - 1.0).abs() < 1e-9 && (b.total.prove_s - 2.0).abs() < 1e-9);
        let kind = |name: &str| b.kinds.iter().find(|k| k.kind == name).unwrap();
        // Two fused ReLU layers of 8 elements: one requant row each; the last layer rescales 4,
        // two rows each (the second range-checks the quotient).
        assert_eq!((kind("relu").elements, kind("relu").rows, kind("relu").lookups), (16, 16, 32));
        assert_eq!((kind("rescale").elements, kind("rescale").rows, kind("rescale").advice_cells), (4, 8, 20));
        assert_eq!(kind("matmul").elements, 16 * 8 + 8 * 8 + 8 * 4);
        assert_eq!(kind("matmul").lookups, 0);
        // At width 4 a 16-term output takes 4 dot rows: 8 x 4 + 8 x 2 + 4 x 2 rows.
        assert_eq!(kind("matmul").rows, 32 + 16 + 8);
        let (relu_rows, _) = &b.element_in_macs_rows[0];
        assert_eq!(relu_rows, "relu");
        // No native times given: no overheads.
        assert!(b.total.overhead_int.is_none() && b.nonlinear_over_linear.is_none());
    }
}
