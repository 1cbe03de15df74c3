"""PyTorch CPU inference of the MLP 784-256-128-10 (ReLU), under torch.inference_mode():
latency of one sample (median of 2,000 calls, microseconds) and throughput at batch 1024
(median of 30 calls, samples/s). usage: infer_torch.py THREADS -> one JSON line"""
import json, sys, time
import numpy as np, torch

threads = int(sys.argv[1])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                            torch.nn.Linear(128, 10)).eval()
X = torch.from_numpy(np.random.default_rng(0).standard_normal((1024, 784), dtype=np.float32))

def timed(x, n):
    out = []
    with torch.inference_mode():
        for _ in range(max(n // 10, 3)):
            model(x)
        for _ in range(n):
            t = time.perf_counter(); model(x); out.append(time.perf_counter() - t)
    return float(np.median(out))

latency = timed(X[:1], 2000)
batch = timed(X, 30)
print(json.dumps({"tool": "torch", "version": torch.__version__, "workload": "infer", "threads": threads,
                  "latency_us": round(latency * 1e6, 2), "samples_per_s": round(1024 / batch)}))
