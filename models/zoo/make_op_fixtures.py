#!/usr/bin/env python3
"""Writes the per-op fixtures added after make_zoo.py (the ops transformers need) into
tests/fixtures/ops/ (random weights from one seeded generator; they test import and the
integer reference, not accuracy). Table activations beyond sigmoid and tanh:

  gelu.onnx              ONNX Gelu (opset 20)
  gelu_erf_chain.onnx    x * 0.5 * (1 + Erf(x / sqrt(2))), the chain torch's TorchScript
                         exporter writes for nn.GELU() below opset 20
  gelu_tanh.onnx         ONNX Gelu(approximate="tanh") (opset 20)
  gelu_tanh_chain.onnx   0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * Pow(x, 3)))), GPT-2's
                         gelu_new as exporters write it
  gemm_gelu.onnx         Gemm then the Erf chain (fused into one requant row)
  silu.onnx              x * Sigmoid(x)
  erf.onnx, hard_swish.onnx, abs.onnx
  gelu_pow2_chain.onnx   the tanh chain with Pow(x, 2): not a GELU; refused with its Square
                         and its product of activations named (an error test)
Wiring (values moved, not computed):
  slice.onnx             Slice of two axes, one with a step of 2
  split_add.onnx         Split into two halves, added back (two slices and a residual add)
  gather.onnx            Gather of three columns by constant indices (a head split)
  gather_scalar.onnx     Gather of one row by a scalar index (a class-token pick)
  concat_const.onnx      Concat of a constant row (a class token) and the input, then Gemm
  concat_two.onnx        Concat of Relu(x) and x
Products of two activations: see the end of this file.
and ../dynamic_sequence.onnx (a MatMul over a symbolic sequence length: an error test).

Run: python3 models/zoo/make_unary_ops.py   (needs onnx and numpy; checked with onnx's
reference evaluator so that each declared output shape is the real one)
"""
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

HERE = os.path.dirname(os.path.abspath(__file__))
OPS = os.path.join(HERE, "..", "..", "tests", "fixtures", "ops")
q = np.random.default_rng(29)
N = helper.make_node


def c(name, v):
    return numpy_helper.from_array(np.asarray(v, dtype=np.float32), name)


def op(name, nodes, inits, in_shape, out_shape, opset=13):
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)
    m = helper.make_model(helper.make_graph(nodes, name, [x], [y], inits))
    m.opset_import[0].version = opset
    m.ir_version = 8 if opset < 20 else 9
    onnx.checker.check_model(m)
    path = os.path.join(OPS, name + ".onnx")
    onnx.save(m, path)
    xs = np.linspace(-3, 3, int(np.prod(in_shape)), dtype=np.float32).reshape(in_shape)
    got = ReferenceEvaluator(onnx.load(path)).run(None, {"input": xs})[0]
    assert got.shape == tuple(out_shape), (name, got.shape, out_shape)
    print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")
    return got


def erf_chain(x, out, p=""):
    return [N("Div", [x, p + "sqrt2"], [p + "d"], name=p + "div"), N("Erf", [p + "d"], [p + "e"], name=p + "erf"),
            N("Add", [p + "e", p + "one"], [p + "a"], name=p + "add"), N("Mul", [x, p + "a"], [p + "m"], name=p + "mul"),
            N("Mul", [p + "m", p + "half"], [out], name=p + "mul_half")], \
           [c(p + "sqrt2", math.sqrt(2.0)), c(p + "one", 1.0), c(p + "half", 0.5)]


def tanh_chain(x, out, power):
    return [N("Pow", [x, "three"], ["p"], name="pow"), N("Mul", ["p", "k"], ["pk"], name="mul_k"),
            N("Add", [x, "pk"], ["s"], name="add_x"), N("Mul", ["s", "r"], ["sr"], name="mul_r"),
            N("Tanh", ["sr"], ["t"], name="tanh"), N("Add", ["t", "one"], ["a"], name="add_one"),
            N("Mul", [x, "half"], ["hx"], name="half_x"), N("Mul", ["hx", "a"], [out], name="mul")], \
           [c("three", float(power)), c("k", 0.044715), c("r", math.sqrt(2.0 / math.pi)), c("one", 1.0), c("half", 0.5)]


