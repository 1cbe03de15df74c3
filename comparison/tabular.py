"""backprop with its defaults vs scikit-learn on real tables, side by side (run by hand, not in CI).

    python3 comparison/tabular.py [--backprop target/release/backprop] [--out comparison/results/tabular.md]

Needs pandas and scikit-learn (`pip install pandas scikit-learn`). Each data set is split once,
80 % / 20 %, with a fixed seed; both tools see the same two files. backprop runs as a new user
would: `backprop train --data TRAIN --test TEST --target COL --out DIR`, no other flag, then
`backprop eval --json` on the test file. scikit-learn runs the usual pipeline — median imputer
+ standard scaler for numbers, most-frequent imputer + one-hot (unknown categories ignored) for
text — before `MLPClassifier`/`MLPRegressor` with their defaults, and, as the honest reference,
`HistGradientBoostingClassifier`/`Regressor` with theirs. For regression the MLP is run twice:
as is (on raw targets, what the defaults do) and inside `TransformedTargetRegressor` with a
standard scaler (what a careful user adds). Scores: accuracy, or R² in the file's units.
Wall time of training (backprop: the whole `train` command, reading and encoding included;
scikit-learn: `fit`, with the data already in memory).

Data: `data/penguins.csv`, `data/txhousing.csv`, `data/msleep.csv` from this repository, and
ggplot2's `diamonds` and `mpg` from the `plotnine` wheel (`pip download --no-deps plotnine`),
if it is found in `--wheels`.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, file, target, task); a file starting with "plotnine:" is read from the plotnine wheel.
DATASETS = [
    ("penguins species", "data/penguins.csv", "species", "classify"),
    ("penguins sex", "data/penguins.csv", "sex", "classify"),
    ("msleep vore", "data/msleep.csv", "vore", "classify"),
    ("mpg class", "plotnine:mpg.csv", "class", "classify"),
    ("diamonds cut", "plotnine:diamonds.csv", "cut", "classify"),
    ("txhousing median", "data/txhousing.csv", "median", "regress"),
    ("msleep sleep_total", "data/msleep.csv", "sleep_total", "regress"),
    ("mpg hwy", "plotnine:mpg.csv", "hwy", "regress"),
    ("diamonds price", "plotnine:diamonds.csv", "price", "regress"),
]



def selected(extra_dir):
    """The data sets to run: ours, then those listed in EXTRA_DIR/tasks.txt ("FILE TARGET TASK"
    a line: tables kept out of the repository to check that the defaults were not tuned to
    ours); ONLY=word,word keeps those whose name has one of the words."""
    sets = list(DATASETS)
    if extra_dir:
        for line in open(os.path.join(extra_dir, "tasks.txt")):
            if line.strip():
                name, target, task = line.split()
                sets.append((f"{name.rsplit('.', 1)[0]} {target}", os.path.join(extra_dir, name), target, task))
    words = os.environ.get("ONLY")
    return [d for d in sets if not words or any(w in d[0] for w in words.split(","))]


def read(spec, wheels):
    if not spec.startswith("plotnine:"):
        return pd.read_csv(os.path.join(ROOT, spec))  # an absolute path stays as it is
    found = sorted(glob.glob(os.path.join(wheels, "plotnine-*.whl")))
    if not found:
        return None
    with zipfile.ZipFile(found[-1]) as z:
        with z.open("plotnine/data/" + spec.split(":", 1)[1]) as f:
            return pd.read_csv(f)


def sklearn_pipeline(frame, model):
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    text = [c for c in frame.columns if c not in numeric]
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", sparse_output=False)), text),
    ])
    return make_pipeline(pre, model)


def timed_fit(model, x, y):
    start = time.perf_counter()
    model.fit(x, y)
    return model, time.perf_counter() - start


def run_backprop(binary, train_csv, test_csv, target, workdir, extra):
    out = os.path.join(workdir, "model")
    start = time.perf_counter()
    subprocess.run([binary, "train", "--data", train_csv, "--test", test_csv, "--target", target,
                    "--out", out, "--quiet"] + extra, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    result = subprocess.run([binary, "eval", "--model", out, "--data", test_csv, "--json"],
                            check=True, capture_output=True, text=True)
    scores = json.loads(result.stdout)
    return scores, seconds


def one_split(frame, name, target, task, seed, args):
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = int(round(0.8 * len(frame)))
    train, test = frame.iloc[order[:cut]], frame.iloc[order[cut:]]
    with tempfile.TemporaryDirectory() as work:
        train_csv, test_csv = os.path.join(work, "train.csv"), os.path.join(work, "test.csv")
        train.to_csv(train_csv, index=False, na_rep="NA")
        test.to_csv(test_csv, index=False, na_rep="NA")
        ours, our_seconds = run_backprop(args.backprop, train_csv, test_csv, target, work, args.flags.split())
    metric = "accuracy" if task == "classify" else "R²"
    row = dict(data=name, rows=len(frame), metric=metric, backprop=float(ours["accuracy" if task == "classify" else "r2"]),
               backprop_s=our_seconds, mlp=None, mlp_s=None, mlp_scaled=None, mlp_scaled_s=None, gbm=None, gbm_s=None)
    if args.only_backprop:
        return row
    x_train, y_train = train.drop(columns=[target]), train[target]
    x_test, y_test = test.drop(columns=[target]), test[target]
    if task == "classify":
        y_train, y_test = y_train.astype(str), y_test.astype(str)
        mlp, mlp_s = timed_fit(sklearn_pipeline(x_train, MLPClassifier(random_state=0)), x_train, y_train)
        gbm, gbm_s = timed_fit(sklearn_pipeline(x_train, HistGradientBoostingClassifier(random_state=0)), x_train, y_train)
        score = lambda m: float(accuracy_score(y_test, m.predict(x_test)))
    else:
        mlp, mlp_s = timed_fit(sklearn_pipeline(x_train, MLPRegressor(random_state=0)), x_train, y_train)
        scaled = TransformedTargetRegressor(MLPRegressor(random_state=0), transformer=StandardScaler())
        mlp2, mlp2_s = timed_fit(sklearn_pipeline(x_train, scaled), x_train, y_train)
        gbm, gbm_s = timed_fit(sklearn_pipeline(x_train, HistGradientBoostingRegressor(random_state=0)), x_train, y_train)
        score = lambda m: float(r2_score(y_test, m.predict(x_test)))
        row.update(mlp_scaled=score(mlp2), mlp_scaled_s=mlp2_s)
    row.update(mlp=score(mlp), mlp_s=mlp_s, gbm=score(gbm), gbm_s=gbm_s)
    return row


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backprop", default=os.path.join(ROOT, "target/release/backprop"))
    parser.add_argument("--wheels", default=os.path.join(ROOT, "target/wheels"))
    parser.add_argument("--out", default=None, help="also write the table as Markdown here")
    parser.add_argument("--flags", default="", help="extra flags for backprop train (to compare settings)")
    parser.add_argument("--only-backprop", action="store_true", help="skip scikit-learn (to compare settings quickly)")
    parser.add_argument("--seeds", type=int, default=1, help="splits to average over (seeds 0, 1, …)")
    parser.add_argument("--extra", default=None, help="a folder of more tables with a tasks.txt (FILE TARGET TASK lines)")
    args = parser.parse_args()
    rows = []
    for name, spec, target, task in selected(args.extra):
        frame = read(spec, args.wheels)
        if frame is None:
            print(f"skipped {name}: no plotnine wheel in {args.wheels}", file=sys.stderr)
            continue
        frame = frame[frame[target].notna()].reset_index(drop=True)
        runs = [one_split(frame, name, target, task, seed, args) for seed in range(args.seeds)]
        row = {k: (np.mean([r[k] for r in runs]) if isinstance(runs[0][k], float) else runs[0][k]) for k in runs[0]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    fmt = lambda v: "–" if v is None else f"{v:.3f}"
    sec = lambda v: "–" if v is None else f"{v:.1f} s"
    lines = ["| data set | rows | score | backprop | sklearn MLP | sklearn MLP, scaled target | gradient boosting |",
             "|---|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['data']} | {r['rows']} | {r['metric']} | **{fmt(r['backprop'])}** ({sec(r['backprop_s'])}) | "
                     f"{fmt(r['mlp'])} ({sec(r['mlp_s'])}) | {fmt(r['mlp_scaled'])} ({sec(r['mlp_scaled_s'])}) | "
                     f"{fmt(r['gbm'])} ({sec(r['gbm_s'])}) |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
