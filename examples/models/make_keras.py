"""examples/models/iris_keras.keras: a model made by Keras, for the README's import tour.

Keras 3.15.1 (TensorFlow 2.21 CPU), run from the repository root:
    /work/kvenv/bin/python examples/models/make_keras.py
Input: the 4 raw measurements of examples/data/iris.csv; a Normalization layer adapted on them,
Dense 16 relu, Dense 3 softmax; the classes in sorted order (setosa, versicolor, virginica), as
wxb numbers text labels. Adam, 150 epochs, batch 16, seed 0.
"""
import csv, os
import numpy as np
import keras

keras.utils.set_random_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
rows = list(csv.DictReader(open(os.path.join(HERE, "..", "data", "iris.csv"))))
features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
x = np.array([[float(r[f]) for f in features] for r in rows], dtype=np.float32)
classes = sorted({r["species"] for r in rows})
y = np.array([classes.index(r["species"]) for r in rows])

norm = keras.layers.Normalization(name="measurements")
norm.adapt(x)
model = keras.Sequential(
    [keras.Input((4,)), norm, keras.layers.Dense(16, activation="relu", name="hidden"),
     keras.layers.Dense(3, activation="softmax", name="species")],
    name="iris_keras",
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=150, batch_size=16, verbose=0)
loss, acc = model.evaluate(x, y, verbose=0)
print(f"keras {keras.__version__}: loss {loss:.4f}, accuracy {acc:.4f} on the 150 rows")
model.save(os.path.join(HERE, "iris_keras.keras"))
