"""Golden values for the semi-supervised VAE's objective (StudioTrainingTests/SemiSupervisedVAETests.swift), from PyTorch.

Run with Debian's torch: /usr/bin/python3 make_semi_supervised_vae.py (from this folder). It rewrites
semi_supervised_vae.json: the classifier's logits of an unlabelled batch and the negative ELBO of every
image under every label, the unlabelled bound U = mean_x sum_y q(y|x) (L(x, y) + log q(y|x)) (Kingma et
al. 2014, M2) with its gradients in both; alpha * cross-entropy of labelled logits with its gradient; and
the per-image Bernoulli reconstruction and KL terms with theirs. Floats are float32 values printed as float64.
"""
import json
import torch
import torch.nn.functional as F

torch.manual_seed(20261129)


def t(x):
    x = x.detach().to(torch.float32)
    return {"shape": list(x.shape), "values": x.double().flatten().tolist()}


logits = (torch.randn(5, 3) * 2).requires_grad_(True)
losses = (torch.rand(3, 5) * 50 + 80).requires_grad_(True)   # [classes, N], nats per image
q = F.softmax(logits, dim=1)
log_q = F.log_softmax(logits, dim=1)
unlabelled = (q * losses.t()).sum(1).mean() - (-(q * log_q).sum(1)).mean()
unlabelled.backward()

labelled = (torch.randn(4, 3) * 2).requires_grad_(True)
labels = [1, 0, 2, 2]
alpha = 60.0
classification = alpha * F.cross_entropy(labelled, torch.tensor(labels))
classification.backward()

output = torch.randn(2, 1, 3, 3).requires_grad_(True)
target = torch.rand(2, 1, 3, 3)
reconstruction = F.binary_cross_entropy_with_logits(output, target, reduction="none").sum((1, 2, 3))
mean = torch.randn(2, 4).requires_grad_(True)
log_variance = (torch.randn(2, 4) * 0.5).requires_grad_(True)
kl = -0.5 * (1 + log_variance - mean ** 2 - log_variance.exp()).sum(1)
(reconstruction * torch.tensor([1.0, 2.0])).sum().backward()
(kl * torch.tensor([3.0, -1.0])).sum().backward()

fixture = {
    "torchVersion": torch.__version__,
    "logits": t(logits), "losses": t(losses), "unlabelled": unlabelled.item(),
    "logits_grad": t(logits.grad), "losses_grad": t(losses.grad),
    "labelled": t(labelled), "labels": labels, "alpha": alpha, "classification": classification.item(),
    "labelled_grad": t(labelled.grad),
    "output": t(output), "target": t(target), "reconstruction": t(reconstruction), "output_grad": t(output.grad),
    "mean": t(mean), "log_variance": t(log_variance), "kl": t(kl),
    "mean_grad": t(mean.grad), "log_variance_grad": t(log_variance.grad),
}
with open("semi_supervised_vae.json", "w") as f:
    json.dump(fixture, f, indent=1)
