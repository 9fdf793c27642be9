"""A toy training script for git-exp, in plain Python (no numpy): fits y = 3x + 1 by gradient descent.

    git exp run train.py                                  # tracked: params, metrics, results, model.json
    git exp run train.py -p lr=0.05 -p epochs=40
    git exp run train.py -p 'lr=list(0.01, 0.05, 0.1)'    # a sweep
    python3 train.py                                      # bare: writes ./exp-out/ (needs git_exp importable)

Then: git exp list; git exp metrics ID; or from Python: git_exp.dataframe().
"""

import json
import os
import random

import git_exp as exp

cfg = exp.params({"lr": 0.05, "epochs": 20, "seed": 0, "data": {"n": 200, "noise": 0.1}})


@exp.checkpoint("data")
def make_data(n, noise, seed):
    """Skipped (and its result restored) when `git exp continue` resumes this experiment."""
    rng = random.Random(seed)
    xs = [rng.uniform(-1, 1) for _ in range(n)]
    return [(x, 3 * x + 1 + rng.gauss(0, noise)) for x in xs]


data = make_data(cfg.data.n, cfg.data.noise, cfg.seed)
split = int(len(data) * 0.8)
train, val = data[:split], data[split:]
w, b = 0.0, 0.0


def mse(rows):
    return sum((w * x + b - y) ** 2 for x, y in rows) / len(rows)


for epoch in range(cfg.epochs):
    gw = sum(2 * (w * x + b - y) * x for x, y in train) / len(train)
    gb = sum(2 * (w * x + b - y) for x, y in train) / len(train)
    w, b = w - cfg.lr * gw, b - cfg.lr * gb
    exp.log({"loss": mse(train), "val_loss": mse(val)}, step=epoch)

val_acc = sum(abs(w * x + b - y) < 0.25 for x, y in val) / len(val)
exp.results({"val_loss": mse(val), "val_acc": val_acc, "w": w, "b": b})
with open(os.path.join(exp.out_dir(), "model.json"), "w") as f:
    json.dump({"w": w, "b": b}, f)
print(f"w={w:.3f} b={b:.3f} val_acc={val_acc:.2f}")
