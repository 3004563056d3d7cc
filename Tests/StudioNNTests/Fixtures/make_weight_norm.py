"""Golden values for weight normalisation, from PyTorch's torch.nn.utils.weight_norm.

Run with Debian's torch: /usr/bin/python3 make_weight_norm.py (from this folder). It rewrites
weight_norm.json here, keys camelCased for Swift, floats as float32 values printed as float64: a
weight-normalised nn.Linear(5, 3) whose weight_g is then set away from the row norms (so that g
matters), its state (bias, weight_g, weight_v) with the state_dict order, one forward on a fixed input
and the gradients of sum(output * upstream) with respect to the input, weight_g, weight_v and bias.
"""
import json
import torch
import torch.nn as nn
from torch.nn.utils import weight_norm

torch.manual_seed(20261128)


def t(x):
    x = x.detach().to(torch.float32)
    return {"shape": list(x.shape), "values": x.double().flatten().tolist()}


layer = weight_norm(nn.Linear(5, 3))
with torch.no_grad():
    layer.weight_g.mul_(torch.tensor([[0.5], [2.0], [1.5]]))
x = torch.randn(4, 5, requires_grad=True)
upstream = torch.randn(4, 3)
out = layer(x)
(out * upstream).sum().backward()
fixture = {
    "torchVersion": torch.__version__,
    "stateNames": [[k, list(v.shape)] for k, v in layer.state_dict().items()],
    "bias": t(layer.bias), "weightG": t(layer.weight_g), "weightV": t(layer.weight_v),
    "input": t(x), "upstream": t(upstream), "output": t(out),
    "gradInput": t(x.grad), "gradWeightG": t(layer.weight_g.grad), "gradWeightV": t(layer.weight_v.grad),
    "gradBias": t(layer.bias.grad),
}
with open("weight_norm.json", "w") as f:
    json.dump(fixture, f, indent=1)
