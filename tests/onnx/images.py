"""Runs an exported image model in onnxruntime on the files `backprop predict` listed, each
decoded here by Pillow (not by backprop's decoder), and compares with predict's probabilities.
Prints one JSON line: the largest difference and the number of labels that differ.

usage: images.py MODEL.onnx PREDICTIONS.csv

The images are fed as predict reads them: gray or RGB by the model's channels, at the model's
size (the test's files already are), scaled to [0, 1], channel by channel, one row per image.
onnx.checker.check_model(full_check=True) runs first.
"""
import csv, json, sys

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

model_path, predictions_path = sys.argv[1:3]
model = onnx.load(model_path)
onnx.checker.check_model(model, full_check=True)
info = json.loads({p.key: p.value for p in model.metadata_props}["model_json"])
channels, height, width = info["image"]

with open(predictions_path, newline="") as f:
    rows = list(csv.reader(f))[1:]
pixels = []
for row in rows:
    image = Image.open(row[0]).convert("L" if channels == 1 else "RGB")
    assert image.size == (width, height), (row[0], image.size)
    array = np.asarray(image, np.float32) / 255.0
    if channels == 3:
        array = array.transpose(2, 0, 1)
    pixels.append(array.reshape(-1))
session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
feeds = {session.get_inputs()[0].name: np.stack(pixels)}
outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
ours = np.array([[float(x) for x in row[2:]] for row in rows], np.float64)
diff = float(np.abs(outputs["probabilities"] - ours).max())
wrong = sum(a != b[1] for a, b in zip(outputs["label"].tolist(), rows))
print(json.dumps({"max_diff": diff, "labels_differing": wrong, "rows": len(rows),
                  "ops": sorted({n.op_type for n in model.graph.node})}))
