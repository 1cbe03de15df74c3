"""The default image network of `backprop train` (pipeline's IMAGE_LAYERS: conv 32 5, batchnorm,
relu, maxpool 2, conv 64 5, batchnorm, relu, maxpool 2, dense 256, relu, dropout 0.3, then the
output dense 10) in PyTorch, and MNIST read from its IDX files, pixels / 255."""
import gzip, os
import numpy as np, torch


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist(root, part="train"):
    prefix = "train" if part == "train" else "t10k"
    x = idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz")).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    y = idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def network():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 5), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, 10))
