//! Embeddings: rows of a constant table picked by integer token ids (torch's `nn.Embedding`,
//! ONNX `Gather(table, Cast(ids))`). The ids are the model input, given as integers in the
//! input file (input scale 0).
//!
//! Semantics: output `(t, d)` (row-major, `D` columns) is `table[id_t][d]`; an id outside
//! `[0, V)` is refused (as torch refuses it): the float model gives 0 there, the integer
//! reference an out-of-range error, and the circuit has no table entry for it.
//!
//! **Quantization**: column `d` becomes a lookup table over the ids,
//! `T_d[q] = round(table[q][d] · 2^s)` for `q in [0, V)` (V rows, not the `2^bits` of an
//! activation table), at the largest scale `s` that holds every entry. The integer pass looks `id_t` up in `T_d`; with exact integer
//! ids its error against the float model is the table's rounding, `2^-(s+1)`.

/// The float embedding of `ids` (rounded to the nearest integer) in `table` (`vocab` rows of
/// `dim`).
pub fn embed_f64(ids: &[f32], table: &[f32], dim: usize) -> Vec<f32> {
    let vocab = table.len() / dim.max(1);
    let mut out = Vec::with_capacity(ids.len() * dim);
    for &x in ids {
        let id = (x as f64).round();
        for d in 0..dim {
            out.push(if id >= 0.0 && (id as usize) < vocab { table[id as usize * dim + d] } else { 0.0 });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::graph::Op;
    use crate::testing::fixture;

    #[test]
    fn token_ids_pick_table_rows_exactly_up_to_the_tables_rounding() {
        let path = fixture("ops/embedding.onnx");
        let g = crate::simplify::simplify(crate::load_onnx(&path).unwrap()).unwrap();
        assert!(matches!(g.nodes[0].op, Op::Embedding { input: 0, dim: 6, .. }), "{:?}", g.nodes[0].op);
        let ids: Vec<Vec<f32>> = vec![vec![1.0, 5.0, 3.0, 10.0], vec![0.0, 0.0, 7.0, 2.0], vec![10.0, 9.0, 8.0, 4.0]];
        let max_abs = crate::quant::calibrate(&g, &ids).unwrap();
        let m = crate::quant::quantize(&g, &max_abs, &crate::QuantConfig::default()).unwrap();
        assert_eq!(m.input_scale, 0, "ids are integers");
        for x in &ids {
            // Our float forward against tract's run of the file.
            let (_, want) = crate::testing::tract_run_ids(&path, x);
            let got = crate::float::predict(&g, x).unwrap();
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
            }
            // The integer reference within its bound of the float model.
            let trace = m.quantize_input(x).and_then(|q| m.forward(&q)).unwrap();
            let out: Vec<i64> = trace.output().iter().copied().collect();
            let bound = crate::quant::error_bounds(&m, &trace).unwrap();
            for ((f, q), b) in got.iter().zip(m.dequantize_output(&out)).zip(bound.last().unwrap()) {
                assert!(((f - q).abs() as f64) <= b + 1e-5, "{f} vs {q} (bound {b})");
            }
            // The embedding layer itself is the rounded table row.
            let emb = &trace.tensors[1];
            assert_eq!(emb.len(), 24);
        }
    }
}
