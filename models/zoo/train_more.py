#!/usr/bin/env python3
"""Zoo models for the wider op set, trained on scikit-learn's bundled 8x8 digits (no download).

Writes next to this script:
  resnet.onnx   Conv(1->8,3x3,p1) Relu, residual block [Conv(8->8,3x3,p1) Relu] + skip,
                AveragePool 2x2/2, Flatten, Gemm(128->10)
  smooth.onnx   Gemm(64->32) Tanh Gemm(32->16) Sigmoid Gemm(16->10)
Uses the same split as make_zoo.py (test_size=0.25, random_state=0, stratified), so
digits_test.json is their test set too. Run: python3 models/zoo/train_more.py (deterministic).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


def save(nodes, inits, in_shape, name):
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 10])
    model = helper.make_model(helper.make_graph(nodes, name, [x], [y], inits))
    model.opset_import[0].version = 13
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(model, path)
    print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")


digits = load_digits()
X = (digits.data / 16.0).astype(np.float32)
Xtr, Xte, ytr, yte = train_test_split(X, digits.target, test_size=0.25, random_state=0, stratify=digits.target)

# ---------------------------------------------------------------- residual CNN with average pooling
rng = np.random.default_rng(3)
c1, c2, fc = nn.Conv(rng, 1, 8, 3, 1, 1), nn.Conv(rng, 8, 8, 3, 1, 1), nn.Linear(rng, 128, 10)
c2.W *= 0.5
net = [c1, nn.Elementwise("relu"), nn.Residual([c2, nn.Elementwise("relu")]), nn.AvgPool2(), nn.Flatten(), fc]
nn.train(net, Xtr.reshape(-1, 1, 8, 8), ytr, epochs=30, lr=0.03, seed=4)
print("resnet test accuracy", (nn.predict(net, Xte.reshape(-1, 1, 8, 8)) == yte).mean())
nodes = [
    helper.make_node("Conv", ["input", "C1", "c1b"], ["h1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
    helper.make_node("Conv", ["a1", "C2", "c2b"], ["h2"], name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["h2"], ["a2"], name="relu2"),
    helper.make_node("Add", ["a1", "a2"], ["res"], name="residual_add"),
    helper.make_node("AveragePool", ["res"], ["p"], name="avgpool", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
    helper.make_node("Gemm", ["f", "W", "b"], ["output"], name="fc"),
]
save(nodes, [init("C1", c1.W), init("c1b", c1.b), init("C2", c2.W), init("c2b", c2.b), init("W", fc.W), init("b", fc.b)],
     ["batch", 1, 8, 8], "resnet")

# ---------------------------------------------------------------- MLP with tanh and sigmoid
rng = np.random.default_rng(5)
l1, l2, l3 = nn.Linear(rng, 64, 32), nn.Linear(rng, 32, 16), nn.Linear(rng, 16, 10)
net = [l1, nn.Elementwise("tanh"), l2, nn.Elementwise("sigmoid"), l3]
nn.train(net, Xtr, ytr, epochs=80, lr=0.2, seed=6, decay=0.98)
print("smooth test accuracy", (nn.predict(net, Xte) == yte).mean())
nodes = [
    helper.make_node("Gemm", ["input", "W1", "b1"], ["h1"], name="fc1"),
    helper.make_node("Tanh", ["h1"], ["a1"], name="tanh"),
    helper.make_node("Gemm", ["a1", "W2", "b2"], ["h2"], name="fc2"),
    helper.make_node("Sigmoid", ["h2"], ["a2"], name="sigmoid"),
    helper.make_node("Gemm", ["a2", "W3", "b3"], ["output"], name="fc3"),
]
save(nodes, [init("W1", l1.W), init("b1", l1.b), init("W2", l2.W), init("b2", l2.b), init("W3", l3.W), init("b3", l3.b)],
     ["batch", 64], "smooth")
