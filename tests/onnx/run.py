"""Runs an exported model in onnxruntime on the raw rows of a CSV file and compares it with
`backprop predict`'s output for the same file. Prints one JSON line: the largest difference
of the probabilities (or values) and the number of labels that differ.

usage: run.py MODEL.onnx DATA.csv PREDICTIONS.csv

Cells are passed as the file writes them: float inputs get the number (NaN for a missing
marker), string inputs the text. onnx.checker.check_model(full_check=True) runs first.
"""
import csv, json, sys

import numpy as np
import onnx
import onnxruntime as ort

model_path, data_path, predictions_path = sys.argv[1:4]
model = onnx.load(model_path)
onnx.checker.check_model(model, full_check=True)
meta = {p.key: p.value for p in model.metadata_props}
markers = set(json.loads(meta["model_json"])["table"]["missing_markers"])

with open(data_path, newline="", encoding="utf-8-sig") as f:
    rows = list(csv.DictReader(f))
session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
feeds = {}
for value in session.get_inputs():
    cells = [row[value.name].strip() for row in rows]
    if value.type == "tensor(float)":
        numbers = [float("nan") if c in markers else float(c) for c in cells]
        feeds[value.name] = np.array(numbers, np.float32).reshape(-1, 1)
    else:
        feeds[value.name] = np.array(cells, dtype=object).reshape(-1, 1)
names = [o.name for o in session.get_outputs()]
outputs = dict(zip(names, session.run(None, feeds)))

with open(predictions_path, newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    predicted = list(reader)
if "probabilities" in outputs:
    ours = np.array([[float(x) for x in row[1:]] for row in predicted], np.float64)
    labels = [row[0] for row in predicted]
    diff = float(np.abs(outputs["probabilities"] - ours).max())
    wrong = sum(a != b for a, b in zip(outputs["label"].tolist(), labels))
else:
    ours = np.array([[float(x) for x in row] for row in predicted], np.float64)
    theirs = outputs["label"].astype(np.float64)
    diff = float((np.abs(theirs - ours) / np.maximum(1.0, np.abs(ours))).max())
    wrong = 0
print(json.dumps({"max_diff": diff, "labels_differing": wrong, "rows": len(rows),
                  "inputs": [v.name + ":" + v.type for v in session.get_inputs()]}))
