#!/usr/bin/env python3
"""The golden corpus: every output a user sees, written out by one binary, so that a refactor can
be diffed against the binary before it, byte for byte.

    git worktree add /tmp/before 8ddeca5 && (cd /tmp/before && cargo build --release)
    python3 tests/golden/corpus.py /tmp/before/target/release/backprop /tmp/golden-before
    python3 tests/golden/corpus.py target/release/backprop /tmp/golden-after
    diff -r /tmp/golden-before /tmp/golden-after

(8ddeca5 is main before the foundations issue's refactor began.)

Each case writes `NAME.out` (standard output), `NAME.err` (standard error, when not empty) and
`NAME.code` (the exit code); files a command writes are copied beside them (binary ones as their
SHA-256). Lines that hold a time or a rate (which differ from run to run) are masked. The server's
responses are written the same way, one file per request. This is a regression guard for
refactors, not a reference: correctness is checked against independent numbers in tests/suite.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(REPO, "fuzz", "seeds")
DATA = os.path.join(REPO, "data")

# Times, rates and durations differ from run to run; everything else must not.
VOLATILE = re.compile(
    r"(\d[\d,.]*\s*(k|M)?\s*samples/s|\d+(\.\d+)?\s*(ms|µs|s)\b|\d+(\.\d+)?s elapsed|ETA.*|\[\d\d:\d\d:\d\d\])"
)


# A session's id is random.
SESSION_ID = re.compile(r"\b[0-9a-f]{32}\b")


def mask(text):
    return SESSION_ID.sub("<session>", VOLATILE.sub("<volatile>", text))


def write(out, name, text):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write(text)


def copy_outputs(work, out, name):
    """Every file the command wrote under `work`, text as it is and binary as its SHA-256."""
    for root, _, files in os.walk(work):
        for f in sorted(files):
            path = os.path.join(root, f)
            rel = os.path.relpath(path, work).replace(os.sep, "__")
            if f == "checkpoint.safetensors":
                continue  # holds the training's wall time; model.safetensors holds its weights
            data = open(path, "rb").read()
            if f == "metrics.csv":  # its last column is each epoch's seconds
                data = "\n".join(line.rsplit(",", 1)[0] for line in data.decode().splitlines()).encode()
            try:
                text = data.decode("utf-8")
                if "\0" in text:
                    raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL")
                write(out, f"{name}.file.{rel}", mask(text))
            except UnicodeDecodeError:
                write(out, f"{name}.file.{rel}.sha256", hashlib.sha256(data).hexdigest() + "\n")


def run(binary, out, name, args, stdin=None, keep=None):
    """Runs `binary args` in a fresh folder (with `keep`, an existing one), recording everything."""
    work = keep or tempfile.mkdtemp(prefix="golden-")
    before = set()
    for root, _, files in os.walk(work):
        before |= {os.path.join(root, f) for f in files}
    proc = subprocess.run(
        [binary, *args], cwd=work, input=stdin, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}
    )
    write(out, f"{name}.out", mask(proc.stdout))
    if proc.stderr:
        write(out, f"{name}.err", mask(proc.stderr))
    write(out, f"{name}.code", f"{proc.returncode}\n")
    if keep is None:
        copy_outputs(work, out, name)
        shutil.rmtree(work)
    return work


def seed(*parts):
    return os.path.join(SEEDS, *parts)


def cli_cases(binary, out):
    lecture = seed("network_file", "lecture.json")
    softmax = seed("network_file", "softmax.json")
    bce = seed("network_file", "bce.json")
    for fmt in ["text", "markdown", "html", "json", "dot"]:
        run(binary, out, f"explain-{fmt}", ["explain", "--format", fmt])
        run(binary, out, f"explain-softmax-{fmt}", ["explain", softmax, "--format", fmt, "--steps", "2", "--verify"])
    run(binary, out, "explain-steps", ["explain", "--steps", "100", "--verify"])
    run(binary, out, "explain-bce", ["explain", bce, "--steps", "5"])
    run(binary, out, "explain-file", ["explain", lecture, "--format", "json", "--steps", "3"])
    run(binary, out, "explain-out", ["explain", "--format", "html", "--out", "lecture.html"])
    run(binary, out, "explain-missing", ["explain", "no-such.json"])
    for answers in ["one", "steps", "wrong"]:
        path = seed("answers", f"{answers}.json")
        run(binary, out, f"check-{answers}", ["explain", "--check", path])
        run(binary, out, f"check-{answers}-json", ["explain", "--check", path, "--format", "json"])
        run(binary, out, f"check-{answers}-markdown", ["explain", "--check", path, "--format", "markdown"])
        run(binary, out, f"check-{answers}-html", ["explain", "--check", path, "--format", "html"])
    run(binary, out, "check-softmax", ["explain", softmax, "--check", seed("answers", "one.json")])

    chains = [
        ("slide", ["y = 5x + 3", "x = t^2", "--wrt", "t", "--at", "t=3"]),
        ("slide-check", ["y = 5x + 3", "x = t^2", "--wrt", "t", "--at", "t=3", "--check", "10t = 30"]),
        ("slide-wrong", ["y = 5x + 3", "x = t^2", "--wrt", "t", "--check", "5t"]),
        ("paths", ["z = x*y", "x = t^2", "y = sin(t)", "--wrt", "t", "--at", "t=1", "--verify"]),
        ("funcs", ["f = exp(a) + log(a) - sqrt(a)/tanh(a) + relu(a) * abs(a) ** 2", "--wrt", "a", "--at", "a=0.7"]),
        ("lecture", ["E = (T - out)^2 / 2", "out = sigmoid(net)", "net = w*x + b", "--wrt", "w", "--at",
                     "T=0.01,x=0.59,w=0.4,b=0.6"]),
        ("pi", ["y = pi*e^x / (1 + x)", "--wrt", "x"]),
        ("verify-no-point", ["y = x^2", "--wrt", "x", "--verify"]),
        ("parse-error", ["y = 5x +", "--wrt", "x"]),
    ]
    for name, args in chains:
        for fmt in ["text", "markdown", "html", "json"]:
            run(binary, out, f"chain-{name}-{fmt}", ["chain", *args, "--format", fmt])

    run(binary, out, "lecture", ["lecture"])
    run(binary, out, "lecture-short", ["lecture", "--steps", "50", "--every", "10"])

    # Training, evaluation, prediction, inspection and export on small tables.
    work = tempfile.mkdtemp(prefix="golden-train-")
    for table in ["iris", "penguins", "msleep"]:
        shutil.copy(os.path.join(DATA, f"{table}.csv"), work)
    run(binary, out, "train-iris", ["train", "--data", "iris.csv", "--out", "runs/iris", "--epochs", "20"], keep=work)
    run(binary, out, "train-penguins", ["train", "--data", "penguins.csv", "--out", "runs/penguins", "--epochs", "10"],
        keep=work)
    run(binary, out, "train-msleep", ["train", "--data", "msleep.csv", "--target", "sleep_total", "--out", "runs/msleep",
                                      "--epochs", "10"], keep=work)
    run(binary, out, "train-bad-target", ["train", "--data", "iris.csv", "--target", "nope", "--out", "runs/x"],
        keep=work)
    for table in ["iris", "penguins", "msleep"]:
        run(binary, out, f"eval-{table}", ["eval", "--model", f"runs/{table}", "--data", f"{table}.csv"], keep=work)
        run(binary, out, f"predict-{table}", ["predict", "--model", f"runs/{table}", "--data", f"{table}.csv", "--out",
                                              f"{table}-p.csv"], keep=work)
        run(binary, out, f"inspect-{table}", ["inspect", "--model", f"runs/{table}"], keep=work)
        run(binary, out, f"export-onnx-{table}", ["export", "--model", f"runs/{table}", "--format", "onnx", "--out",
                                                  f"{table}.onnx"], keep=work)
        run(binary, out, f"export-torch-{table}", ["export", "--model", f"runs/{table}", "--format", "torch", "--out",
                                                   f"{table}-torch"], keep=work)
    copy_outputs(work, out, "tables")
    shutil.rmtree(work)


def request(base, method, path, body=None, content_type="application/json"):
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def server_cases(binary, out):
    proc = subprocess.Popen([binary, "playground", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()
        base = re.search(r"(http://[^\s]+?)/?\s", line + " ").group(1)
        n = [0]

        def record(name, method, path, body=None, content_type="application/json"):
            status, text = request(base, method, path, body, content_type)
            n[0] += 1
            write(out, f"api-{n[0]:03}-{name}", mask(f"{method} {path}\n{status}\n{text}\n"))
            return status, text

        record("vocabulary", "GET", "/api/vocabulary")
        record("openapi", "GET", "/api/openapi.json")
        record("explain", "POST", "/api/explain", json.load(open(seed("network_file", "softmax.json"))))
        record("explain-bad", "POST", "/api/explain", {"inputs": []})
        record("chain", "POST", "/api/chain", {"definitions": ["y = 5x + 3", "x = t^2"], "wrt": "t", "at": {"t": 3}})
        record("check", "POST", "/api/check", {"answers": json.load(open(seed("answers", "one.json")))})
        setups = [
            ("lecture", {"data": "lecture", "hidden": [2], "activation": "sigmoid", "loss": "half-sse",
                         "learning_rate": 0.5, "batch_size": 1, "update_biases": False}),
            ("plane", {"data": "plane", "noise": 20, "train_percent": 30, "hidden": [], "loss": "mse"}),
            ("spiral", {"data": "spiral", "classes": 3, "hidden": [3, 2], "features": ["x1", "x2", "sin(x1)"],
                        "regularization": "l1", "regularization_rate": 0.01, "batch_size": 7}),
            ("default", {}),
        ]
        for name, setup in setups:
            status, text = record(f"create-{name}", "POST", "/api/sessions", setup)
            if status >= 300:
                continue
            sid = json.loads(text).get("id")
            record(f"step-{name}", "POST", f"/api/sessions/{sid}/step", {"epochs": 3})
            record(f"updates-{name}", "POST", f"/api/sessions/{sid}/step", {"updates": 5})
            record(f"gradient-{name}", "GET", f"/api/sessions/{sid}/gradient/w1")
            record(f"edit-{name}", "POST", f"/api/sessions/{sid}/edit", {"name": "w1", "value": -0.5})
            record(f"example-{name}", "GET", f"/api/sessions/{sid}/example")
            record(f"reset-{name}", "POST", f"/api/sessions/{sid}/reset")
            record(f"get-{name}", "GET", f"/api/sessions/{sid}")
            record(f"upload-{name}", "POST", f"/api/sessions/{sid}/data", "x,y,label\n0,0,a\n1,1,b\n0,1,a\n1,0,b\n",
                   "text/csv")
            record(f"upload-bad-{name}", "POST", f"/api/sessions/{sid}/data", "a,b\n1\n", "text/csv")
            record(f"setup-{name}", "PUT", f"/api/sessions/{sid}/setup", {"data": "xor", "hidden": [4]})
            record(f"step-after-{name}", "POST", f"/api/sessions/{sid}/step", {"epochs": 1})
            record(f"delete-{name}", "DELETE", f"/api/sessions/{sid}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main():
    binary, out = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    started = time.time()
    cli_cases(binary, out)
    server_cases(binary, out)
    print(f"{len(os.listdir(out))} files in {out} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
