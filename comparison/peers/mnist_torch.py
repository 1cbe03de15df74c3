"""PyTorch CPU: an MNIST recipe run with backprop's procedure, for a wall-time comparison. MLP
784-256-128-10, ReLU, softmax cross-entropy, Adam, batch 128; pixels / 255. The learning rate
rises linearly over WARMUP epochs as `backprop train --warmup` does (base · (e + 0.001) / WARMUP
at fractional epoch e), then decays along a cosine to 0 over the remaining epochs, set per step.
With VAL > 0 that fraction of the training file is held out for validation (loss and accuracy
after every epoch) and the weights of the epoch with the lowest validation loss are tested;
with VAL = 0 all 60,000 images train and the last epoch's weights are tested.
Defaults: the acceptance run (10 epochs, lr 1e-3, no warm-up, 10 % validation).
usage: mnist_torch.py MNIST_DIR THREADS [EPOCHS [LR WARMUP VAL]] -> one JSON line"""
import json, math, os, sys, time
import numpy as np, torch
from cnn_common import idx

root, threads = sys.argv[1], int(sys.argv[2])
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
lr, warmup, val = (float(a) for a in sys.argv[4:7]) if len(sys.argv) > 6 else (1e-3, 0.0, 0.1)
torch.set_num_threads(threads)
torch.manual_seed(42)
X = torch.from_numpy(idx(os.path.join(root, "train-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255)
y = torch.from_numpy(idx(os.path.join(root, "train-labels-idx1-ubyte.gz")).astype(np.int64))
Xt = torch.from_numpy(idx(os.path.join(root, "t10k-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255)
yt = torch.from_numpy(idx(os.path.join(root, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
order = torch.randperm(len(X))
held = round(len(X) * val)
Xv, yv, X, y = X[order[:held]], y[order[:held]], X[order[held:]], y[order[held:]]

model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                            torch.nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=lr)
batch = 128
per_epoch = math.ceil(len(X) / batch)

def factor(step):
    """backprop's LrSchedule.at for warm-up then cosine, at fractional epoch step / per_epoch."""
    e = step / per_epoch
    if e < warmup:
        return min(e + 1e-3, warmup) / warmup
    return 0.5 * (1 + math.cos(math.pi * min(max((e - warmup) / max(epochs - warmup, 1.0), 0.0), 1.0)))

sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
lossf = torch.nn.CrossEntropyLoss()

def evaluate(Xe, ye):
    with torch.inference_mode():
        out = model(Xe)
        return float(lossf(out, ye)), float((out.argmax(1) == ye).float().mean())

best = (math.inf, None, 0)
for epoch in range(1, epochs + 1):
    perm = torch.randperm(len(X))
    for i in range(0, len(X), batch):
        idx_b = perm[i:i + batch]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(X[idx_b]), y[idx_b])
        loss.backward()
        opt.step()
        sched.step()
    if held:
        val_loss, val_acc = evaluate(Xv, yv)
        if val_loss < best[0]:
            best = (val_loss, {k: v.clone() for k, v in model.state_dict().items()}, epoch)
    else:
        best = (math.inf, None, epoch)
if best[1] is not None:
    model.load_state_dict(best[1])
test_loss, test_acc = evaluate(Xt, yt)
print(json.dumps({"tool": "torch", "version": torch.__version__, "workload": "mnist", "threads": threads,
                  "epochs": epochs, "lr": lr, "warmup": warmup, "val": val, "best_epoch": best[2], "test_accuracy": round(test_acc, 4),
                  "test_loss": round(test_loss, 4)}))
