"""Writes optimizers.json: PyTorch golden values for StudioOptim's tests.

Run with Debian's torch 1.13: `/usr/bin/python3 make_fixtures.py` (from this folder).
Every optimizer runs its single-tensor (non-foreach) path on two float32 parameters, `a` [3, 4]
and `b` [5], with explicit gradients, so the Swift side needs no autograd. `b` has no gradient
at step 2, which PyTorch skips (its state does not advance). Learning-rate schedules record the
rate each optimizer step uses: the rate before the k-th `scheduler.step()` call.

StudioOptim takes its hyperparameters as Float32 and, like PyTorch, forms scalar factors such as
`1 - beta2` in double. Every hyperparameter here is therefore first rounded to float32 (`f32`), so
that both sides start from the same numbers: `1 - 0.999` and `1 - float32(0.999)` differ by 1e-5
relatively, which would swamp the 1e-6 tolerance the tests hold the updates to.
"""
import json
import math
import os
import warnings

import torch

STEPS = 4
torch.manual_seed(0)
initial = {"a": torch.randn(3, 4), "b": torch.randn(5)}
gradients = []
for step in range(STEPS):
    grads = {"a": torch.randn(3, 4) * 0.5, "b": torch.randn(5) * 2.0}
    if step == 1:
        grads["b"] = None
    gradients.append(grads)


def f32(value):
    """The float32 nearest to a hyperparameter (tuples and lists element-wise); booleans pass."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(f32(v) for v in value)
    return float(torch.tensor(value, dtype=torch.float32))


def listed(t):
    return None if t is None else t.reshape(-1).tolist()


OPTIMIZERS = [
    ("sgd", "SGD", dict(lr=0.1)),
    ("sgd_momentum", "SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("sgd_nesterov", "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05)),
    ("sgd_scheduled", "SGD", dict(lr=0.1, momentum=0.5, learning_rates=[0.1, 0.05, 0.2, 0.01])),
    ("adam", "Adam", dict(lr=0.01)),
    ("adam_weight_decay", "Adam", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("adam_scheduled", "Adam", dict(lr=0.01, learning_rates=[0.01, 0.003, 0.02, 0.001])),
    ("adamw", "AdamW", dict(lr=0.01)),
    ("adamw_custom", "AdamW", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-5, weight_decay=0.2)),
    ("rmsprop", "RMSprop", dict(lr=0.01)),
    ("rmsprop_centered_momentum", "RMSprop",
     dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True)),
    ("rmsprop_momentum", "RMSprop", dict(lr=0.02, momentum=0.9)),
    ("adagrad", "Adagrad", dict(lr=0.1)),
    ("adagrad_decay", "Adagrad",
     dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.1, eps=1e-8)),
]


DEFAULTS = {"Adam": dict(betas=(0.9, 0.999)), "AdamW": dict(betas=(0.9, 0.999)), "RMSprop": dict(alpha=0.99)}


def run_optimizer(name, kind, options):
    # Defaults whose complements (`1 - beta`) matter are passed explicitly, rounded like the rest.
    options = {**DEFAULTS.get(kind, {}), **options}
    options = {k: f32(v) for k, v in options.items()}
    learning_rates = options.pop("learning_rates", None)
    params = {k: torch.nn.Parameter(v.clone()) for k, v in initial.items()}
    optimizer = getattr(torch.optim, kind)([params["a"], params["b"]], foreach=False, **options)
    steps = []
    for step, grads in enumerate(gradients):
        if learning_rates is not None:
            for group in optimizer.param_groups:
                group["lr"] = learning_rates[step]
        for key, p in params.items():
            p.grad = None if grads[key] is None else grads[key].clone()
        optimizer.step()
        steps.append({k: listed(p.detach()) for k, p in params.items()})
    recorded = {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()}
    if learning_rates is not None:
        recorded["learning_rates"] = learning_rates
    return {"name": name, "kind": kind, "options": recorded, "steps": steps}


def record_rates(make, count, base=0.5):
    p = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=base)
    scheduler = make(optimizer)
    rates = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(count):
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    return rates


S = torch.optim.lr_scheduler
SCHEDULES = [
    dict(name="step", base=0.5, decay="step", step_size=3, gamma=0.5, warmup_steps=0, warmup_start_factor=0,
         rates=record_rates(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 12)),
    dict(name="cosine", base=0.5, decay="cosine", steps=10, minimum_rate=0.01, warmup_steps=0,
         warmup_start_factor=0,
         rates=record_rates(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01), 11)),
    dict(name="warmup", base=0.5, decay="constant", warmup_steps=4, warmup_start_factor=0.25,
         rates=record_rates(lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4), 8)),
    dict(name="warmup_cosine", base=0.5, decay="cosine", steps=6, minimum_rate=0.05, warmup_steps=3,
         warmup_start_factor=0.1,
         rates=record_rates(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                          S.CosineAnnealingLR(o, T_max=6, eta_min=0.05)],
                                                      milestones=[3]), 10)),
    dict(name="warmup_step", base=0.5, decay="step", step_size=2, gamma=0.1, warmup_steps=2,
         warmup_start_factor=0.5,
         rates=record_rates(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.5, total_iters=2),
                                                          S.StepLR(o, step_size=2, gamma=0.1)],
                                                      milestones=[2]), 8)),
    dict(name="linear", base=0.5, decay="linear", steps=8, minimum_rate=0.05, warmup_steps=0, warmup_start_factor=0,
         rates=record_rates(lambda o: S.LinearLR(o, start_factor=1, end_factor=0.1, total_iters=8), 11)),
    dict(name="warmup_linear", base=0.5, decay="linear", steps=5, minimum_rate=0, warmup_steps=2,
         warmup_start_factor=0.2,
         rates=record_rates(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.2, total_iters=2),
                                                          S.LinearLR(o, start_factor=1, end_factor=0, total_iters=5)],
                                                      milestones=[2]), 9)),
]

fixture = {
    "torch_version": torch.__version__,
    "shapes": {k: list(v.shape) for k, v in initial.items()},
    "initial": {k: listed(v) for k, v in initial.items()},
    "gradients": [{k: listed(v) for k, v in g.items()} for g in gradients],
    "optimizers": [run_optimizer(*case) for case in OPTIMIZERS],
    "schedules": SCHEDULES,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizers.json")
with open(path, "w") as f:
    json.dump(fixture, f, indent=1)
print("wrote", path, "with torch", torch.__version__)
for s in SCHEDULES:
    print(s["name"], [round(r, 6) for r in s["rates"]])
