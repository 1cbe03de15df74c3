"""Bad input of each kind: a Python exception of the right class, with a message naming what is wrong."""

import numpy as np
import pandas as pd
import pytest

import backprop
from backprop import _native


@pytest.fixture()
def table():
    return pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0] * 5, "b": ["x", "y", "x", "z"] * 5}), ["p", "q"] * 10


def test_missing_target(table):
    with pytest.raises(ValueError, match="requires y"):
        backprop.Classifier().fit(table[0], None)


def test_rows_and_targets_that_disagree(table):
    with pytest.raises(ValueError, match="20 rows but y has 3"):
        backprop.Classifier().fit(table[0], ["p", "q", "p"])


def test_a_cell_that_is_neither_text_nor_number(table):
    X = table[0].astype(object)
    X.at[3, "b"] = {"not": "a cell"}
    with pytest.raises(TypeError, match='column "b", row 3: argument must be a string or a number, not dict'):
        backprop.Classifier().fit(X, table[1])


def test_infinite_numbers(table):
    X = table[0].copy()
    X.loc[2, "a"] = np.inf
    with pytest.raises(ValueError, match=r'column "a", row 2: inf is not a finite number'):
        backprop.Classifier().fit(X, table[1])


def test_times_of_day_are_refused_by_name(table):
    pa = pytest.importorskip("pyarrow")
    X = pa.table({"a": [1.0] * 20, "at": pa.array([3600] * 20, type=pa.time32("s"))})
    with pytest.raises(TypeError, match="column 'at' holds times of day"):
        backprop.Classifier().fit(X, table[1])


def test_complex_numbers_and_one_dimensional_input(table):
    with pytest.raises(ValueError, match="Complex data not supported"):
        backprop.Regressor().fit(np.ones((10, 2), dtype=complex), np.ones(10))
    with pytest.raises(ValueError, match="Expected 2D array"):
        backprop.Regressor().fit(np.ones(10), np.ones(10))


def test_a_continuous_target_for_the_classifier(table):
    with pytest.raises(ValueError, match="Unknown label type"):
        backprop.Classifier().fit(table[0], np.linspace(0, 1, 20))


def test_a_text_target_for_the_regressor(table):
    with pytest.raises(ValueError, match="a regression target must be numbers"):
        backprop.Regressor().fit(table[0], table[1])


def test_bad_settings_name_the_option(table):
    with pytest.raises(ValueError, match="unknown variant `sigmoidal`"):
        backprop.Classifier(activation="sigmoidal").fit(*table)
    with pytest.raises(ValueError, match="--dropout must be at least 0 and below 1"):
        backprop.Classifier(dropout=1.5).fit(*table)
    with pytest.raises(ValueError, match="val_split must be at least 0 and below 1"):
        backprop.Classifier(val_split=2).fit(*table)


def test_predicting_with_other_columns(table):
    model = backprop.Classifier(epochs=2).fit(*table)
    with pytest.raises(ValueError, match="X has 1 features, but Classifier is expecting 2"):
        model.predict(table[0][["a"]].to_numpy())
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing:\n- b"):
        model.predict(table[0][["a"]])


def test_a_model_directory_that_is_not_there(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model directory"):
        backprop.Classifier.load(tmp_path / "nothing")


def test_a_regression_model_loaded_as_a_classifier(table, tmp_path):
    backprop.Regressor(epochs=2).fit(table[0], np.arange(20.0)).save(tmp_path / "m")
    with pytest.raises(ValueError, match="predicts values; load it with the other estimator"):
        backprop.Classifier.load(tmp_path / "m")


def test_bad_networks_and_answers_name_the_field(tmp_path):
    with pytest.raises(ValueError, match=r"layers\[0\]"):
        backprop.explain(
            {
                "inputs": [1.0],
                "targets": [0.5],
                "layers": [{"weights": [[1.0, 2.0]], "biases": [0.0], "activation": "sigmoid"}],
                "loss": "half-sse",
                "learning_rate": 0.5,
            }
        )
    with pytest.raises(FileNotFoundError):
        backprop.explain(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="answers"):
        backprop.check({"out_H1": "zero"})
    with pytest.raises(TypeError, match="network must be"):
        backprop.explain(42)


def test_a_panic_inside_rust_is_a_runtime_error_not_an_abort():
    with pytest.raises(RuntimeError, match="internal error in backprop.*deliberate panic"):
        _native.panic_for_test()
