#!/usr/bin/env python3
"""Python PyTorch side of `npm run bench:engine`: the same workloads as bench/engine.ts.

Prints one JSON object: {"workload": ..., "ms_per_step": ...} or {"us_per_op": ...}.
Run by bench/engine.ts with Debian's python3-torch (the same libtorch as Loom's addon).
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)


def cnn(batch):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False),
        nn.Conv2d(64, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10),
    ), torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,))


def mlp(batch):
    return nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10),
    ), torch.randn(batch, 64), torch.randint(0, 10, (batch,))


def train(workload, warmup, steps, batch, device):
    torch.manual_seed(0)
    model, x, y = mlp(batch) if workload == "mlp" else cnn(batch)
    model, x, y = model.to(device), x.to(device), y.to(device)
    if workload in ("cnn-cl", "cnn-bf16"):
        model = model.to(memory_format=torch.channels_last)
    mixed = workload == "cnn-bf16"
    if workload != "mlp":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu" if device == "cpu" else "cuda", dtype=torch.bfloat16, enabled=mixed):
            logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(warmup):
        step()
    if device != "cpu":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    loss.item()
    if device != "cpu":
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) * 1000 / steps


def op(n):
    a, b = torch.ones(1), torch.ones(1)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            c = a + b
        best = min(best, (time.perf_counter() - t0) * 1e6 / n)
    del c
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workload", required=True, choices=["cnn", "cnn-cl", "cnn-bf16", "mlp", "op"])
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.workload == "op":
        print(json.dumps({"workload": "op", "us_per_op": op(100000), "torch": torch.__version__}))
        return
    batch = a.batch or (32 if a.workload == "mlp" else 64)
    ms = train(a.workload, a.warmup, a.steps, batch, a.device)
    print(json.dumps({"workload": a.workload, "ms_per_step": ms, "batch": batch, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
