"""JAX (jit) CPU inference of the MLP 784-256-128-10 (ReLU): latency of one sample (median of
2,000 calls, microseconds, each waited for) and throughput at batch 1024 (median of 30 calls,
samples/s). Threads: run under `taskset -c 0` for one. usage: infer_jax.py LABEL -> one JSON line"""
import json, sys, time
import numpy as np, jax, jax.numpy as jnp

label = sys.argv[1]
rng = np.random.default_rng(0)
params = [(jnp.asarray(rng.uniform(-1, 1, (i, o)).astype(np.float32) / np.sqrt(i)), jnp.zeros(o))
          for i, o in [(784, 256), (256, 128), (128, 10)]]
X = jnp.asarray(rng.standard_normal((1024, 784), dtype=np.float32))

@jax.jit
def forward(params, x):
    for W, b in params[:-1]:
        x = jax.nn.relu(x @ W + b)
    W, b = params[-1]
    return x @ W + b

def timed(x, n):
    out = []
    for _ in range(max(n // 10, 3)):
        forward(params, x).block_until_ready()
    for _ in range(n):
        t = time.perf_counter(); forward(params, x).block_until_ready(); out.append(time.perf_counter() - t)
    return float(np.median(out))

latency = timed(X[:1], 2000)
batch = timed(X, 30)
print(json.dumps({"tool": "jax", "version": jax.__version__, "workload": "infer", "threads": label,
                  "latency_us": round(latency * 1e6, 2), "samples_per_s": round(1024 / batch)}))
