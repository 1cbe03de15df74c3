"""Each backward rule of the image ops against PyTorch's autograd on the same numbers.

usage: autograd.py CASES.json

CASES.json (written by tests/suite/torch_autograd.rs) holds, per case, the op and its geometry,
the inputs, the upstream gradient, and what backprop's tape computed: the output and the
gradient of sum(output · upstream) in each input. Here PyTorch computes the same in float64 and
the script prints one JSON line: the torch version and, per op, the largest difference relative
to max(1, |value|). Without torch it prints {"torch": null} and the caller skips.
"""
import json, sys

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print(json.dumps({"torch": None}))
    sys.exit(0)


def tensor(t):
    return torch.tensor(t["data"], dtype=torch.float64).reshape(t["dims"]).requires_grad_(True)


def run(case):
    ins = {name: tensor(t) for name, t in case["inputs"].items()}
    op = case["op"]
    if op == "conv2d":
        y = F.conv2d(ins["x"], ins["w"], ins["b"], stride=case["stride"], padding=case["padding"],
                     dilation=case["dilation"])
    elif op == "max_pool2d":
        y = F.max_pool2d(ins["x"], case["kernel"], stride=case["stride"], padding=case["padding"])
    elif op == "avg_pool2d":
        y = F.avg_pool2d(ins["x"], case["kernel"], stride=case["stride"], padding=case["padding"],
                         count_include_pad=True)
    elif op == "batch_norm2d":
        y = F.batch_norm(ins["x"], None, None, ins["gamma"], ins["beta"], training=True, eps=1e-5)
    elif op == "global_avg_pool":
        y = ins["x"].mean(dim=(2, 3))
    else:
        raise ValueError(f"unknown op {op}")
    upstream = torch.tensor(case["upstream"], dtype=torch.float64).reshape(y.shape)
    (y * upstream).sum().backward()
    ours = case["ours"]

    def diff(a, b):
        b = torch.tensor(b, dtype=torch.float64).reshape(a.shape)
        return float(((a - b).abs() / b.abs().clamp(min=1.0)).max())

    worst = diff(y.detach(), ours["y"])
    for name, t in ins.items():
        worst = max(worst, diff(t.grad, ours["d" + name]))
    return worst


cases = json.load(open(sys.argv[1]))
result = {}
for case in cases:
    result[case["op"]] = max(result.get(case["op"], 0.0), run(case))
print(json.dumps({"torch": torch.__version__, "max_diff": result, "cases": len(cases)}))
