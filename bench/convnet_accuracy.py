"""Keras' "simple MNIST convnet" trained by wxb and by Keras 3 on the same 8,000 bundled digits,
tested on the same 2,000, for several seeds: the test accuracy of each run, the mean and min–max.

The recipe (issue 13, item 4): examples/mnist_convnet.json (Conv2D 32 3×3 relu, MaxPooling 2,
Conv2D 64 3×3 relu, MaxPooling 2, Flatten, Dropout 0.5, Dense 10 softmax), Adam (Keras' defaults),
categorical crossentropy, batch 128, 15 epochs, validation split 0.1 — on both sides the last 10 %
of the training rows (Keras' rule; wxb's `--split last`), pixels scaled to [0, 1].

Run with the Keras venv's Python (it imports keras; wxb is run as a program):

    CARGO_TARGET_DIR=… cargo build --release -p wxb-cli
    /work/kvenv/bin/python bench/convnet_accuracy.py --wxb $CARGO_TARGET_DIR/release/wxb \
        --seeds 0-9 [--only wxb|keras] [--threads 2]

Each finished run is printed as it ends (`wxb seed 3: 98.20 %`), the summary at the end.
"""

import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "mnist_convnet.json"
EPOCHS, BATCH, SPLIT = 15, 128, 0.1


def seeds(text):
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def idx(name):
    import numpy as np

    raw = gzip.open(ROOT / "data" / name).read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def wxb_run(binary, seed, threads):
    with tempfile.TemporaryDirectory(prefix="wxb-convnet-acc-") as out:
        cmd = [
            binary, "--threads", str(threads), "train", "--spec", str(SPEC), "--epochs", str(EPOCHS), "--batch-size", str(BATCH),
            "--validation-split", str(SPLIT), "--split", "last", "--seed", str(seed), "--out", out,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"wxb seed {seed} failed ({done.returncode}): {done.stderr.strip()}")
        m = re.search(r"Test accuracy: ([0-9.]+)", done.stdout)
        if not m:
            sys.exit(f"wxb seed {seed}: no 'Test accuracy' line in its output:\n{done.stdout}")
        return float(m.group(1))


def keras_data():
    x = idx("mnist-10k-train-images-idx3-ubyte.gz").astype("float32")[..., None] / 255.0
    y = idx("mnist-10k-train-labels-idx1-ubyte.gz")
    tx = idx("mnist-10k-test-images-idx3-ubyte.gz").astype("float32")[..., None] / 255.0
    ty = idx("mnist-10k-test-labels-idx1-ubyte.gz")
    return x, y, tx, ty


def keras_run(data, seed):
    import keras
    from keras import layers

    x, y, tx, ty = data
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    one_hot = keras.utils.to_categorical
    model.fit(x, one_hot(y, 10), batch_size=BATCH, epochs=EPOCHS, validation_split=SPLIT, verbose=0)
    return float(model.evaluate(tx, one_hot(ty, 10), verbose=0)[1])


def summary(name, accs):
    pct = [100 * a for a in accs]
    listed = ", ".join(f"{p:.2f}" for p in pct)
    print(f"{name}: {listed} %")
    print(f"{name}: mean {statistics.mean(pct):.2f} %, min–max {min(pct):.2f}–{max(pct):.2f} % over {len(pct)} seeds")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wxb", default=str(ROOT / "target" / "release" / "wxb"), help="the wxb binary (release)")
    ap.add_argument("--seeds", type=seeds, default=list(range(10)), help="0-9 or 0,3,5 (default 0-9)")
    ap.add_argument("--only", choices=["wxb", "keras"], help="run one side only")
    ap.add_argument("--threads", type=int, default=2, help="threads for each side (default 2)")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    results = {}
    if args.only != "keras":
        if not Path(args.wxb).is_file():
            sys.exit(f"--wxb {args.wxb}: no such binary (build it: cargo build --release -p wxb-cli)")
        results["wxb"] = []
        for s in args.seeds:
            t = time.time()
            results["wxb"].append(wxb_run(args.wxb, s, args.threads))
            print(f"wxb seed {s}: {100 * results['wxb'][-1]:.2f} % ({time.time() - t:.0f} s)", flush=True)
    if args.only != "wxb":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        data = keras_data()
        results["keras"] = []
        for s in args.seeds:
            t = time.time()
            results["keras"].append(keras_run(data, s))
            print(f"keras seed {s}: {100 * results['keras'][-1]:.2f} % ({time.time() - t:.0f} s)", flush=True)
    for name, accs in results.items():
        summary(name, accs)


if __name__ == "__main__":
    main()
