"""Golden values for the WGAN-GP gradient penalty (StudioTrainingTests/GradientPenaltyGoldenTests.swift), from PyTorch.

Run with Debian's torch: /usr/bin/python3 make_gradient_penalty.py (from this folder). It rewrites
gradient_penalty.json: a small 1-d critic (Conv1d, LeakyReLU(0.2), Flatten, Linear) and the same
critic with a projection term for class labels (Miyato & Koyama 2018), real and fake batches, the
mixing weights, the penalty mean((||grad_x D(x_hat)||_2 - 1)^2) and its gradient with respect to
every critic weight (a gradient of a gradient); and the R1 penalty mean(||grad_x D(real)||_2^2) at the
real batch with its weight gradients (r1, r1_grads), computed after the rest so that the earlier
values keep their random draws. Floats are float32 values printed as float64.
"""
import json
import torch
import torch.nn as nn

torch.manual_seed(20261124)


def t(x):
    x = x.detach().to(torch.float32)
    return {"shape": list(x.shape), "values": x.double().flatten().tolist()}


def case(name, labels=None, classes=3):
    critic = nn.Sequential(nn.Conv1d(2, 3, 5, stride=2, padding=2), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(12, 1))
    projection = nn.Embedding(classes, 12) if labels is not None else None

    def score(x):
        if projection is None:
            return critic(x)
        features = critic[:3](x)
        return critic[3](features) + (projection(labels) * features).sum(dim=1, keepdim=True)

    real = torch.randn(4, 2, 8)
    fake = torch.randn(4, 2, 8)
    mixing = torch.rand(4)
    w = mixing.view(4, 1, 1)
    x_hat = (w * real + (1 - w) * fake).requires_grad_(True)
    g, = torch.autograd.grad(score(x_hat).sum(), x_hat, create_graph=True)
    penalty = ((g.reshape(4, -1).norm(2, dim=1) - 1) ** 2).mean()
    parameters = dict(critic.named_parameters())
    if projection is not None:
        parameters["projection.weight"] = projection.weight
    # The last bias does not move the slope, so its gradient is None in PyTorch: zeros here.
    grads = torch.autograd.grad(penalty, list(parameters.values()), allow_unused=True)
    grads = [torch.zeros_like(p) if g is None else g for p, g in zip(parameters.values(), grads)]
    x_real = real.clone().requires_grad_(True)
    g_real, = torch.autograd.grad(score(x_real).sum(), x_real, create_graph=True)
    r1 = (g_real.reshape(4, -1) ** 2).sum(dim=1).mean()
    r1_grads = torch.autograd.grad(r1, list(parameters.values()), allow_unused=True)
    r1_grads = [torch.zeros_like(p) if g is None else g for p, g in zip(parameters.values(), r1_grads)]
    return {
        "name": name,
        "labels": labels.tolist() if labels is not None else None,
        "real": t(real), "fake": t(fake), "mixing": t(mixing),
        "parameters": {k: t(v) for k, v in parameters.items()},
        "penalty": penalty.item(),
        "grads": {k: t(v) for k, v in zip(parameters.keys(), grads)},
        "r1": r1.item(),
        "r1_grads": {k: t(v) for k, v in zip(parameters.keys(), r1_grads)},
    }


fixture = {"torchVersion": torch.__version__,
           "cases": [case("critic"), case("projection critic", labels=torch.tensor([2, 0, 1, 2]))]}
with open("gradient_penalty.json", "w") as f:
    json.dump(fixture, f)
    f.write("\n")