op("gelu", [N("Gelu", ["input"], ["output"], name="gelu")], [], [1, 8], [1, 8], opset=20)
op("gelu_tanh", [N("Gelu", ["input"], ["output"], name="gelu", approximate="tanh")], [], [1, 8], [1, 8], opset=20)
nodes, inits = erf_chain("input", "output")
op("gelu_erf_chain", nodes, inits, [1, 8], [1, 8])
nodes, inits = tanh_chain("input", "output", 3)
op("gelu_tanh_chain", nodes, inits, [1, 8], [1, 8])
nodes, inits = tanh_chain("input", "output", 2)
op("gelu_pow2_chain", nodes, inits, [1, 8], [1, 8])
nodes, inits = erf_chain("h", "output")
op("gemm_gelu", [N("Gemm", ["input", "W", "b"], ["h"], name="gemm")] + nodes,
   [c("W", q.standard_normal((6, 4)) * 0.5), c("b", q.standard_normal(4) * 0.5)] + inits, [1, 6], [1, 4])
op("silu", [N("Sigmoid", ["input"], ["s"], name="sigmoid"), N("Mul", ["input", "s"], ["output"], name="mul")],
   [], [1, 8], [1, 8])
op("erf", [N("Erf", ["input"], ["output"], name="erf")], [], [1, 8], [1, 8])
op("hard_swish", [N("HardSwish", ["input"], ["output"], name="hard_swish")], [], [1, 8], [1, 8], opset=14)
op("abs", [N("Abs", ["input"], ["output"], name="abs")], [], [1, 8], [1, 8])

I = lambda name, v: numpy_helper.from_array(np.asarray(v, dtype=np.int64), name)
op("slice", [N("Slice", ["input", "st", "en", "ax", "sp"], ["output"], name="slice")],
   [I("st", [1, 0]), I("en", [3, 6]), I("ax", [1, 2]), I("sp", [1, 2])], [1, 4, 6], [1, 2, 3])
op("split_add", [N("Split", ["input", "sizes"], ["a", "b"], name="split", axis=1), N("Add", ["a", "b"], ["output"], name="add")],
   [I("sizes", [4, 4])], [1, 8], [1, 4])
op("gather", [N("Gather", ["input", "idx"], ["output"], name="gather", axis=2)], [I("idx", [2, 0, 3])], [1, 2, 5], [1, 2, 3])
op("gather_scalar", [N("Gather", ["input", "idx"], ["output"], name="gather", axis=1)],
   [numpy_helper.from_array(np.array(0, dtype=np.int64), "idx")], [1, 3, 4], [1, 4])
op("concat_const", [N("Concat", ["tok", "input"], ["c"], name="concat", axis=1),
                    N("Reshape", ["c", "shape"], ["f"], name="flatten"), N("Gemm", ["f", "W", "b"], ["output"], name="gemm")],
   [c("tok", q.standard_normal((1, 1, 4)) * 0.5), I("shape", [1, 12]), c("W", q.standard_normal((12, 3)) * 0.5),
    c("b", q.standard_normal(3) * 0.1)], [1, 2, 4], [1, 3])
op("concat_two", [N("Relu", ["input"], ["r"], name="relu"), N("Concat", ["r", "input"], ["output"], name="concat", axis=1)],
   [], [1, 5], [1, 10])

# A model whose sequence length is symbolic (as torch exports with dynamic_axes): refused with
# the input, the axis and the fix named (an error test, tests/fixtures/dynamic_sequence.onnx).
x = helper.make_tensor_value_info("tokens", TensorProto.FLOAT, [1, "sequence", 5])
y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, "sequence", 4])
m = helper.make_model(helper.make_graph([N("MatMul", ["tokens", "W"], ["output"], name="matmul")], "dynamic_sequence",
                                        [x], [y], [c("W", q.standard_normal((5, 4)) * 0.5)]))
m.opset_import[0].version = 13
m.ir_version = 8
onnx.checker.check_model(m)
path = os.path.join(OPS, "..", "dynamic_sequence.onnx")
onnx.save(m, path)
print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")

