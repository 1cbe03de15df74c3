"""The estimators and the command line share one model directory and train the same model."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

import backprop


@pytest.fixture(scope="module")
def split(penguins, tmp_path_factory):
    """penguins shuffled and cut in two, as CSV files and DataFrames read from them."""
    folder = tmp_path_factory.mktemp("penguins")
    shuffled = penguins.sample(frac=1, random_state=0)
    train, test = folder / "train.csv", folder / "test.csv"
    shuffled.iloc[:260].to_csv(train, index=False)
    shuffled.iloc[260:].to_csv(test, index=False)
    return train, test, pd.read_csv(train), pd.read_csv(test)


def run(cli, *args):
    return subprocess.run([str(cli), *map(str, args)], check=True, capture_output=True, text=True).stdout


def test_fit_scores_what_backprop_train_scores_on_the_same_split_and_seed(cli, split, tmp_path):
    train, test, train_df, test_df = split
    run(cli, "train", "--data", train, "--test", test, "--target", "species", "--seed", 7, "--out", tmp_path / "cli")
    cli_scores = json.loads(run(cli, "eval", "--model", tmp_path / "cli", "--data", test, "--json"))
    model = backprop.Classifier(random_state=7).fit(train_df.drop(columns="species"), train_df["species"])
    assert model.score(test_df.drop(columns="species"), test_df["species"]) == pytest.approx(cli_scores["accuracy"])
    ours = model.predict_proba(test_df.drop(columns="species"))
    theirs = backprop.Classifier.load(tmp_path / "cli").predict_proba(test_df.drop(columns="species"))
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_a_model_saved_from_python_is_evaluated_and_predicted_by_the_command_line(cli, split, tmp_path):
    train, test, train_df, test_df = split
    X, y = test_df.drop(columns="species"), test_df["species"]
    model = backprop.Classifier(random_state=0).fit(train_df.drop(columns="species"), train_df["species"])
    model.save(tmp_path / "py")
    scores = json.loads(run(cli, "eval", "--model", tmp_path / "py", "--data", test, "--json"))
    assert scores["accuracy"] == pytest.approx(model.score(X, y))
    out = tmp_path / "predictions.csv"
    run(cli, "predict", "--model", tmp_path / "py", "--data", test, "--out", out)
    predicted = pd.read_csv(out)
    assert list(predicted["class"]) == list(model.predict(X))
    np.testing.assert_allclose(
        predicted[[f"p_{c}" for c in model.classes_]].to_numpy(), model.predict_proba(X), atol=1e-6
    )


def test_a_regression_model_trained_by_the_command_line_loads_in_python(cli, split, tmp_path):
    train, test, _, test_df = split
    run(cli, "train", "--data", train, "--target", "body_mass_g", "--epochs", 20, "--out", tmp_path / "cli")
    model = backprop.Regressor.load(tmp_path / "cli")
    out = tmp_path / "predictions.csv"
    run(cli, "predict", "--model", tmp_path / "cli", "--data", test, "--out", out)
    np.testing.assert_allclose(
        model.predict(test_df[model.feature_names_in_]), pd.read_csv(out)["body_mass_g"], rtol=1e-5
    )


def test_exports_write_onnx_and_a_pytorch_folder(split, tmp_path):
    _, _, train_df, _ = split
    model = backprop.Classifier(epochs=3).fit(train_df.drop(columns="species"), train_df["species"])
    model.export_onnx(tmp_path / "model.onnx")
    assert (tmp_path / "model.onnx").stat().st_size > 1000
    files = model.export_torch(tmp_path / "torch")
    assert "model.py" in files and (tmp_path / "torch" / "model.py").exists()
