#!/usr/bin/env python3
"""wxb vs Keras on classic tabular data sets (issue 3, "Accuracy on real tabular data").

For breast cancer, wine, iris, digits (classification) and diabetes (regression) from
scikit-learn: a fixed, stratified 80/20 split written to CSV; then, for each seed, the same model
trained by Keras and by the `wxb` command line:

    z-score features with the training split's mean and (population) std  (wxb: --standardize)
    Dense(64, relu) -> Dense(32, relu) -> Dense(classes, softmax) or Dense(1)
    Adam (Keras defaults), batch 32, shuffled, the same number of epochs
    sparse categorical crossentropy + accuracy, or mean squared error + mae

and evaluated on the held-out 20%: `wxb evaluate --json`, Keras' `model.evaluate`. Prints a table of
mean ± sd over the seeds (test accuracy for classification, test MSE and MAE for regression).

    python bench/tabular/compare.py [--seeds 5] [--wxb target/release/wxb] [--markdown]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# name, loader, task, epochs
DATASETS = [
    ("breast_cancer", datasets.load_breast_cancer, "classification", 50),
    ("wine", datasets.load_wine, "classification", 50),
    ("iris", datasets.load_iris, "classification", 50),
    ("digits", datasets.load_digits, "classification", 50),
    ("diabetes", datasets.load_diabetes, "regression", 200),
]


def write_splits(name, loader, task, folder):
    """The fixed 80/20 split (random_state 0, stratified for classes) as train.csv and test.csv."""
    d = loader()
    x, y = d.data.astype(np.float64), d.target
    stratify = y if task == "classification" else None
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=0, stratify=stratify)
    header = ",".join([f"f{i}" for i in range(x.shape[1])] + ["target"])
    for part, xs, ys in (("train", xtr, ytr), ("test", xte, yte)):
        path = folder / f"{name}-{part}.csv"
        with open(path, "w") as f:
            f.write(header + "\n")
            for row, t in zip(xs, ys):
                f.write(",".join(repr(float(v)) for v in row) + f",{t}\n")
    return xtr, xte, ytr, yte


def keras_run(split, task, epochs, seed):
    import keras

    xtr, xte, ytr, yte = split
    # The same statistics wxb computes: mean and population std of the training split, std 1 for
    # a constant column; in float32 as wxb stores them.
    mean = xtr.mean(axis=0)
    std = xtr.std(axis=0)
    std[std <= 1e-12] = 1.0
    xtr = ((xtr - mean) / std).astype(np.float32)
    xte = ((xte - mean) / std).astype(np.float32)
    keras.utils.set_random_seed(seed)
    classes = int(ytr.max()) + 1 if task == "classification" else 1
    head = keras.layers.Dense(classes, activation="softmax" if task == "classification" else None)
    model = keras.Sequential(
        [keras.Input((xtr.shape[1],)), keras.layers.Dense(64, activation="relu"),
         keras.layers.Dense(32, activation="relu"), head]
    )
    if task == "classification":
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        model.compile("adam", "mean_squared_error", metrics=["mae"])
    start = time.perf_counter()
    model.fit(xtr, ytr.astype(np.float32), batch_size=32, epochs=epochs, verbose=0, shuffle=True)
    seconds = time.perf_counter() - start
    logs = model.evaluate(xte, yte.astype(np.float32), batch_size=32, verbose=0, return_dict=True)
    return logs, seconds


def wxb_run(wxb, folder, name, task, epochs, seed):
    out = folder / f"wxb-{name}-{seed}"
    cmd = [
        str(wxb), "train", "--data", str(folder / f"{name}-train.csv"), "--task", task, "--standardize",
        "--layers", "64,32", "--batch-size", "32", "--epochs", str(epochs), "--seed", str(seed),
        "--out", str(out), "--verbose", "0",
    ]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    seconds = time.perf_counter() - start
    ev = subprocess.run(
        [str(wxb), "evaluate", "--model", str(out), "--data", str(folder / f"{name}-test.csv"), "--json"],
        check=True, capture_output=True, text=True,
    )
    return json.loads(ev.stdout), seconds


def mean_sd(values):
    a = np.asarray(values, dtype=np.float64)
    return a.mean(), a.std(ddof=1) if len(a) > 1 else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--wxb", type=Path, default=ROOT / "target" / "release" / "wxb")
    ap.add_argument("--only", nargs="*", help="data set names (default: all)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    if not args.wxb.exists():
        sys.exit(f"{args.wxb}: not found; build it with `cargo build --release` or pass --wxb")
    import keras

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, loader, task, epochs in DATASETS:
            if args.only and name not in args.only:
                continue
            split = write_splits(name, loader, task, folder)
            metric = "accuracy" if task == "classification" else "loss"
            k, w, kt, wt, kmae, wmae = [], [], [], [], [], []
            for seed in range(args.seeds):
                klogs, ks = keras_run(split, task, epochs, seed)
                wlogs, ws = wxb_run(args.wxb, folder, name, task, epochs, seed)
                k.append(klogs[metric])
                w.append(wlogs[metric])
                kt.append(ks)
                wt.append(ws)
                if task == "regression":
                    kmae.append(klogs["mae"])
                    wmae.append(wlogs["mae"])
                print(f"{name} seed {seed}: keras {metric} {klogs[metric]:.4f} ({ks:.1f}s), "
                      f"wxb {wlogs[metric]:.4f} ({ws:.1f}s)", file=sys.stderr)
            label = "test accuracy" if task == "classification" else "test MSE"
            rows.append((name, label, epochs, mean_sd(k), mean_sd(w), np.mean(kt), np.mean(wt)))
            if task == "regression":
                rows.append((name, "test MAE", epochs, mean_sd(kmae), mean_sd(wmae), np.mean(kt), np.mean(wt)))

    def fmt(ms, label):
        digits = 4 if "accuracy" in label else 1
        return f"{ms[0]:.{digits}f} ± {ms[1]:.{digits}f}"

    head = ["dataset", "metric", "epochs", f"Keras {keras.__version__} (mean ± sd)", "wxb (mean ± sd)",
            "Keras s/run", "wxb s/run"]
    table = [[n, lab, str(e), fmt(km, lab), fmt(wm, lab), f"{kt:.1f}", f"{wt:.1f}"]
             for n, lab, e, km, wm, kt, wt in rows]
    print(f"# {args.seeds} seeds; {platform.node()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; Python {platform.python_version()}")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" for _ in head) + "|")
        for r in table:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(x[i]) for x in [head] + table) for i in range(len(head))]
        for r in [head] + table:
            print("  ".join(x.ljust(wd) for x, wd in zip(r, widths)))


if __name__ == "__main__":
    main()
