"""backprop with its defaults against the tools a practitioner would pick for a table, side by side
(run by hand, not in CI).

    python3 comparison/tabular.py --seeds 3 [--realmlp] [--out comparison/results/tabular.md]

The peers, each at its library's defaults: scikit-learn's MLP (median imputer + standard scaler
for numbers, most-frequent imputer + one-hot for text; for regression also inside
`TransformedTargetRegressor` with a standard scaler, what a careful user adds), scikit-learn's
`HistGradientBoosting`, LightGBM, XGBoost and CatBoost (text columns given to each as
categories: pandas `category` columns for LightGBM and XGBoost (`enable_categorical=True`),
`cat_features` for CatBoost), and with `--realmlp` pytabkit's RealMLP-TD (slow: minutes a
table; it takes no missing numbers, so they are filled with the training median). Needs pandas, scikit-learn, lightgbm, xgboost, catboost (and pytabkit, which brings
torch): `pip install pandas scikit-learn lightgbm xgboost catboost pytabkit`.

Each data set is split 80 % / 20 % with seeds 0, 1, …; every tool sees the same split. backprop
runs as a new user would: `backprop train --data TRAIN --test TEST --target COL --out DIR`, no
other flag, then `backprop eval --json` on the test file. Every tool runs in a process of its own,
under `comparison/peers/peak.py` (the compare harness's measurement), so its peak memory is that
process's (`ru_maxrss`: the interpreter and its libraries included for the Python tools). Wall time: backprop's whole `train` command, reading and encoding included; a
Python tool's `fit`, with the data already in memory. Scores: accuracy, or R² in the file's units.
Ranks: per table, 1 for the best mean score (ties share the better rank), averaged over tables.

Data: `data/penguins.csv`, `data/txhousing.csv`, `data/msleep.csv` from this repository, and
ggplot2's `diamonds` and `mpg` from the `plotnine` wheel (`pip download --no-deps plotnine -d
target/wheels`), if it is found in `--wheels`.
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

# The tools, in the table's order: (key, heading).
TOOLS = [
    ("backprop", "backprop"),
    ("mlp", "sklearn MLP"),
    ("hgb", "sklearn HistGB"),
    ("lightgbm", "LightGBM"),
    ("xgboost", "XGBoost"),
    ("catboost", "CatBoost"),
    ("realmlp", "RealMLP-TD"),
]
BOOSTING = ["hgb", "lightgbm", "xgboost", "catboost"]


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


# ---- one tool's fit, in a process of its own (`tabular.py --fit TOOL ...`) ----

def as_categories(train, test):
    """Text columns as pandas categories with the training part's levels (unseen ones missing)."""
    train, test = train.copy(), test.copy()
    for c in train.columns:
        if not pd.api.types.is_numeric_dtype(train[c]):
            kind = pd.CategoricalDtype(sorted(train[c].dropna().astype(str).unique()))
            train[c] = train[c].astype("string").astype(kind)
            test[c] = test[c].astype("string").astype(kind)
    return train, test


def sklearn_mlp(x, task, scaled):
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
    text = [c for c in x.columns if c not in numeric]
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                              OneHotEncoder(handle_unknown="ignore", sparse_output=False)), text),
    ])
    if task == "classify":
        model = MLPClassifier(random_state=0)
    elif scaled:
        model = TransformedTargetRegressor(MLPRegressor(random_state=0), transformer=StandardScaler())
    else:
        model = MLPRegressor(random_state=0)
    return make_pipeline(pre, model), x


def peer_model(tool, x_train, task):
    """The tool's estimator at its defaults, and the training features as it wants them."""
    classify = task == "classify"
    if tool in ("mlp", "mlp_scaled"):
        return sklearn_mlp(x_train, task, tool == "mlp_scaled")
    if tool == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        # its default categorical_features="from_dtype" takes the category columns as categories
        return (HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)(random_state=0), x_train
    if tool == "lightgbm":
        import lightgbm
        return (lightgbm.LGBMClassifier if classify else lightgbm.LGBMRegressor)(random_state=0, verbose=-1), x_train
    if tool == "xgboost":
        import xgboost
        return (xgboost.XGBClassifier if classify else xgboost.XGBRegressor)(random_state=0, enable_categorical=True), x_train
    if tool == "catboost":
        import catboost
        cats = [c for c in x_train.columns if not pd.api.types.is_numeric_dtype(x_train[c])]
        kind = catboost.CatBoostClassifier if classify else catboost.CatBoostRegressor
        # allow_writing_files=False: no catboost_info/ folder in the working directory
        return kind(random_seed=0, verbose=0, cat_features=cats, allow_writing_files=False), x_train
    if tool == "realmlp":
        import pytabkit
        kind = pytabkit.RealMLP_TD_Classifier if classify else pytabkit.RealMLP_TD_Regressor
        return kind(random_state=0, verbosity=0), x_train
    raise SystemExit(f"unknown tool {tool}")


