"""PyTorch CPU: the default image network (cnn_common.py) on the first N MNIST training images:
training samples/s (Adam 1e-3, softmax cross-entropy, shuffled batches, no augmentation) for one
epoch after a warm-up epoch; and inference (eval mode, no grad): batch-1 latency (median of 200
calls) and batch-1024 samples/s (median of 5 passes over 4,096 images).
usage: cnn_torch.py MNIST_DIR THREADS BATCH N   -> one JSON line"""
import json, sys, time
import numpy as np, torch
from cnn_common import mnist, network

root, threads, batch, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
X, y = mnist(root)
X, y = X[:n], y[:n]
model = network()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
lossf = torch.nn.CrossEntropyLoss()


def epoch():
    model.train()
    perm = torch.randperm(len(X))
    tot = 0.0
    for i in range(0, len(X), batch):
        idx_b = perm[i:i + batch]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(X[idx_b]), y[idx_b])
        loss.backward()
        opt.step()
        tot += loss.item() * len(idx_b)
    return tot / len(X)


epoch()
t = time.perf_counter()
loss = epoch()
rate = len(X) / (time.perf_counter() - t)

model.eval()
with torch.inference_mode():
    one = X[:1]
    for _ in range(20):
        model(one)
    times = []
    for i in range(200):
        t = time.perf_counter()
        model(X[i:i + 1])
        times.append(time.perf_counter() - t)
    latency = float(np.median(times)) * 1e6
    big = X[:4096]
    rates = []
    for _ in range(5):
        t = time.perf_counter()
        for i in range(0, len(big), 1024):
            model(big[i:i + 1024])
        rates.append(len(big) / (time.perf_counter() - t))
print(json.dumps({"tool": "torch", "version": torch.__version__, "workload": "cnn", "threads": threads, "batch": batch,
                  "samples_per_s": round(rate), "last_loss": round(loss, 4), "latency_us": round(latency, 1),
                  "infer_samples_per_s": round(float(np.median(rates)))}))
