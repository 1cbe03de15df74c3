"""numpy inference of the MLP 784-256-128-10 (ReLU) by hand (x @ W + b, maximum): latency of
one sample (median of 2,000 calls, microseconds) and throughput at batch 1024 (median of 30
calls, samples/s). usage: infer_numpy.py THREADS -> one JSON line"""
import json, sys, time
import numpy as np
from threadpoolctl import threadpool_limits

threads = int(sys.argv[1])
rng = np.random.default_rng(0)
layers = [(rng.uniform(-1, 1, (i, o)).astype(np.float32) / np.sqrt(i), np.zeros(o, np.float32))
          for i, o in [(784, 256), (256, 128), (128, 10)]]
X = rng.standard_normal((1024, 784), dtype=np.float32)

def forward(x):
    for j, (W, b) in enumerate(layers):
        x = x @ W + b
        if j < len(layers) - 1:
            x = np.maximum(x, 0)
    return x

def timed(x, n):
    out = []
    for _ in range(max(n // 10, 3)):
        forward(x)
    for _ in range(n):
        t = time.perf_counter(); forward(x); out.append(time.perf_counter() - t)
    return float(np.median(out))

with threadpool_limits(limits=threads, user_api="blas"):
    latency = timed(X[:1], 2000)
    batch = timed(X, 30)
print(json.dumps({"tool": "numpy", "version": np.__version__, "workload": "infer", "threads": threads,
                  "latency_us": round(latency * 1e6, 2), "samples_per_s": round(1024 / batch)}))
