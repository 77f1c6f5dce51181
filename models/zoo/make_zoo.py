#!/usr/bin/env python3
"""Builds the zkinfer model zoo from scikit-learn's bundled 8x8 digits data (no download).

Writes, next to this script:
  mlp.onnx          Gemm(64->32) Relu Gemm(32->10), trained with scikit-learn's MLPClassifier
  cnn.onnx          Conv(1->4,3x3,p1) Relu Conv(4->8,3x3,s2,p1) Relu Flatten Gemm(128->10), numpy SGD
  digits_test.json  the held-out test split in EZKL's input format plus labels
  calibration.json  the first 200 training samples (calibration set; never test samples)
  input.json        the first test sample (the README's default input)
and test fixtures under ../../tests/fixtures/ (random weights; they test import, not accuracy):
one small model per supported op under ops/, and malformed files for the error tests.

Pixels are scaled to [0, 1] (x / 16). Run: python3 models/zoo/make_zoo.py
Requires onnx, numpy, scikit-learn. Deterministic (fixed seeds).
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import nn

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "..", "tests", "fixtures")
OPSET = 13


def save(model, path):
    model.opset_import[0].version = OPSET
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


def graph(nodes, inits, in_shape, out_shape, name):
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)
    return helper.make_model(helper.make_graph(nodes, name, [x], [y], inits))


def write_json(path, xs, labels=None):
    d = {"input_data": [[round(float(v), 6) for v in x] for x in xs]}
    if labels is not None:
        d["labels"] = [int(l) for l in labels]
    with open(path, "w") as f:
        json.dump(d, f)
    print("wrote", os.path.relpath(path))


# ---------------------------------------------------------------- data
digits = load_digits()
X = (digits.data / 16.0).astype(np.float32)
y = digits.target
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)

# ---------------------------------------------------------------- MLP
mlp = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", max_iter=600, random_state=0)
mlp.fit(Xtr, ytr)
print("mlp test accuracy", mlp.score(Xte, yte))
W1, W2 = mlp.coefs_
b1, b2 = mlp.intercepts_
nodes = [
    helper.make_node("Gemm", ["input", "W1", "b1"], ["h1"], name="fc1"),
    helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
    helper.make_node("Gemm", ["a1", "W2", "b2"], ["output"], name="fc2"),
]
inits = [init("W1", W1), init("b1", b1), init("W2", W2), init("b2", b2)]
save(graph(nodes, inits, ["batch", 64], ["batch", 10], "mlp"), os.path.join(HERE, "mlp.onnx"))


# ---------------------------------------------------------------- CNN (numpy layers from nn.py)
rng = np.random.default_rng(0)
c1, c2, fc = nn.Conv(rng, 1, 4, 3, 1, 1), nn.Conv(rng, 4, 8, 3, 2, 1), nn.Linear(rng, 128, 10)
cnn = [c1, nn.Elementwise("relu"), c2, nn.Elementwise("relu"), nn.Flatten(), fc]
Xtr_img, Xte_img = Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)
nn.train(cnn, Xtr_img, ytr, epochs=40, lr=0.05, seed=1)
print("cnn test accuracy", (nn.predict(cnn, Xte_img) == yte).mean())
nodes = [
    helper.make_node("Conv", ["input", "C1", "c1b"], ["h1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
    helper.make_node("Conv", ["a1", "C2", "c2b"], ["h2"], name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
    helper.make_node("Relu", ["h2"], ["a2"], name="relu2"),
    helper.make_node("Flatten", ["a2"], ["f"], name="flatten", axis=1),
    helper.make_node("Gemm", ["f", "W", "b"], ["output"], name="fc"),
]
inits = [init("C1", c1.W), init("c1b", c1.b), init("C2", c2.W), init("c2b", c2.b), init("W", fc.W), init("b", fc.b)]
save(graph(nodes, inits, ["batch", 1, 8, 8], ["batch", 10], "cnn"), os.path.join(HERE, "cnn.onnx"))

# ---------------------------------------------------------------- data files
write_json(os.path.join(HERE, "digits_test.json"), Xte, yte)
write_json(os.path.join(HERE, "calibration.json"), Xtr[:200], ytr[:200])
write_json(os.path.join(HERE, "input.json"), Xte[:1])

# ---------------------------------------------------------------- test fixtures (random weights)
os.makedirs(FIX, exist_ok=True)
r = np.random.default_rng(7)

# Conv + BatchNormalization + Relu + MaxPool + AveragePool + GlobalAveragePool + Gemm, opset 13.
nodes = [
    helper.make_node("Conv", ["input", "C", "cb"], ["h"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization", ["h", "g", "be", "mu", "var"], ["bn"], name="bn", epsilon=1e-5),
    helper.make_node("Relu", ["bn"], ["a"], name="relu"),
    helper.make_node("MaxPool", ["a"], ["mp"], name="maxpool", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("AveragePool", ["mp"], ["ap"], name="avgpool", kernel_shape=[2, 2], strides=[1, 1]),
    helper.make_node("GlobalAveragePool", ["ap"], ["gp"], name="gap"),
    helper.make_node("Flatten", ["gp"], ["f"], name="flatten", axis=1),
    helper.make_node("Gemm", ["f", "W", "b"], ["output"], name="fc", transB=1),
]
inits = [init("C", r.standard_normal((4, 1, 3, 3)) * 0.5), init("cb", r.standard_normal(4) * 0.1),
         init("g", 1 + 0.1 * r.standard_normal(4)), init("be", 0.1 * r.standard_normal(4)),
         init("mu", 0.1 * r.standard_normal(4)), init("var", 1 + 0.1 * r.random(4)),
         init("W", r.standard_normal((10, 4)) * 0.5), init("b", r.standard_normal(10) * 0.1)]
save(graph(nodes, inits, [1, 1, 8, 8], [1, 10], "pool_bn"), os.path.join(FIX, "pool_bn.onnx"))

# Unsupported ops, listed together in one error: Sin and LogSoftmax (which tract declutters into
# Softmax, proved, and Ln, not).
nodes = [
    helper.make_node("Gemm", ["input", "W", "b"], ["h"], name="fc"),
    helper.make_node("Sin", ["h"], ["s"], name="weird_sin"),
    helper.make_node("LogSoftmax", ["s"], ["output"], name="final_log_softmax", axis=1),
]
inits = [init("W", r.standard_normal((64, 10))), init("b", np.zeros(10))]
save(graph(nodes, inits, [1, 64], [1, 10], "unsupported"), os.path.join(FIX, "unsupported.onnx"))

# MatMul + Add + Sub/Mul/Div by constants + Transpose + Reshape + Sigmoid + Tanh.
nodes = [
    helper.make_node("MatMul", ["input", "W"], ["m"], name="matmul"),
    helper.make_node("Add", ["m", "b"], ["h"], name="add_bias"),
    helper.make_node("Sub", ["h", "c"], ["h2"], name="sub_const"),
    helper.make_node("Mul", ["h2", "s"], ["h3"], name="mul_const"),
    helper.make_node("Div", ["h3", "d"], ["h4"], name="div_const"),
    helper.make_node("Sigmoid", ["h4"], ["sg"], name="sigmoid"),
    helper.make_node("Reshape", ["sg", "shape"], ["rs"], name="reshape"),
    helper.make_node("Transpose", ["rs"], ["tr"], name="transpose", perm=[0, 2, 1]),
    helper.make_node("Flatten", ["tr"], ["fl"], name="flatten", axis=1),
    helper.make_node("Tanh", ["fl"], ["th"], name="tanh"),
    helper.make_node("Gemm", ["th", "W2", "b2"], ["output"], name="fc2"),
]
inits = [init("W", r.standard_normal((64, 12)) * 0.3), init("b", r.standard_normal(12) * 0.1),
         init("c", 0.25), init("s", 1.5), init("d", 2.0),
         numpy_helper.from_array(np.array([1, 3, 4], dtype=np.int64), "shape"),
         init("W2", r.standard_normal((12, 10)) * 0.5), init("b2", r.standard_normal(10) * 0.1)]
save(graph(nodes, inits, [1, 64], [1, 10], "elementwise"), os.path.join(FIX, "elementwise.onnx"))

# ---------------------------------------------------------------- per-op fixtures (tests/fixtures/ops)
# One tiny model per supported op, random weights from one seeded generator. The Rust tests run
# each through tract and through zkinfer's float and integer references. Every model is checked
# here with onnx's reference evaluator so that the declared output shape is the real one.
from onnx.reference import ReferenceEvaluator  # noqa: E402

OPS = os.path.join(FIX, "ops")
os.makedirs(OPS, exist_ok=True)
q = np.random.default_rng(13)


def w(*shape, s=0.5):
    return q.standard_normal(shape) * s


def op(name, nodes, inits, in_shape, out_shape):
    m = graph(nodes, inits, in_shape, out_shape, name)
    path = os.path.join(OPS, name + ".onnx")
    save(m, path)
    x = np.zeros([1 if isinstance(d, str) else d for d in in_shape], np.float32)
    got = ReferenceEvaluator(onnx.load(path)).run(None, {"input": x})[0].shape
    want = tuple(1 if isinstance(d, str) else d for d in out_shape)
    assert got == want, (name, got, want)


N = helper.make_node
op("gemm", [N("Gemm", ["input", "W", "b"], ["output"], name="gemm")],
   [init("W", w(6, 4)), init("b", w(4))], [1, 6], [1, 4])
op("gemm_trans_a", [N("Gemm", ["input", "W"], ["output"], name="gemm", transA=1)],
   [init("W", w(6, 4))], [6, 3], [3, 4])
op("gemm_trans_b_alpha_beta",
   [N("Gemm", ["input", "W", "c"], ["output"], name="gemm", transB=1, alpha=0.7, beta=-1.5)],
   [init("W", w(4, 6)), init("c", w(1, 4))], [1, 6], [1, 4])
op("symbolic_batch", [N("Gemm", ["input", "W", "b"], ["output"], name="gemm")],
   [init("W", w(5, 3)), init("b", w(3))], ["N", 5], ["N", 3])
op("matmul", [N("MatMul", ["input", "W"], ["output"], name="matmul")],
   [init("W", w(5, 4))], [1, 3, 5], [1, 3, 4])
op("matmul_const_left", [N("MatMul", ["W", "input"], ["output"], name="matmul")],
   [init("W", w(4, 5))], [5, 3], [4, 3])
op("add_const", [N("Add", ["input", "c"], ["output"], name="add")],
   [init("c", w(3, 1, 1))], [1, 3, 2, 2], [1, 3, 2, 2])
op("sub_const", [N("Sub", ["input", "c1"], ["h"], name="sub"), N("Sub", ["c2", "h"], ["output"], name="rsub")],
   [init("c1", w(2)), init("c2", w(1, 1, 2))], [1, 3, 2], [1, 3, 2])
op("mul_const", [N("Mul", ["input", "c"], ["output"], name="mul")],
   [init("c", w(3, 1, 1, s=1.0))], [1, 3, 2, 2], [1, 3, 2, 2])
op("div_const", [N("Div", ["input", "c"], ["output"], name="div")],
   [init("c", np.array([2.0, -0.75, 4.0]))], [1, 2, 3], [1, 2, 3])
op("residual_add", [N("Gemm", ["input", "W", "b"], ["h"], name="gemm"), N("Add", ["h", "input"], ["output"], name="add")],
   [init("W", w(4, 4)), init("b", w(4))], [1, 4], [1, 4])
op("residual_sub", [N("MatMul", ["input", "W"], ["h"], name="matmul"), N("Sub", ["input", "h"], ["output"], name="sub")],
   [init("W", w(4, 4))], [1, 4], [1, 4])
op("relu", [N("Relu", ["input"], ["output"], name="relu")], [], [1, 8], [1, 8])
op("sigmoid", [N("Sigmoid", ["input"], ["output"], name="sigmoid")], [], [1, 8], [1, 8])
op("tanh", [N("Tanh", ["input"], ["output"], name="tanh")], [], [1, 8], [1, 8])
for act in ["Relu", "Sigmoid", "Tanh"]:
    op("gemm_" + act.lower(), [N("Gemm", ["input", "W", "b"], ["h"], name="gemm"), N(act, ["h"], ["output"], name="act")],
       [init("W", w(6, 4)), init("b", w(4))], [1, 6], [1, 4])
op("conv", [N("Conv", ["input", "K", "b"], ["output"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
   [init("K", w(3, 2, 3, 3)), init("b", w(3))], [1, 2, 5, 5], [1, 3, 5, 5])
op("conv_strided_no_bias",
   [N("Conv", ["input", "K"], ["output"], name="conv", kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 0, 1])],
   [init("K", w(2, 2, 3, 2))], [1, 2, 6, 7], [1, 2, 3, 7])
op("maxpool", [N("MaxPool", ["input"], ["output"], name="maxpool", kernel_shape=[2, 2], strides=[2, 2])],
   [], [1, 2, 4, 4], [1, 2, 2, 2])
op("maxpool_pad_stride", [N("MaxPool", ["input"], ["output"], name="maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])],
   [], [1, 2, 5, 5], [1, 2, 3, 3])
for incl in [0, 1]:
    op("avgpool_count_pad_%d" % incl,
       [N("AveragePool", ["input"], ["output"], name="avgpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
          count_include_pad=incl)], [], [1, 2, 5, 5], [1, 2, 3, 3])
op("global_avgpool", [N("GlobalAveragePool", ["input"], ["output"], name="gap")], [], [1, 3, 4, 4], [1, 3, 1, 1])
bn = lambda c: [init("g", 1 + w(c, s=0.2)), init("be", w(c, s=0.2)), init("mu", w(c, s=0.2)), init("var", 0.5 + q.random(c))]
op("batchnorm_after_conv",
   [N("Conv", ["input", "K", "b"], ["h"], name="conv", kernel_shape=[3, 3]),
    N("BatchNormalization", ["h", "g", "be", "mu", "var"], ["output"], name="bn", epsilon=1e-5)],
   [init("K", w(3, 2, 3, 3)), init("b", w(3))] + bn(3), [1, 2, 4, 4], [1, 3, 2, 2])
op("batchnorm_after_gemm",
   [N("Gemm", ["input", "W", "b"], ["h"], name="gemm"),
    N("BatchNormalization", ["h", "g", "be", "mu", "var"], ["output"], name="bn", epsilon=1e-5)],
   [init("W", w(6, 4)), init("b", w(4))] + bn(4), [1, 6], [1, 4])
op("flatten", [N("Flatten", ["input"], ["output"], name="flatten", axis=2)], [], [1, 2, 3, 2], [2, 6])
op("reshape", [N("Reshape", ["input", "shape"], ["output"], name="reshape")],
   [numpy_helper.from_array(np.array([0, 3, -1], dtype=np.int64), "shape")], [1, 2, 6], [1, 3, 4])
op("transpose", [N("Transpose", ["input"], ["output"], name="transpose", perm=[0, 3, 1, 2])], [], [1, 2, 3, 4], [1, 4, 2, 3])
op("identity_dropout_constant",
   [N("Identity", ["input"], ["i"], name="identity"), N("Dropout", ["i"], ["d"], name="dropout"),
    N("Constant", [], ["c"], name="constant", value=init("cv", w(5))), N("Add", ["d", "c"], ["output"], name="add")],
   [], [1, 5], [1, 5])

# Malformed files for the error tests: a truncated model, a file that is not ONNX at all, and a
# valid model whose weights hold a NaN.
W = w(6, 4)
W[2, 1] = np.nan
save(graph([N("Gemm", ["input", "W"], ["output"], name="gemm")], [init("W", W)], [1, 6], [1, 4], "nan_weight"),
     os.path.join(FIX, "nan_weight.onnx"))
with open(os.path.join(OPS, "conv.onnx"), "rb") as f:
    conv_bytes = f.read()
with open(os.path.join(FIX, "truncated.onnx"), "wb") as f:
    f.write(conv_bytes[: len(conv_bytes) // 2])
with open(os.path.join(FIX, "not_onnx.onnx"), "w") as f:
    f.write("this is a text file, not an ONNX protobuf\n")
print("wrote truncated.onnx, not_onnx.onnx")