def catboost_frame(x):
    """CatBoost's categories are text without missing cells."""
    x = x.copy()
    for c in x.columns:
        if isinstance(x[c].dtype, pd.CategoricalDtype):
            x[c] = x[c].astype("string").fillna("NA").astype(str)
    return x


def fit_one(tool, train_csv, test_csv, target, task):
    """Fits TOOL on the training file and scores it on the test file; prints one JSON object."""
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.preprocessing import LabelEncoder
    train, test = pd.read_csv(train_csv), pd.read_csv(test_csv)
    x_train, x_test = train.drop(columns=[target]), test.drop(columns=[target])
    y_train, y_test = train[target], test[target]
    if not tool.startswith("mlp"):
        x_train, x_test = as_categories(x_train, x_test)
    if tool == "catboost":
        x_train, x_test = catboost_frame(x_train), catboost_frame(x_test)
    if tool == "realmlp":  # takes no missing numbers: the training median, as a user would fill them
        medians = x_train.median(numeric_only=True)
        x_train, x_test = x_train.fillna(medians), x_test.fillna(medians)
    labels = None
    if task == "classify":
        y_train, y_test = y_train.astype(str), y_test.astype(str)
        if tool == "xgboost":  # wants classes 0..k-1
            labels = LabelEncoder().fit(y_train)
            y_train = labels.transform(y_train)
    model, x_fit = peer_model(tool, x_train, task)
    start = time.perf_counter()
    model.fit(x_fit, y_train)
    seconds = time.perf_counter() - start
    predicted = model.predict(x_test)
    if task == "classify":
        predicted = np.asarray(predicted).ravel()
        if labels is not None:
            predicted = labels.inverse_transform(predicted.astype(int))
        score = accuracy_score(y_test, predicted.astype(str))
    else:
        score = r2_score(y_test, np.asarray(predicted, dtype=float).ravel())
    print(json.dumps({"score": float(score), "seconds": seconds}))


# ---- the comparison ----

PEAK = os.path.join(ROOT, "comparison", "peers", "peak.py")


def measured(command):
    """Runs COMMAND in a process of its own under `peers/peak.py` (the compare harness's
    measurement of every tool); its output, wall time and peak resident memory (MB)."""
    result = subprocess.run([sys.executable, PEAK] + command, capture_output=True, text=True)
    *output, last = result.stdout.strip().splitlines() or [""]
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit code {result.returncode}: {result.stderr[-2000:]}")
    peak = json.loads(last)
    return output, peak["wall_s"], peak["peak_rss_kib"] / 1024


def run_backprop(args, train_csv, test_csv, target, task, work):
    out = os.path.join(work, "model")
    command = [args.backprop, "train", "--data", train_csv, "--test", test_csv, "--target", target,
               "--out", out, "--quiet"] + args.flags.split()
    _, seconds, peak = measured(command)
    result = subprocess.run([args.backprop, "eval", "--model", out, "--data", test_csv, "--json"],
                            check=True, capture_output=True, text=True)
    scores = json.loads(result.stdout)
    return dict(score=float(scores["accuracy" if task == "classify" else "r2"]), seconds=seconds, peak_mb=peak)


def run_peer(tool, train_csv, test_csv, target, task):
    output, _, peak = measured([sys.executable, os.path.abspath(__file__), "--fit", tool, train_csv, test_csv, target, task])
    result = json.loads(output[-1])
    return dict(score=result["score"], seconds=result["seconds"], peak_mb=peak)


def tools_to_run(args, task):
    if args.only_backprop:
        return ["backprop"]
    tools = ["backprop", "mlp", "hgb", "lightgbm", "xgboost", "catboost"]
    if task == "regress":
        tools.insert(2, "mlp_scaled")
    if args.realmlp:
        tools.append("realmlp")
    return tools


def cached(args, key, compute):
    """A peer's result from `--cache` (a JSON file of earlier runs: every peer is seeded, so a
    rerun that compares backprop's settings need not refit them), else computed and stored."""
    store = {}
    if args.cache and os.path.exists(args.cache):
        with open(args.cache) as f:
            store = json.load(f)
    if key not in store:
        store[key] = compute()
        if args.cache:
            with open(args.cache + ".tmp", "w") as f:
                json.dump(store, f, indent=1)
            os.replace(args.cache + ".tmp", args.cache)
    return store[key]


