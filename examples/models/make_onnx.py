"""examples/models/iris_torch.onnx: a model made by PyTorch, for the README's import tour.

PyTorch 2.15 with onnx, run from the repository root:
    /work/venv-onnx/bin/python examples/models/make_onnx.py
Input: the 4 raw measurements of examples/data/iris.csv; Linear 4→16, ReLU, Linear 16→3, Softmax;
the classes in sorted order (setosa, versicolor, virginica), as wxb numbers text labels. Adam
(lr 0.01), 300 full-batch epochs, seed 0; exported with torch.onnx.export (opset 17, dynamic batch).
"""
import csv, os
import numpy as np
import onnx
import torch
from torch import nn

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
rows = list(csv.DictReader(open(os.path.join(HERE, "..", "data", "iris.csv"))))
features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
x = torch.tensor([[float(r[f]) for f in features] for r in rows], dtype=torch.float32)
classes = sorted({r["species"] for r in rows})
y = torch.tensor([classes.index(r["species"]) for r in rows])

body = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
opt = torch.optim.Adam(body.parameters(), lr=0.01)
for _ in range(300):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(body(x), y)
    loss.backward()
    opt.step()
model = nn.Sequential(body, nn.Softmax(dim=1)).eval()
acc = (model(x).argmax(1) == y).float().mean().item()
print(f"torch {torch.__version__}: loss {loss.item():.4f}, accuracy {acc:.4f} on the 150 rows")
path = os.path.join(HERE, "iris_torch.onnx")
torch.onnx.export(model, (x[:2],), path, input_names=["measurements"], output_names=["species"],
                  opset_version=17, dynamic_axes={"measurements": {0: "batch"}, "species": {0: "batch"}},
                  dynamo=False)
onnx.checker.check_model(onnx.load(path), full_check=True)
