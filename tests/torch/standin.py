"""Runs an exported model.py with real PyTorch if it is installed, else with a numpy stand-in
for the few torch calls it makes, on the raw rows of a CSV file, and compares its predictions
with `backprop predict`'s. Prints one JSON line: which torch ran, the largest difference, the
labels that differ.

usage: standin.py EXPORT_DIR DATA PREDICTIONS.csv

DATA is the CSV file predict read, or for an image model the folder (the files are then the
ones predict listed, each read by model.py's own encode() with Pillow).

The stand-in is not PyTorch: it checks that the generated preprocessing, layers and
activations compute what backprop computes; the real thing is checked where torch exists.
"""
import csv, importlib, json, math, sys, types

import numpy as np

folder, data_path, predictions_path = sys.argv[1:4]


def stand_in():
    torch = types.ModuleType("torch")
    torch.float32 = np.float32

    class Tensor(np.ndarray):
        def tolist(self):
            return np.asarray(self).tolist()

        def argmax(self, dim):
            return np.asarray(self).argmax(axis=dim).view(Tensor)

        def mean(self, dim):
            return np.asarray(self).mean(axis=dim).view(Tensor)

    def tensor(data, dtype=None):
        return np.array(data, dtype=np.float32).view(Tensor)

    def flatten(x, start):
        return np.asarray(x).reshape(x.shape[0], -1).view(Tensor)

    def softmax(x, dim):
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        return (e / e.sum(axis=dim, keepdims=True)).view(Tensor)

    class NoGrad:
        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

    torch.tensor, torch.softmax, torch.no_grad, torch.flatten = tensor, softmax, NoGrad, flatten
    torch.relu = lambda x: np.maximum(x, 0).view(Tensor)
    torch.sigmoid = lambda x: (1 / (1 + np.exp(-x))).view(Tensor)
    torch.tanh = lambda x: np.tanh(x).view(Tensor)
    nn = types.ModuleType("torch.nn")

    class Module:
        training = False  # evaluation mode throughout

        def __call__(self, *args):
            return self.forward(*args)

        def eval(self):
            return self

        def state_dict(self):
            return {}

        def load_state_dict(self, state):
            names = {key.rsplit(".", 1)[0] for key in state}
            assert names == {f"layers.{i}" for i in range(len(self.layers))}, sorted(names)
            used = set()
            for i, layer in enumerate(self.layers):
                for key in ("weight", "bias", "running_mean", "running_var"):
                    if hasattr(layer, key):
                        setattr(layer, key, state[f"layers.{i}.{key}"])
                        used.add(f"layers.{i}.{key}")
            assert used == set(state), sorted(set(state) - used)

    class Linear(Module):
        def __init__(self, a, b):
            self.weight, self.bias = np.zeros((b, a), np.float32), np.zeros(b, np.float32)

        def forward(self, x):
            return (x @ self.weight.T + self.bias).view(Tensor)

    class Dropout(Module):  # evaluation mode: the identity
        def __init__(self, p):
            pass

        def forward(self, x):
            return x

    def windows(x, kernel, stride, padding, dilation, fill):
        """Each output position's window: [N, C, OH, OW, K, K], padding filled with `fill`."""
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=fill)
        span = dilation * (kernel - 1) + 1
        oh, ow = (x.shape[2] - span) // stride + 1, (x.shape[3] - span) // stride + 1
        out = np.empty(x.shape[:2] + (oh, ow, kernel, kernel), x.dtype)
        for u in range(kernel):
            for v in range(kernel):
                rows = slice(u * dilation, u * dilation + stride * (oh - 1) + 1, stride)
                cols = slice(v * dilation, v * dilation + stride * (ow - 1) + 1, stride)
                out[..., u, v] = x[:, :, rows, cols]
        return out

    class Conv2d(Module):
        def __init__(self, c, filters, kernel, stride, padding, dilation):
            self.weight, self.bias = None, None
            self.geometry = (kernel, stride, padding, dilation)

        def forward(self, x):
            patches = windows(np.asarray(x), *self.geometry, 0.0)
            out = np.einsum("ncijuv,fcuv->nfij", patches, self.weight) + self.bias[:, None, None]
            return out.astype(np.float32).view(Tensor)

    class BatchNorm(Module):  # evaluation mode: the running statistics
        def __init__(self, channels):
            self.weight = self.bias = self.running_mean = self.running_var = None

        def forward(self, x):
            shape = (1, -1) + (1,) * (x.ndim - 2)
            scale = self.weight / np.sqrt(self.running_var + 1e-5)
            return ((x - self.running_mean.reshape(shape)) * scale.reshape(shape) + self.bias.reshape(shape)).view(Tensor)

    def max_pool2d(x, kernel, stride, padding):
        return windows(np.asarray(x), kernel, stride, padding, 1, -np.inf).max(axis=(4, 5)).view(Tensor)

    def avg_pool2d(x, kernel, stride, padding, count_include_pad):
        assert count_include_pad
        return windows(np.asarray(x), kernel, stride, padding, 1, 0.0).mean(axis=(4, 5)).view(Tensor)

    nn.Module, nn.Linear, nn.Dropout, nn.ModuleList = Module, Linear, Dropout, list
    nn.Conv2d, nn.BatchNorm1d, nn.BatchNorm2d = Conv2d, BatchNorm, BatchNorm
    functional = types.ModuleType("torch.nn.functional")
    functional.max_pool2d, functional.avg_pool2d = max_pool2d, avg_pool2d
    functional.dropout = lambda x, p, training: x
    functional.leaky_relu = lambda x, slope: np.where(x > 0, x, slope * x).view(Tensor)
    functional.silu = lambda x: (x / (1 + np.exp(-x))).view(Tensor)
    c = math.sqrt(2 / math.pi)
    functional.gelu = lambda x, approximate: (0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x ** 3)))).view(Tensor)
    torch.nn, nn.functional = nn, functional
    from safetensors.numpy import load_file
    st = types.ModuleType("safetensors.torch")
    st.load_file = load_file
    sys.modules.update({"torch": torch, "torch.nn": nn, "torch.nn.functional": functional, "safetensors.torch": st})


try:
    import torch  # noqa: F401
    which = "torch " + torch.__version__
except ImportError:
    stand_in()
    which = "numpy stand-in"
sys.path.insert(0, folder)
model = importlib.import_module("model")
with open(predictions_path, newline="") as f:
    reader = csv.reader(f)
    next(reader)
    predicted = list(reader)
if model.IMAGE is not None:  # the files predict read, and its rows without the file column
    rows = [row[0] for row in predicted]
    predicted = [row[1:] for row in predicted]
else:
    with open(data_path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
result = model.predict(rows)
if model.CLASSES is None:
    ours = np.array([[float(x) for x in row] for row in predicted])
    theirs = np.array(result, dtype=np.float64)
    diff, wrong = float((np.abs(theirs - ours) / np.maximum(1.0, np.abs(ours))).max()), 0
else:
    labels, probabilities = result
    ours = np.array([[float(x) for x in row[1:]] for row in predicted])
    diff = float(np.abs(np.array(probabilities) - ours).max())
    wrong = sum(a != row[0] for a, row in zip(labels, predicted))
print(json.dumps({"torch": which, "max_diff": diff, "labels_differing": wrong}))
