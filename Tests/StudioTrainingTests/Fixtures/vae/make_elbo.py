"""Golden values for the ELBO terms (Tests/StudioTrainingTests/VAEObjectiveTests.swift).

Made with Debian's PyTorch 1.13 (/usr/bin/python3 make_elbo.py > elbo.json). Every term is summed
over an image and divided by the batch size, as PyTorch's VAE example (examples/vae/main.py) does.
"""
import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(7)
n = 2
logits = torch.randn(n, 1, 3, 3) * 2
targets = torch.rand(n, 1, 3, 3)
targets[0, 0, 0, 0], targets[1, 0, 2, 2] = 0.0, 1.0
mean = torch.randn(n, 4)
logvar = torch.randn(n, 4) * 0.5
learned_logvar = torch.tensor([0.3])


def flat(t):
    return [float(v) for v in t.detach().reshape(-1)]


def gaussian_nll(out, x, lv):
    return (0.5 * math.log(2 * math.pi) + 0.5 * lv + (x - out) ** 2 / (2 * lv.exp())).sum() / n


out = {"torch": torch.__version__, "logits": flat(logits), "targets": flat(targets), "mean": flat(mean), "logvar": flat(logvar)}

x = logits.clone().requires_grad_()
bce = F.binary_cross_entropy_with_logits(x, targets, reduction="sum") / n
bce.backward()
out["bernoulli"] = bce.item()
out["bernoulli_grad"] = flat(x.grad)
# The example's own form: sigmoid inside the model, binary_cross_entropy on probabilities.
out["bernoulli_example"] = (F.binary_cross_entropy(torch.sigmoid(logits), targets, reduction="sum") / n).item()

out["gaussian_fixed_variance"] = 0.5
fixed = -torch.distributions.Normal(logits, math.sqrt(0.5)).log_prob(targets).sum() / n
out["gaussian_fixed"] = fixed.item()
assert abs(fixed.item() - gaussian_nll(logits, targets, torch.tensor([math.log(0.5)])).item()) < 1e-4

x = logits.clone().requires_grad_()
lv = learned_logvar.clone().requires_grad_()
learned = gaussian_nll(x, targets, lv)
learned.backward()
out["gaussian_learned_logvar"] = float(learned_logvar)
out["gaussian_learned"] = learned.item()
out["gaussian_learned_grad_output"] = flat(x.grad)
out["gaussian_learned_grad_logvar"] = flat(lv.grad)

m = mean.clone().requires_grad_()
v = logvar.clone().requires_grad_()
kld = -0.5 * torch.sum(1 + v - m.pow(2) - v.exp()) / n
reference = torch.distributions.kl_divergence(
    torch.distributions.Normal(mean, (0.5 * logvar).exp()), torch.distributions.Normal(0.0, 1.0)).sum() / n
assert abs(kld.item() - reference.item()) < 1e-4
out["kl"] = kld.item()

# beta-VAE with warm-up: beta 4 over 10 steps, at step 3 the KL weight is 4 * 3 / 10.
x = logits.clone().requires_grad_()
loss = F.binary_cross_entropy_with_logits(x, targets, reduction="sum") / n + 1.2 * kld
loss.backward()
out["beta"], out["warmup_steps"], out["step"], out["kl_weight"] = 4.0, 10, 3, 1.2
out["warmup_loss"] = loss.item()
out["warmup_grad_logits"] = flat(x.grad)
out["warmup_grad_mean"] = flat(m.grad)
out["warmup_grad_logvar"] = flat(v.grad)
print(json.dumps(out, indent=1))
