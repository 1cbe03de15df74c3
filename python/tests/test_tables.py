"""Classifier and Regressor on tables: every input type, scikit-learn's tools around them."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import backprop


def test_every_dtype_with_missing_cells_trains_and_predicts(every_dtype):
    y = every_dtype.pop("label")
    model = backprop.Classifier(random_state=0).fit(every_dtype, y)
    assert list(model.classes_) == ["no", "yes"]
    assert list(model.feature_names_in_) == list(every_dtype.columns)
    proba = model.predict_proba(every_dtype)
    assert proba.shape == (len(every_dtype), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert model.score(every_dtype, y) > 0.8


def test_unseen_categories_and_all_missing_rows_still_predict(penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    model = backprop.Classifier(random_state=0).fit(X, y)
    odd = X.head(3).copy()
    odd["island"] = ["Atlantis", None, "Biscoe"]
    odd.loc[1, ["bill_length_mm", "sex"]] = None
    assert list(model.predict(odd)[2:]) == list(model.predict(X.head(3))[2:])
    assert len(model.predict(odd)) == 3


def test_arrow_tables_from_polars_and_pyarrow_predict_as_the_dataframe(penguins):
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    X, y = penguins.drop(columns="species"), penguins["species"]
    model = backprop.Classifier(random_state=0).fit(X, y)
    expected = model.predict_proba(X)
    np.testing.assert_allclose(model.predict_proba(pa.Table.from_pandas(X)), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict_proba(pl.from_pandas(X)), expected, rtol=1e-6)
    from_polars = backprop.Classifier(random_state=0).fit(pl.from_pandas(X), y)
    np.testing.assert_allclose(from_polars.predict_proba(X), expected, rtol=1e-6)


def test_dates_are_days_since_1970_in_pandas_polars_and_arrow():
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    when = pd.Series(pd.date_range("2020-01-01", periods=120, freq="D"))
    when[5] = pd.NaT
    frame = pd.DataFrame({"when": when, "took": when - pd.Timestamp("2019-12-31")})
    rising = np.arange(120.0)
    model = backprop.Regressor(random_state=0).fit(frame, rising)
    assert model.score(frame, rising) > 0.9
    np.testing.assert_allclose(model.predict(pl.from_pandas(frame)), model.predict(frame), rtol=1e-6)
    np.testing.assert_allclose(model.predict(pa.Table.from_pandas(frame)), model.predict(frame), rtol=1e-6)


def test_a_sparse_one_hot_pipeline(penguins):
    from sklearn.preprocessing import OneHotEncoder

    X, y = penguins[["island", "sex"]], penguins["species"]
    pipeline = Pipeline([("one_hot", OneHotEncoder()), ("model", backprop.Classifier(epochs=20, random_state=0))])
    assert pipeline.fit(X, y).score(X, y) > 0.6


def test_numpy_arrays_lists_and_object_arrays(penguins):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] - 2 * X[:, 1]
    model = backprop.Regressor(random_state=0).fit(X, y)
    assert model.score(X, y) > 0.9
    assert model.n_features_in_ == 3 and not hasattr(model, "feature_names_in_")
    np.testing.assert_allclose(model.predict(X.tolist()), model.predict(X))
    mixed = np.array([["a", 1.0], ["b", 2.0], ["a", None]] * 20, dtype=object)
    classes = np.array(["x", "y", "x"] * 20)
    assert backprop.Classifier(epochs=5).fit(mixed, classes).predict(mixed).shape == (60,)


def test_pipeline_with_a_column_transformer_in_front(penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    front = ColumnTransformer(
        [("numbers", StandardScaler(), numeric), ("text", FunctionTransformer(), ["island", "sex"])],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipeline = Pipeline([("front", front), ("model", backprop.Classifier(random_state=0))])
    pipeline.fit(X, y)
    assert pipeline.score(X, y) > 0.9


def test_cross_val_score_and_grid_search_on_two_processes(penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    scores = cross_val_score(backprop.Classifier(random_state=0, n_jobs=1), X, y, cv=3, n_jobs=2)
    assert scores.shape == (3,) and scores.min() > 0.85
    grid = GridSearchCV(
        backprop.Classifier(random_state=0, n_jobs=1), {"hidden": [[16], [64, 32]]}, cv=3, n_jobs=2
    ).fit(X, y)
    assert grid.best_params_["hidden"] in ([16], [64, 32])
    assert grid.best_score_ > 0.85


def test_pickled_and_cloned_estimators(penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    model = backprop.Classifier(random_state=3, hidden=[32]).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    fresh = clone(model)
    assert fresh.get_params() == model.get_params() and not hasattr(fresh, "classes_")


def test_class_weight_dict_and_balanced_change_the_model(penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    plain = backprop.Classifier(random_state=0, epochs=3).fit(X, y).predict_proba(X)
    heavy = backprop.Classifier(random_state=0, epochs=3, class_weight={"Chinstrap": 20.0}).fit(X, y)
    assert heavy.predict_proba(X)[:, 1].mean() > plain[:, 1].mean()
    balanced = backprop.Classifier(random_state=0, epochs=3, class_weight="balanced").fit(X, y)
    assert not np.allclose(balanced.predict_proba(X), plain)


def test_verbose_prints_the_run_and_a_line_per_epoch(penguins, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    X, y = penguins.drop(columns="species"), penguins["species"]
    backprop.Classifier(epochs=3, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "classification, 3 classes" in out
    assert [line.split(",")[0] for line in out.splitlines() if line.startswith("epoch ")] == [
        "epoch 1",
        "epoch 2",
        "epoch 3",
    ]


def test_regressor_reports_values_in_the_targets_units():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"rooms": rng.integers(1, 6, 300), "area": rng.normal(80, 20, 300)})
    price = 50_000 * X["rooms"] + 1_000 * X["area"]
    model = backprop.Regressor(random_state=0).fit(X, price)
    assert model.score(X, price) > 0.95
    assert abs(model.predict(X).mean() - price.mean()) < 0.05 * price.mean()


def test_a_messy_dataframe_goes_through_cross_validation():
    rng = np.random.default_rng(0)
    n = 150
    signal = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "empty": [np.nan] * n,  # left out, with a warning
            "empty_text": [None] * n,
            "constant": [1.0] * n,
            "one_word": ["a"] * n,
            "mixed": [1, "x", None] * (n // 3),  # text and numbers: categories
            "question_marks": ["?", 1.5, 2.5] * (n // 3),  # "?" is a missing cell, as in a CSV file
            "signal": signal,
        }
    )
    with pytest.warns(UserWarning, match="columns with no values left out: empty, empty_text"):
        scores = cross_val_score(backprop.Regressor(random_state=0), frame, 2 * signal, cv=3, error_score="raise")
    assert scores.min() > 0.8


def test_verbose_draws_a_tqdm_bar_when_tqdm_is_installed(penguins, capsys):
    pytest.importorskip("tqdm")
    X, y = penguins.drop(columns="species"), penguins["species"]
    backprop.Classifier(epochs=3, verbose=1).fit(X, y)
    captured = capsys.readouterr()
    assert "classification, 3 classes" in captured.out
    assert "3/3" in captured.err and "epoch" in captured.err
