"""Runs an exported model.py with real PyTorch if it is installed, else with a numpy stand-in
for the few torch calls it makes, on the raw rows of a CSV file, and compares its predictions
with `backprop predict`'s. Prints one JSON line: which torch ran, the largest difference, the
labels that differ.

usage: standin.py EXPORT_DIR DATA.csv PREDICTIONS.csv

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

    def tensor(data, dtype=None):
        return np.array(data, dtype=np.float32).view(Tensor)

    def softmax(x, dim):
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        return (e / e.sum(axis=dim, keepdims=True)).view(Tensor)

    class NoGrad:
        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

    torch.tensor, torch.softmax, torch.no_grad = tensor, softmax, NoGrad
    torch.relu = lambda x: np.maximum(x, 0).view(Tensor)
    torch.sigmoid = lambda x: (1 / (1 + np.exp(-x))).view(Tensor)
    torch.tanh = lambda x: np.tanh(x).view(Tensor)
    nn = types.ModuleType("torch.nn")

    class Module:
        def __call__(self, *args):
            return self.forward(*args)

        def eval(self):
            return self

        def load_state_dict(self, state):
            for i, layer in enumerate(self.layers):
                layer.weight, layer.bias = state[f"layers.{i}.weight"], state[f"layers.{i}.bias"]

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

    nn.Module, nn.Linear, nn.Dropout, nn.ModuleList = Module, Linear, Dropout, list
    functional = types.ModuleType("torch.nn.functional")
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
with open(data_path, newline="", encoding="utf-8-sig") as f:
    rows = list(csv.DictReader(f))
result = model.predict(rows)
with open(predictions_path, newline="") as f:
    reader = csv.reader(f)
    next(reader)
    predicted = list(reader)
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