# Products of two activations (the Freivalds chip). Appended after every earlier use of `q`, so
# the fixtures above are unchanged.
#   attention_heads.onnx  two-head self-attention without softmax as torch writes it: Q, K, V
#                         projections, Reshape + Transpose into heads, MatMul(Q, Transpose(K)),
#                         Mul by 1/sqrt(d), MatMul(scores, V), Transpose + Reshape back
#   mul_two.onnx          Mul of the input and a MatMul of it (element-wise product)
#   mul_square.onnx       Mul(x, x) (tract makes it Square)
S, D, H = 4, 6, 2
op("attention_heads",
   [N("MatMul", ["input", "Wq"], ["q"], name="q_proj"), N("MatMul", ["input", "Wk"], ["k"], name="k_proj"),
    N("MatMul", ["input", "Wv"], ["v"], name="v_proj"),
    N("Reshape", ["q", "heads"], ["qh"], name="q_heads"), N("Transpose", ["qh"], ["qt"], name="q_t", perm=[0, 2, 1, 3]),
    N("Reshape", ["k", "heads"], ["kh"], name="k_heads"), N("Transpose", ["kh"], ["kt"], name="k_t", perm=[0, 2, 3, 1]),
    N("Reshape", ["v", "heads"], ["vh"], name="v_heads"), N("Transpose", ["vh"], ["vt"], name="v_t", perm=[0, 2, 1, 3]),
    N("MatMul", ["qt", "kt"], ["s"], name="scores"), N("Mul", ["s", "scale"], ["ss"], name="scale"),
    N("MatMul", ["ss", "vt"], ["o"], name="attn_v"), N("Transpose", ["o"], ["ot"], name="o_t", perm=[0, 2, 1, 3]),
    N("Reshape", ["ot", "merged"], ["output"], name="merge")],
   [c("Wq", q.standard_normal((D, D)) * 0.4), c("Wk", q.standard_normal((D, D)) * 0.4),
    c("Wv", q.standard_normal((D, D)) * 0.4), I("heads", [1, S, H, D // H]), c("scale", 1.0 / math.sqrt(D // H)),
    I("merged", [1, S, D])], [1, S, D], [1, S, D])
op("mul_two", [N("MatMul", ["input", "W"], ["h"], name="matmul"), N("Mul", ["input", "h"], ["output"], name="mul")],
   [c("W", q.standard_normal((4, 4)) * 0.5)], [1, 2, 4], [1, 2, 4])
op("mul_square", [N("Mul", ["input", "input"], ["output"], name="square")], [], [1, 8], [1, 8])

# Softmax (its own op in tract):
#   softmax.onnx            Softmax along the last axis of [1, 3, 5]
#   softmax_axis1.onnx      Softmax along axis 1 of [1, 3, 5]
#   attention_softmax.onnx  attention_heads with Softmax(scores) before scores·V
op("softmax", [N("Softmax", ["input"], ["output"], name="softmax", axis=-1)], [], [1, 3, 5], [1, 3, 5])
op("softmax_axis1", [N("Softmax", ["input"], ["output"], name="softmax", axis=1)], [], [1, 3, 5], [1, 3, 5])
att = onnx.load(os.path.join(OPS, "attention_heads.onnx"))
g = att.graph
for node in g.node:
    if node.name == "attn_v":
        node.input[0] = "p"
g.node.insert([n.name for n in g.node].index("attn_v"), N("Softmax", ["ss"], ["p"], name="softmax", axis=-1))
g.name = "attention_softmax"
onnx.checker.check_model(att)
path = os.path.join(OPS, "attention_softmax.onnx")
onnx.save(att, path)
print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")

# Constant-condition Where (tract's Iff), as torch's exporters write masked_fill:
#   causal_softmax.onnx  Where(triu mask, -inf, x) then Softmax: a causal attention mask
#   causal_finfo.onnx    the same with torch.finfo(float32).min (Hugging Face's fill) and the
#                        branches swapped: Where(tril, x, min)
#   where_const.onnx     Where(mask, x, 0.5): finite, an index map with constants
#   masked_relu.onnx     Where(mask, -inf, x) then Relu: refused (only a Softmax reads a mask)
B = lambda name, v: numpy_helper.from_array(np.asarray(v, dtype=bool), name)
T = 4
upper = np.triu(np.ones((1, T, T)), 1).astype(bool)
op("causal_softmax", [N("Where", ["m", "ninf", "input"], ["w"], name="masked_fill"),
                      N("Softmax", ["w"], ["output"], name="softmax", axis=-1)],
   [B("m", upper), c("ninf", -np.inf)], [1, T, T], [1, T, T])
op("causal_finfo", [N("Where", ["m", "input", "lo"], ["w"], name="where"),
                    N("Softmax", ["w"], ["output"], name="softmax", axis=-1)],
   [B("m", ~upper), c("lo", np.finfo(np.float32).min)], [1, T, T], [1, T, T])
op("where_const", [N("Where", ["m", "input", "half"], ["output"], name="where")],
   [B("m", [[True, False, True, False, False, True]]), c("half", 0.5)], [1, 6], [1, 6])
op("masked_relu", [N("Where", ["m", "ninf", "input"], ["w"], name="masked_fill"), N("Relu", ["w"], ["output"], name="relu")],
   [B("m", upper), c("ninf", -np.inf)], [1, T, T], [1, T, T])

# Normalization (tract declutters LayerNormalization into Reduce<Sum>, Mul, Sub, its RmsNorm and
# the scale and shift):
#   layer_norm.onnx       LayerNormalization over the last axis of [1, 3, 8] with scale and bias
#   rms_norm_chain.onnx   x / Sqrt(ReduceMean(x * x) + eps), the decomposed RMS norm
op("layer_norm", [N("LayerNormalization", ["input", "g", "b"], ["output"], name="ln", axis=-1, epsilon=1e-5)],
   [c("g", 1 + 0.3 * q.standard_normal(8)), c("b", 0.2 * q.standard_normal(8))], [1, 3, 8], [1, 3, 8], opset=17)
op("rms_norm_chain", [N("Mul", ["input", "input"], ["sq"], name="square"),
                      N("ReduceMean", ["sq"], ["ms"], name="mean", axes=[-1], keepdims=1),
                      N("Add", ["ms", "eps"], ["mse"], name="add_eps"), N("Sqrt", ["mse"], ["r"], name="sqrt"),
                      N("Div", ["input", "r"], ["output"], name="div")],
   [c("eps", 1e-6)], [1, 3, 8], [1, 3, 8])

# Embeddings, as torch exports nn.Embedding: an int64 input of token ids, Gather of the table's
# rows (tract casts our f32 view of the ids to i64 before it), a position embedding folded to a
# constant Add, then a MatMul:
#   embedding.onnx   ids [1, 4] in a vocabulary of 11, width 6 -> [1, 4, 3]
ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 4])
y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 4, 3])
m = helper.make_model(helper.make_graph(
    [N("Gather", ["tok", "ids"], ["e"], name="tok_embedding", axis=0), N("Add", ["e", "pos"], ["h"], name="add_pos"),
     N("MatMul", ["h", "W"], ["output"], name="fc")], "embedding", [ids], [y],
    [c("tok", q.standard_normal((11, 6))), c("pos", q.standard_normal((1, 4, 6)) * 0.5), c("W", q.standard_normal((6, 3)) * 0.4)]))
m.opset_import[0].version = 13
m.ir_version = 8
onnx.checker.check_model(m)
path = os.path.join(OPS, "embedding.onnx")
onnx.save(m, path)
got = ReferenceEvaluator(onnx.load(path)).run(None, {"ids": np.array([[1, 5, 3, 10]], dtype=np.int64)})[0]
assert got.shape == (1, 4, 3)
print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")
#   causal_add.onnx      Add(x, (1 - tril) * finfo.min) then Softmax: Hugging Face's additive
#                        causal mask (a constant of 0 and finfo.min, broadcast over heads)
op("causal_add", [N("Add", ["input", "addmask"], ["w"], name="add_mask"), N("Softmax", ["w"], ["output"], name="softmax", axis=-1)],
   [c("addmask", np.where(upper, np.finfo(np.float32).min, 0.0).reshape(1, 1, T, T))], [1, 2, T, T], [1, 2, T, T])
