"""PyTorch on the MNIST-10k MLP, measured the way `wxb-bench` measures wxb (see bench/README.md).

MLP 784-256-128-10 (relu, relu, softmax via cross-entropy on logits), initialised as Keras does
(glorot_uniform kernels, zero biases), Adam with Keras' defaults (lr 1e-3, betas 0.9/0.999, eps 1e-7),
shuffled every epoch, trained on the 8,000 training digits, tested on the 2,000 test
digits of data/. Prints one JSON object: per batch size the median epoch's samples/s and the test
accuracy after all epochs, plus inference latency (one sample) and throughput (batch 8192).

`--model convnet`: Keras' simple MNIST convnet instead (Conv2d 32 3×3 relu, MaxPool 2, Conv2d 64
3×3 relu, MaxPool 2, Flatten, Dropout 0.5, Linear 10; the digits as 1×28×28 images, PyTorch's
channels-first layout), initialised the same way; wxb's side is `mlp_bench --model convnet`.

Usage: python3 bench/peers.py [--model mlp|convnet] --threads 2 --epochs 10 --batches 128,32
"""

import argparse
import gzip
import json
import os
import statistics
import time

import numpy as np
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def idx(name):
    with gzip.open(os.path.join(ROOT, "data", name), "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist():
    x = idx("mnist-10k-train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    y = idx("mnist-10k-train-labels-idx1-ubyte.gz").astype(np.int64)
    tx = idx("mnist-10k-test-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    ty = idx("mnist-10k-test-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(tx), torch.from_numpy(ty)


MODEL = "mlp"


def mlp():
    """Keras' initialisation, as wxb uses it: glorot_uniform kernels, zero biases."""
    if MODEL == "convnet":
        model = nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10),
        )
    else:
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    for layer in model:
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return model


def train(batch, epochs, seed, data):
    x, y, tx, ty = data
    torch.manual_seed(seed)
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    rates = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(n)
        for i in range(0, n, batch):
            idx_ = order[i : i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx_]), y[idx_])
            loss.backward()
            opt.step()
        rates.append(n / (time.perf_counter() - start))
    with torch.no_grad():
        acc = (model(tx).argmax(1) == ty).float().mean().item()
    return {"samples_per_s": statistics.median(rates), "epochs": epochs, "test_accuracy": acc}


def inference(data):
    x = data[0]
    model = mlp().eval()
    one = x[:1].clone()
    big = x.repeat(2, 1)[:8192].clone()
    with torch.inference_mode():
        for _ in range(200):
            model(one)
        times = []
        for _ in range(2000):
            t = time.perf_counter()
            model(one)
            times.append(time.perf_counter() - t)
        latency = statistics.median(times)
        for _ in range(3):
            model(big)
        rates = []
        for _ in range(15):
            t = time.perf_counter()
            model(big)
            rates.append(big.shape[0] / (time.perf_counter() - t))
    return {"latency_us_batch1": latency * 1e6, "samples_per_s_batch8192": statistics.median(rates)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batches", default="128,32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", choices=["mlp", "convnet"], default="mlp")
    a = p.parse_args()
    global MODEL
    MODEL = a.model
    torch.set_num_threads(a.threads)
    data = mnist()
    out = {"name": "pytorch", "model": a.model, "version": torch.__version__, "threads": a.threads, "train": {}}
    for b in [int(s) for s in a.batches.split(",")]:
        out["train"][str(b)] = train(b, a.epochs, a.seed, data)
    out["inference"] = inference(data)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
