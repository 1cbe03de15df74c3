"""The Python module beside the command line on the comparison's tables (run by hand, not in CI).

    python comparison/python_module.py [--backprop target/release/backprop] [--seeds 3] [--rounds 3]

Needs the module installed (`pip install ./python`), pandas and scikit-learn. Each table is
split as `comparison/tabular.py` splits it (80 % / 20 %, seeds 0, 1, …) and written to two CSV
files. The command line trains as a new user would, `backprop train --data TRAIN --test TEST
--target COL --out DIR --quiet`, timed whole (start, reading, encoding, training, saving), and
`backprop eval --json` scores it. Python reads the same files with pandas beforehand and times
`backprop.Classifier(random_state=42).fit(X, y)` (or `Regressor`), then scores the test file's
rows. Both use every core and the seed 42. The two are run in alternating rounds; times are
medians. Then predicting a 10⁶ × 20 float64 array: the peak memory it adds, against the
array's own size (a child process per measurement, peak RSS).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tabular import ROOT, read, selected  # noqa: E402  (the same tables, read the same way)

import backprop  # noqa: E402


def cli_run(binary, train_csv, test_csv, target, out):
    start = time.perf_counter()
    subprocess.run(
        [
            binary,
            "train",
            "--data",
            train_csv,
            "--test",
            test_csv,
            "--target",
            target,
            "--out",
            out,
            "--quiet",
            "--overwrite",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    scores = json.loads(
        subprocess.run(
            [binary, "eval", "--model", out, "--data", test_csv, "--json"], check=True, capture_output=True, text=True
        ).stdout
    )
    return scores, seconds


def python_run(train, test, target, task):
    estimator = backprop.Classifier if task == "classify" else backprop.Regressor
    X, y = train.drop(columns=[target]), train[target]
    start = time.perf_counter()
    model = estimator(random_state=42).fit(X, y)
    seconds = time.perf_counter() - start
    rows = test[test[target].notna()]
    return model.score(rows.drop(columns=[target]), rows[target]), seconds


def one_split(frame, name, target, task, seed, args):
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = int(round(0.8 * len(frame)))
    with tempfile.TemporaryDirectory() as work:
        train_csv, test_csv = os.path.join(work, "train.csv"), os.path.join(work, "test.csv")
        frame.iloc[order[:cut]].to_csv(train_csv, index=False, na_rep="NA")
        frame.iloc[order[cut:]].to_csv(test_csv, index=False, na_rep="NA")
        train, test = pd.read_csv(train_csv), pd.read_csv(test_csv)
        if task == "classify":
            train[target], test[target] = train[target].astype(str), test[target].astype(str)
        cli_s, py_s = [], []
        for _ in range(args.rounds):
            scores, seconds = cli_run(args.backprop, train_csv, test_csv, target, os.path.join(work, "model"))
            cli_s.append(seconds)
            py_score, seconds = python_run(train, test, target, task)
            py_s.append(seconds)
    cli_score = scores["accuracy" if task == "classify" else "r2"]
    return dict(
        data=name,
        seed=seed,
        rows=len(frame),
        cli=cli_score,
        python=py_score,
        cli_s=statistics.median(cli_s),
        python_s=statistics.median(py_s),
    )


PREDICT = textwrap.dedent(
    """
    import resource, sys, numpy as np, backprop
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1_000_000, 20))
    model = backprop.Regressor(epochs=2).fit(X[:20_000], X[:20_000, 0])
    model.predict(X[:1000])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.argv[1] == "predict":
        model.predict(X)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) * 1024, X.nbytes)
    """
)


def predict_memory():
    """The peak memory predicting a 10⁶ × 20 float64 array adds, and the array's size."""
    added, size = map(
        int,
        subprocess.run(
            [sys.executable, "-c", PREDICT, "predict"], check=True, capture_output=True, text=True
        ).stdout.split(),
    )
    return added, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backprop", default=os.path.join(ROOT, "target/release/backprop"))
    parser.add_argument("--wheels", default=os.path.join(ROOT, "target/wheels"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=None, help="also write the table as Markdown here")
    args = parser.parse_args()
    lines = [
        "| data set | rows | split | score: `backprop train` | score: `fit` "
        "| time: `backprop train` | time: `fit` | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = []
    for name, spec, target, task in selected(None):
        frame = read(spec, args.wheels)
        if frame is None:
            print(f"skipped {name}: no plotnine wheel in {args.wheels}", file=sys.stderr)
            continue
        frame = frame[frame[target].notna()].reset_index(drop=True)
        for seed in range(args.seeds):
            r = one_split(frame, name, target, task, seed, args)
            ratios.append(r["python_s"] / r["cli_s"])
            print(json.dumps(r), flush=True)
            lines.append(
                f"| {name} | {r['rows']} | {seed} | {r['cli']:.4f} | {r['python']:.4f} | {r['cli_s']:.2f} s | "
                f"{r['python_s']:.2f} s | {r['python_s'] / r['cli_s']:.2f} |"
            )
    mean = float(np.exp(np.mean(np.log(ratios))))
    added, size = predict_memory()
    text = "\n".join(lines) + (
        f"\n\nTime of `fit` over time of `backprop train`, geometric mean: {mean:.2f} "
        f"(max {max(ratios):.2f}).\n\nPredicting a 10⁶ × 20 float64 array ({size / 1e6:.0f} MB): "
        f"{added / 1e6:.0f} MB of peak memory added, {added / size:.2f}× the array.\n"
    )
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
