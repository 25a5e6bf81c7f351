#!/usr/bin/env bash
# Runs wxb's exported Keras files in real Keras, and Keras' files in wxb, and prints the
# comparison (recorded in docs/interop.md).
#
#   interop/check_keras.sh            # makes interop/.venv (keras, tensorflow-cpu, h5py, pandas)
#   VENV=/path/to/venv interop/check_keras.sh   # uses an existing venv with those packages
#   WXB=/path/to/wxb interop/check_keras.sh     # uses that wxb binary instead of building one
#
# 1. wxb trains a small classifier on a table (standardized columns) and exports it as .keras and
#    .h5; Keras loads both, predicts the raw table and is compared with `wxb predict`; Keras then
#    keeps training the .keras file (its optimizer state included) for one epoch.
# 2. Keras makes a model (Normalization, Dense, BatchNormalization, Dropout, LayerNormalization),
#    saves .keras and .h5; `wxb predict` on both is compared with Keras' predictions.
# 3. wxb trains a table with a text column (StringLookup), an integer-coded category
#    (IntegerLookup) and numbers (Normalization) straight into a .keras file (`--out
#    table.keras`), resumes it (`--resume table.keras --out resumed.keras`); Keras loads both (one
#    named input per column), predicts the raw CSV columns read with pandas and is compared with
#    `wxb predict`, then keeps training (its optimizer state included).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
if [ -z "${VENV:-}" ]; then
  VENV="$ROOT/interop/.venv"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet keras tensorflow-cpu h5py pandas
  fi
fi
PY="$VENV/bin/python"
export KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=3
if [ -z "${WXB:-}" ]; then   # WXB=/path/to/wxb uses a binary already built
  cargo build --release -q -p wxb-cli --manifest-path "$ROOT/Cargo.toml"
  WXB="${CARGO_TARGET_DIR:-$ROOT/target}/release/wxb"
fi

"$PY" - "$WORK" <<'PYEOF'
import sys, numpy as np
rng = np.random.default_rng(3)
x = rng.normal([5, -2, 30, 0.5], [2, 1, 10, 0.1], size=(300, 4))
y = (x[:, 0] / 2 - x[:, 1] + x[:, 2] / 10 > 6).astype(int) + (x[:, 3] > 0.55)
with open(f"{sys.argv[1]}/train.csv", "w") as f:
    f.write("a,b,c,d,label\n")
    for r, t in zip(x, y):
        f.write(",".join(f"{v:.5f}" for v in r) + f",{t}\n")
PYEOF
cd "$WORK"
"$WXB" train --data train.csv --target label --layers 16 --epochs 5 --verbose 0 --out wxb_model >/dev/null
"$WXB" export --model wxb_model --out model.keras
"$WXB" export --model wxb_model --out model.h5
"$WXB" predict --model wxb_model --data train.csv --target label --out wxb_pred.csv

"$PY" - <<'PYEOF'
import numpy as np, pandas as pd, keras
raw = pd.read_csv("train.csv")
x = raw[["a", "b", "c", "d"]].to_numpy("float32")
wxb = pd.read_csv("wxb_pred.csv")
probs = wxb[[c for c in wxb.columns if c.startswith("p_")]].to_numpy()
for name in ["model.keras", "model.h5"]:
    m = keras.saving.load_model(name)
    k = m.predict(x, verbose=0)
    diff = np.abs(k - probs[:, : k.shape[1]]).max()
    print(f"{name}: Keras loads it ({len(m.layers)} layers: {', '.join(l.name for l in m.layers)}); "
          f"max |Keras − wxb predict| = {diff:.2e} on {len(x)} raw rows")
m = keras.saving.load_model("model.keras")
before = int(m.optimizer.iterations.numpy())
h = m.fit(x, raw["label"].to_numpy(), epochs=1, batch_size=32, verbose=0)
print(f"model.keras: Keras keeps training: optimizer steps {before} -> {int(m.optimizer.iterations.numpy())}, "
      f"loss {h.history['loss'][-1]:.4f}")
PYEOF