def one_split(frame, name, target, task, seed, args):
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = int(round(0.8 * len(frame)))
    train, test = frame.iloc[order[:cut]], frame.iloc[order[cut:]]
    results = {}
    with tempfile.TemporaryDirectory() as work:
        train_csv, test_csv = os.path.join(work, "train.csv"), os.path.join(work, "test.csv")
        train.to_csv(train_csv, index=False, na_rep="NA")
        test.to_csv(test_csv, index=False, na_rep="NA")
        for tool in tools_to_run(args, task):
            if tool == "backprop":
                results[tool] = run_backprop(args, train_csv, test_csv, target, task, work)
            else:
                compute = lambda: run_peer(tool, train_csv, test_csv, target, task)  # noqa: E731
                results[tool] = cached(args, f"{name}|{seed}|{tool}", compute)
    return results


def summary(rows):
    """Per table: each tool's rank (1 = best mean score); then the mean rank, how often backprop is
    within 0.005 accuracy / 0.01 R² of the best boosting peer, and its time against LightGBM's."""
    ranks = {key: [] for key, _ in TOOLS}
    within, ratios = [], []
    for r in rows:
        scores = {k: r[k]["score"] for k, _ in TOOLS if r.get(k)}
        if "mlp_scaled" in r and "mlp" in scores:  # the careful user's MLP, for regression
            scores["mlp"] = max(scores["mlp"], r["mlp_scaled"]["score"])
        for k, s in scores.items():
            ranks[k].append(1 + sum(other > s for other in scores.values()))
        boosting = [scores[k] for k in BOOSTING if k in scores]
        if boosting:
            margin = 0.005 if r["metric"] == "accuracy" else 0.01
            within.append(scores["backprop"] >= max(boosting) - margin)
        if r.get("lightgbm"):
            ratios.append(r["backprop"]["seconds"] / r["lightgbm"]["seconds"])
    lines = ["", "| tool | mean rank |", "|---|---:|"]
    for key, heading in TOOLS:
        if ranks[key]:
            lines.append(f"| {heading} | {np.mean(ranks[key]):.2f} |")
    if within:
        lines.append("")
        lines.append(f"backprop within 0.005 accuracy / 0.01 R² of the best gradient boosting: "
                     f"{sum(within)} of {len(within)} tables.")
    if ratios:
        lines.append(f"backprop's time / LightGBM's: geometric mean {np.exp(np.mean(np.log(ratios))):.2f}× "
                     f"(from {min(ratios):.2f}× to {max(ratios):.2f}×).")
    return lines


def table(rows):
    present = [(k, h) for k, h in TOOLS if any(r.get(k) for r in rows)]
    lines = ["| data set | rows | score | " + " | ".join(h for _, h in present) + " |",
             "|---|---:|---|" + "---:|" * len(present)]
    for r in rows:
        cells = []
        for key, _ in present:
            cell = r.get(key)
            if not cell:
                cells.append("–")
                continue
            text = f"{cell['score']:.3f}"
            if key == "mlp" and r.get("mlp_scaled"):
                text += f" / {r['mlp_scaled']['score']:.3f}"
            cells.append(f"{'**' + text + '**' if key == 'backprop' else text} "
                         f"({cell['seconds']:.1f} s, {cell['peak_mb']:.0f} MB)")
        lines.append(f"| {r['data']} | {r['rows']} | {r['metric']} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Mean of the seeds: score (training wall time, peak memory of the process). "
                 "sklearn MLP for regression: raw target / standard-scaled target.")
    return lines + summary(rows)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--fit":
        fit_one(*sys.argv[2:7])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--backprop", default=os.path.join(ROOT, "target/release/backprop"))
    parser.add_argument("--wheels", default=os.path.join(ROOT, "target/wheels"))
    parser.add_argument("--out", default=None, help="also write the table as Markdown here")
    parser.add_argument("--flags", default="", help="extra flags for backprop train (to compare settings)")
    parser.add_argument("--only-backprop", action="store_true", help="skip the peers (to compare settings quickly)")
    parser.add_argument("--realmlp", action="store_true", help="also run pytabkit's RealMLP-TD (minutes a table)")
    parser.add_argument("--cache", default=None, help="a JSON file that keeps the peers' results between runs")
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
        row = dict(data=name, rows=len(frame), metric="accuracy" if task == "classify" else "R²",
                   per_seed={k: [run[k]["score"] for run in runs] for k in runs[0]})
        for key in runs[0]:
            row[key] = {m: float(np.mean([run[key][m] for run in runs])) for m in ("score", "seconds", "peak_mb")}
        rows.append(row)
        print(json.dumps(row), flush=True)
    text = "\n".join(table(rows))
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
