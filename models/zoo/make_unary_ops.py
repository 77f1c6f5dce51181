#!/usr/bin/env python3
"""Writes the per-op fixtures of the table activations beyond sigmoid and tanh into
tests/fixtures/ops/ (random weights from one seeded generator; they test import and the
integer reference, not accuracy):

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