"$PY" - <<'PYEOF'
import numpy as np, keras
keras.utils.set_random_seed(1)
rng = np.random.default_rng(1)
x = rng.normal(3, 2, size=(200, 4)).astype("float32")
y = (x[:, 0] > x[:, 1]).astype(int)
norm = keras.layers.Normalization(); norm.adapt(x)
m = keras.Sequential([keras.Input((4,)), norm, keras.layers.Dense(8, activation="relu", name="hidden"),
    keras.layers.BatchNormalization(), keras.layers.Dropout(0.2), keras.layers.LayerNormalization(),
    keras.layers.Dense(2, activation="softmax", name="probs")])
m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
m.fit(x, y, epochs=3, verbose=0)
m.save("keras_made.keras"); m.save("keras_made.h5")
np.savetxt("keras_x.csv", x, delimiter=",", header="x0,x1,x2,x3", comments="", fmt="%.7g")
np.save("keras_pred.npy", m.predict(x, verbose=0))
PYEOF
for f in keras_made.keras keras_made.h5; do
  "$WXB" predict --model "$f" --data keras_x.csv --out "wxb_$f.csv"
  "$PY" - "$f" <<'PYEOF'
import sys, numpy as np, pandas as pd
k = np.load("keras_pred.npy")
w = pd.read_csv(f"wxb_{sys.argv[1]}.csv").filter(like="p_").to_numpy()
print(f"{sys.argv[1]}: wxb predict vs Keras: max |difference| = {np.abs(w - k).max():.2e} on {len(k)} rows")
PYEOF
done
"$WXB" summary --model keras_made.keras

"$PY" - <<'PYEOF'
import numpy as np
rng = np.random.default_rng(4)
n = 240
island = rng.choice(["Biscoe", "Dream", "Torgersen"], size=n)
year = rng.choice([2007, 2008, 2009], size=n)
bill = rng.normal(44, 5, size=n)
mass = rng.normal(4200, 700, size=n)
score = (island == "Dream") * 2.0 + (bill - 44) / 3 + (mass - 4200) / 500 + (year == 2009)
species = np.where(score > 1.5, "Gentoo", np.where(score > 0, "Chinstrap", "Adelie"))
with open("table.csv", "w") as f:
    f.write("island,bill,year,mass,species\n")
    for r in zip(island, bill, year, mass, species):
        f.write(f"{r[0]},{r[1]:.1f},{r[2]},{r[3]:.0f},{r[4]}\n")
    f.write("Anvers,45.0,2010,4100,Adelie\n")   # an island and a year never seen in training
PYEOF
"$WXB" train --data table.csv --target species --categorical year --layers 8 --epochs 4 --verbose 0 \
  --out table.keras >/dev/null
"$WXB" train --data table.csv --target species --resume table.keras --epochs 6 --verbose 0 \
  --out resumed.keras >/dev/null
for f in table.keras resumed.keras; do
  "$WXB" predict --model "$f" --data table.csv --target species --out "wxb_$f.csv"
  "$PY" - "$f" <<'PYEOF'
import sys, numpy as np, pandas as pd, keras, tensorflow as tf
name = sys.argv[1]
raw = pd.read_csv("table.csv")
m = keras.saving.load_model(name)
cols = {"island": tf.constant(raw[["island"]].to_numpy().astype(str)),
        "bill": raw[["bill"]].to_numpy("float32"), "year": raw[["year"]].to_numpy("int64"),
        "mass": raw[["mass"]].to_numpy("float32")}
k = m.predict(cols, verbose=0)
w = pd.read_csv(f"wxb_{name}.csv").filter(like="p_").to_numpy()
kinds = ", ".join(f"{l.name} ({type(l).__name__})" for l in m.layers if not isinstance(l, keras.layers.InputLayer))
print(f"{name}: Keras loads it: inputs {sorted(m.input.keys())}; {kinds}; "
      f"max |Keras − wxb predict| = {np.abs(k - w).max():.2e} on {len(raw)} raw rows (text included)")
before = int(m.optimizer.iterations.numpy())
y = raw["species"].map({"Adelie": 0, "Chinstrap": 1, "Gentoo": 2}).to_numpy()
h = m.fit(cols, y, epochs=1, batch_size=32, verbose=0)
print(f"{name}: Keras keeps training: optimizer steps {before} -> {int(m.optimizer.iterations.numpy())}, "
      f"loss {h.history['loss'][-1]:.4f}")
PYEOF
done
