"""Tiny numpy layers with manual backward passes, for training the zoo models offline.

Each layer has fwd(x), bwd(grad) and params() -> [(array, grad_attr)]. im2col convolutions.
"""
import numpy as np


def im2col(x, kh, kw, stride, pad):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (w + 2 * pad - kw) // stride + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1), oh, ow


def col2im(cols, shape, kh, kw, stride, pad, oh, ow):
    n, c, h, w = shape
    cols = cols.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[:, :, i, j]
    return xp[:, :, pad:pad + h, pad:pad + w]


class Conv:
    def __init__(self, rng, cin, cout, k, stride, pad):
        self.W = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
        self.b = np.zeros(cout, np.float32)
        self.k, self.stride, self.pad = k, stride, pad

    def fwd(self, x):
        self.xshape = x.shape
        self.cols, self.oh, self.ow = im2col(x, self.k, self.k, self.stride, self.pad)
        out = self.cols @ self.W.reshape(self.W.shape[0], -1).T + self.b
        return out.reshape(x.shape[0], self.oh, self.ow, -1).transpose(0, 3, 1, 2)

    def bwd(self, g):
        g2 = g.transpose(0, 2, 3, 1).reshape(-1, self.W.shape[0])
        self.dW = (g2.T @ self.cols).reshape(self.W.shape)
        self.db = g2.sum(0)
        dcols = g2 @ self.W.reshape(self.W.shape[0], -1)
        return col2im(dcols, self.xshape, self.k, self.k, self.stride, self.pad, self.oh, self.ow)

    def params(self):
        return [(self.W, "dW"), (self.b, "db")]


class Linear:
    def __init__(self, rng, nin, nout):
        self.W = (rng.standard_normal((nin, nout)) * np.sqrt(2.0 / nin)).astype(np.float32)
        self.b = np.zeros(nout, np.float32)

    def fwd(self, x):
        self.x = x
        return x @ self.W + self.b

    def bwd(self, g):
        self.dW = self.x.T @ g
        self.db = g.sum(0)
        return g @ self.W.T

    def params(self):
        return [(self.W, "dW"), (self.b, "db")]


class Elementwise:
    """f and its derivative expressed through the output y."""

    def __init__(self, kind):
        self.kind = kind

    def fwd(self, x):
        if self.kind == "relu":
            self.y = np.maximum(x, 0)
        elif self.kind == "sigmoid":
            self.y = 1 / (1 + np.exp(-x))
        else:
            self.y = np.tanh(x)
        return self.y

    def bwd(self, g):
        if self.kind == "relu":
            return g * (self.y > 0)
        if self.kind == "sigmoid":
            return g * self.y * (1 - self.y)
        return g * (1 - self.y ** 2)

    def params(self):
        return []


class AvgPool2:
    """2x2 average pooling with stride 2."""

    def fwd(self, x):
        n, c, h, w = x.shape
        self.shape = x.shape
        return x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))

    def bwd(self, g):
        return np.repeat(np.repeat(g, 2, axis=2), 2, axis=3) / 4.0

    def params(self):
        return []


class Flatten:
    def fwd(self, x):
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def bwd(self, g):
        return g.reshape(self.shape)

    def params(self):
        return []


class Residual:
    """y = x + inner(x)."""

    def __init__(self, inner):
        self.inner = inner

    def fwd(self, x):
        h = x
        for l in self.inner:
            h = l.fwd(h)
        return x + h

    def bwd(self, g):
        gi = g
        for l in reversed(self.inner):
            gi = l.bwd(gi)
        return g + gi

    def params(self):
        return [p for l in self.inner for p in l.params()]


def _params_owner(layer):
    return [(layer, arr, gname) for arr, gname in layer.params()]


def all_params(layers):
    out = []
    for l in layers:
        if isinstance(l, Residual):
            out += all_params(l.inner)
        else:
            out += _params_owner(l)
    return out


def train(layers, X, y, epochs, lr, seed, batch=32, decay=0.97):
    """Softmax cross-entropy, plain SGD with learning-rate decay."""
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    params = all_params(layers)
    for _ in range(epochs):
        perm = rng.permutation(n)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            h = X[idx]
            for l in layers:
                h = l.fwd(h)
            p = np.exp(h - h.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            g = p.copy()
            g[np.arange(len(idx)), y[idx]] -= 1
            g /= len(idx)
            for l in reversed(layers):
                g = l.bwd(g)
            for owner, arr, gname in params:
                arr -= lr * getattr(owner, gname)
        lr *= decay


def predict(layers, X):
    h = X
    for l in layers:
        h = l.fwd(h)
    return h.argmax(1)
