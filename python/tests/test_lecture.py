"""The lecture in a notebook: explain, chain, check and lecture against the lecture's own numbers."""

import json

import numpy as np
import pytest

import backprop


@pytest.fixture(scope="module")
def reference(repo):
    """Independent float64 numbers for the slide's network (data/lecture-example.json)."""
    return json.loads((repo / "data" / "lecture-example.json").read_text())["expected_float64"]


def test_explain_gives_the_lectures_numbers_to_1e_12(reference):
    step = backprop.explain().to_dict()["steps"][0]
    forward = {f["name"]: f for f in step["forward"]}
    assert abs(forward["H1"]["net"] - reference["net_h1"]) < 1e-12
    assert abs(forward["H1"]["out"] - reference["out_h1"]) < 1e-12
    assert abs(forward["H2"]["out"] - reference["out_h2"]) < 1e-12
    assert abs(forward["y1"]["out"] - reference["out_o1"]) < 1e-12
    assert abs(forward["y2"]["out"] - reference["out_o2"]) < 1e-12
    assert abs(step["loss"] - reference["E_total"]) < 1e-12
    assert abs(step["gradients"]["w5"] - reference["dE_dw5"]) < 1e-12
    assert abs(step["gradients"]["w1"] - reference["dE_dw1"]) < 1e-12
    assert abs(step["updated"]["w5"] - reference["w5_after_1_update"]) < 1e-12


def test_a_report_is_text_markdown_html_and_json():
    report = backprop.explain(steps=2, verify=True)
    text = str(report)
    assert "dE/dw5" in text and "Step 2" in text
    assert "$" in report._repr_markdown_()
    html = report._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "&lt;svg" in html
    assert len(report.to_dict()["steps"]) == 2


def test_explain_takes_a_dict_a_path_and_a_convolutional_network(repo, tmp_path):
    network = {
        "inputs": [0.05, 0.10],
        "targets": [0.01, 0.99],
        "layers": [
            {"weights": [[0.15, 0.20], [0.25, 0.30]], "biases": [0.35, 0.35], "activation": "sigmoid"},
            {"weights": [[0.40, 0.45], [0.50, 0.55]], "biases": [0.60, 0.60], "activation": "sigmoid"},
        ],
        "loss": "half-sse",
        "learning_rate": 0.5,
    }
    from_dict = backprop.explain(network).to_dict()
    assert from_dict["steps"][0]["gradients"] == backprop.explain().to_dict()["steps"][0]["gradients"]
    path = tmp_path / "net.json"
    path.write_text(json.dumps(network))
    assert backprop.explain(path).to_dict() == from_dict
    conv = backprop.explain(repo / "docs" / "examples" / "conv-network.json")
    assert "dE/dk11" in str(conv)


def test_chain_on_the_slides_example():
    report = backprop.chain(["y = 5x + 3", "x = t^2"], "t", at={"t": 3})
    derivation = report.to_dict()
    assert derivation["derivative"] == "10*t"
    assert derivation["value"] == 30.0  # dy/dt = dy/dx · dx/dt = 5 · 2t at t = 3
    assert [e["value"] for e in derivation["paths"][0]["edges"]] == [5.0, 6.0]
    marked = backprop.chain(["y = 5x + 3", "x = t^2"], "t", answer="5t").to_dict()
    assert marked["correct"] is False
    assert [m["id"] for m in marked["mistakes"]] == ["power-rule"]


def test_check_marks_the_lectures_answers_and_names_the_mistake():
    marks = backprop.check({"out_H1": 0.593269992, "dE/dw5": 0.082167041}).to_dict()["answers"]
    assert [a["correct"] for a in marks] == [True, True]
    wrong = backprop.check({"dE/dw5": 0.0822, "w5+": 0.44108352}).to_dict()["answers"]
    assert [a["correct"] for a in wrong] == [True, False]
    assert wrong[1]["mistakes"][0]["id"] == "update-sign"  # w5 + η·dE/dw5 instead of minus


def test_the_lecture_error_curve():
    report = backprop.lecture(steps=10_000, every=1_000)
    data = report.to_dict()
    assert data["rows"][0]["step"] == 0
    assert abs(data["rows"][0]["error"] - 0.2983711087600027) < 1e-15
    assert data["error_after_last_update"] < 4e-5
    assert "<table>" in report._repr_html_()


def test_explain_a_fitted_estimator_on_its_first_example(penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    model = backprop.Classifier(hidden=[4], random_state=0).fit(X, y)
    step = backprop.explain(model).to_dict()["steps"][0]
    outputs = [f["out"] for f in step["forward"] if f["name"].startswith("y")]
    # The explained forward pass is the model's own prediction for that row (in f64).
    np.testing.assert_allclose(outputs, model.predict_proba(X.head(1))[0], atol=1e-6)
    with pytest.raises(ValueError, match="more than explain writes out"):
        backprop.explain(backprop.Classifier(epochs=1).fit(X, y))
