"""PyTorch CPU: `backprop train`'s default image recipe on MNIST, for a whole-run comparison: the
default network (cnn_common.py), Adam 1e-3, batch 64, cosine decay to 0 over EPOCHS (set per
step), each training image shifted by a random (dy, dx) uniform in ±SHIFT pixels and sampled
bilinearly with zeros outside (as backprop's augmentation), 10 % of the training file held out
for validation (the epoch with the lowest validation loss is tested).
usage: mnist_cnn_torch.py MNIST_DIR THREADS [EPOCHS [SHIFT]] -> one JSON line"""
import json, math, sys
import torch
import torch.nn.functional as F
from cnn_common import mnist, network

root, threads = sys.argv[1], int(sys.argv[2])
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 12
shift = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
torch.set_num_threads(threads)
torch.manual_seed(42)
X, y = mnist(root)
Xt, yt = mnist(root, "test")
order = torch.randperm(len(X))
held = round(len(X) * 0.1)
Xv, yv, X, y = X[order[:held]], y[order[:held]], X[order[held:]], y[order[held:]]
model = network()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
batch = 64
per_epoch = math.ceil(len(X) / batch)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s / (per_epoch * epochs), 1.0))))
lossf = torch.nn.CrossEntropyLoss()


def shifted(xb):
    """Each image moved by its own (dy, dx): output (y, x) samples the source at (y − dy, x − dx)."""
    n, _, h, w = xb.shape
    d = (torch.rand(n, 2) * 2 - 1) * shift
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2] = -d[:, 1] * 2 / (w - 1)
    theta[:, 1, 2] = -d[:, 0] * 2 / (h - 1)
    grid = F.affine_grid(theta, xb.shape, align_corners=True)
    return F.grid_sample(xb, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def evaluate(Xe, ye):
    model.eval()
    with torch.inference_mode():
        outs = [model(Xe[i:i + 1000]) for i in range(0, len(Xe), 1000)]
        out = torch.cat(outs)
        return float(lossf(out, ye)), float((out.argmax(1) == ye).float().mean())


best = (math.inf, None, 0)
for epoch in range(1, epochs + 1):
    model.train()
    perm = torch.randperm(len(X))
    for i in range(0, len(X), batch):
        idx_b = perm[i:i + batch]
        xb = shifted(X[idx_b]) if shift > 0 else X[idx_b]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xb), y[idx_b])
        loss.backward()
        opt.step()
        sched.step()
    val_loss, _ = evaluate(Xv, yv)
    if val_loss < best[0]:
        best = (val_loss, {k: v.clone() for k, v in model.state_dict().items()}, epoch)
model.load_state_dict(best[1])
test_loss, test_acc = evaluate(Xt, yt)
print(json.dumps({"tool": "torch", "version": torch.__version__, "workload": "mnist-cnn", "threads": threads,
                  "epochs": epochs, "shift": shift, "best_epoch": best[2], "test_accuracy": round(test_acc, 4),
                  "test_loss": round(test_loss, 4)}))
