"""Golden values for the semi-supervised GAN's losses (StudioTrainingTests/SemiSupervisedGANTests.swift), from PyTorch.

Run with Debian's torch: /usr/bin/python3 make_semi_supervised.py (from this folder). It rewrites
semi_supervised.json: class logits of labelled, unlabelled and generated images, the labels, and the
discriminator's two terms written as in Salimans et al.'s code (cross-entropy of the labels;
-mean lse(l_unl) + mean softplus(lse(l_unl)) + mean softplus(lse(l_fake))) with their gradients in every
logit; and feature matching mean((mean(f_real) - mean(f_fake))^2) with its gradient in the fake
features. Floats are float32 values printed as float64.
"""
import json
import torch
import torch.nn.functional as F

torch.manual_seed(20261128)


def t(x):
    x = x.detach().to(torch.float32)
    return {"shape": list(x.shape), "values": x.double().flatten().tolist()}


labelled = (torch.randn(4, 3) * 2).requires_grad_(True)
unlabelled = (torch.randn(5, 3) * 2).requires_grad_(True)
fake = (torch.randn(6, 3) * 2).requires_grad_(True)
labels = [2, 0, 1, 2]
supervised = F.cross_entropy(labelled, torch.tensor(labels))
lse_u = torch.logsumexp(unlabelled, dim=1)
lse_f = torch.logsumexp(fake, dim=1)
unsupervised = -lse_u.mean() + F.softplus(lse_u).mean() + F.softplus(lse_f).mean()
(supervised + unsupervised).backward()

real_features = torch.randn(5, 4)
fake_features = torch.randn(6, 4).requires_grad_(True)
matching = ((real_features.mean(0) - fake_features.mean(0)) ** 2).mean()
matching.backward()

fixture = {
    "torchVersion": torch.__version__,
    "labelled": t(labelled), "unlabelled": t(unlabelled), "fake": t(fake), "labels": labels,
    "supervised": supervised.item(), "unsupervised": unsupervised.item(),
    "labelled_grad": t(labelled.grad), "unlabelled_grad": t(unlabelled.grad), "fake_grad": t(fake.grad),
    "real_features": t(real_features), "fake_features": t(fake_features),
    "matching": matching.item(), "fake_features_grad": t(fake_features.grad),
}
with open("semi_supervised.json", "w") as f:
    json.dump(fixture, f, indent=1)
