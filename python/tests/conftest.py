"""Shared fixtures: the repository's data, the command line's binary, small tables."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `backprop` command line, built by `cargo build --release` (CI builds it first)."""
    path = Path(os.environ.get("BACKPROP_CLI", REPO / "target" / "release" / "backprop"))
    if not path.exists():
        subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "backprop"], cwd=REPO, check=True)
    return path


@pytest.fixture(scope="session")
def penguins() -> pd.DataFrame:
    return pd.read_csv(REPO / "data" / "penguins.csv")


@pytest.fixture()
def every_dtype() -> pd.DataFrame:
    """A table with a column of every dtype a DataFrame has, each with missing cells."""
    rng = np.random.default_rng(0)
    n = 240
    size = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    frame = pd.DataFrame(
        {
            "float": size,
            "int": rng.integers(0, 100, size=n),
            "nullable_int": pd.array(rng.integers(0, 5, size=n), dtype="Int64"),
            "nullable_float": pd.array(rng.normal(size=n), dtype="Float64"),
            "boolean": pd.array(rng.random(n) > 0.5, dtype="boolean"),
            "bool": rng.random(n) > 0.5,
            "text": pd.Series(colour, dtype=object),
            "string": pd.Series(rng.choice(["s", "m", "l"], size=n), dtype="string"),
            "category": pd.Categorical(rng.choice([1, 2, 3], size=n)),
        }
    )
    # Plain int and bool columns cannot hold a missing cell; every other column gets some.
    for column in frame.columns.drop(["int", "bool"]):
        frame.loc[rng.choice(n, size=12, replace=False), column] = None
    # The class follows the float column and the colour, so a model can learn it.
    frame["label"] = np.where((size > 0) ^ (colour == "red"), "yes", "no")
    return frame
