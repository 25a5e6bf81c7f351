"""Keras' figure for issue 12's tabular test: the Palmer penguins table, preprocessed the usual way.

The table (`examples/data/penguins.csv`, see its LICENSE note) has text
features (`island`, `sex`), 19 missing cells (`NA`: 11 in `sex`, 2 in each of four numeric
columns), the target `species` in the first column and rows sorted by species. For each seed:

- a stratified shuffled 80/20 split (scikit-learn's `train_test_split(stratify=species,
  random_state=seed)`), the 20% held out for validation;
- preprocessing fitted on the training 80% only: numeric columns mean-imputed then z-scored
  (population std), text columns imputed with their most frequent value then one-hot encoded;
- Dense 64 relu → Dense 32 relu → Dense 3 softmax (Glorot-uniform kernels, zero biases), Adam with
  Keras' defaults, sparse categorical crossentropy, batch 32, shuffled, 30 epochs;
- the validation accuracy after the last epoch.

`wxb train --data penguins.csv --target species --validation-split 0.2 --epochs 30` does the
same with no preprocessing flags (its defaults: shuffled stratified split, imputation, one-hot,
standardization), so `crates/wxb-cli/tests/it/tabular_penguins.rs` compares its validation accuracy
with this script's mean.

Run from the repository root with a virtual environment that has keras==3.15.1,
tensorflow-cpu==2.21.0, pandas and scikit-learn:
    python bench/tabular/penguins.py [--seeds 10]
It writes crates/wxb-cli/tests/fixtures/tables/penguins_keras.json.
"""
import argparse
import json
import os
import statistics

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import keras  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "../../examples/data/penguins.csv")
OUT = os.path.join(HERE, "../../crates/wxb-cli/tests/fixtures/tables/penguins_keras.json")
TARGET = "species"
EPOCHS = 30
BATCH = 32


def preprocess(train, val):
    """Mean-impute + z-score numbers, mode-impute + one-hot text; statistics of `train` only."""
    out_t, out_v = [], []
    for col in train.columns:
        t, v = train[col], val[col]
        if not pd.api.types.is_numeric_dtype(t):
            mode = t.mode().iloc[0]
            t, v = t.fillna(mode), v.fillna(mode)
            for cat in sorted(t.unique()):
                out_t.append((t == cat).astype("float32").to_numpy())
                out_v.append((v == cat).astype("float32").to_numpy())
        else:
            mean = t.mean()
            t, v = t.fillna(mean), v.fillna(mean)
            std = t.std(ddof=0) or 1.0
            out_t.append(((t - mean) / std).astype("float32").to_numpy())
            out_v.append(((v - mean) / std).astype("float32").to_numpy())
    return np.stack(out_t, axis=1), np.stack(out_v, axis=1)


def run(seed, table):
    classes = sorted(table[TARGET].unique())
    y = table[TARGET].map({c: i for i, c in enumerate(classes)}).to_numpy()
    x = table.drop(columns=[TARGET])
    xt, xv, yt, yv = train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed)
    xt, xv = preprocess(xt, xv)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((xt.shape[1],)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(len(classes), activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(xt, yt, batch_size=BATCH, epochs=EPOCHS, validation_data=(xv, yv), verbose=0)
    return float(h.history["val_accuracy"][-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    table = pd.read_csv(TABLE)  # pandas reads "NA" as missing
    accs = [run(seed, table) for seed in range(args.seeds)]
    result = {
        "source": "bench/tabular/penguins.py, keras " + keras.__version__,
        "protocol": f"stratified 80/20 split per seed, impute+one-hot+z-score, Dense 64-32 relu, "
                    f"Adam, batch {BATCH}, {EPOCHS} epochs",
        "val_accuracy": accs,
        "mean": statistics.mean(accs),
        "sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
    }
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
