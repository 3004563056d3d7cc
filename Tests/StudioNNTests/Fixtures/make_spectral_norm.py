"""Golden values for spectral normalisation, from PyTorch's torch.nn.utils.spectral_norm.

Run with Debian's torch: /usr/bin/python3 make_spectral_norm.py (from this folder). It rewrites
spectral_norm.json here, keys camelCased for Swift, floats as float32 values printed as float64.

For each layer (Linear, Conv2d, ConvTranspose2d, and the 1-D convolutions): the state before
(weight_orig, bias, weight_u, weight_v), then two training-mode forwards and one evaluation-mode
forward on fixed inputs, each with its output, weight_u and weight_v after it, and the gradients of
sum(output * upstream) with respect to the input and weight_orig. Also the state_dict keys and
shapes of a small nn.Sequential, so the Swift side checks names and order, not only values.
"""
import json
import torch
import torch.nn as nn
from torch.nn.utils import spectral_norm

torch.manual_seed(20261128)


def t(x):
    x = x.detach().to(torch.float32)
    return {"shape": list(x.shape), "values": x.double().flatten().tolist()}


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def forward_case(module, inputs):
    x = inputs.clone().requires_grad_(True)
    module.zero_grad()
    out = module(x)
    upstream = randn(*out.shape)
    (out * upstream).sum().backward()
    return {"input": t(inputs), "upstream": t(upstream), "output": t(out),
            "grad_input": t(x.grad), "grad_weight_orig": t(module.weight_orig.grad),
            "grad_bias": t(module.bias.grad),
            "weight_u": t(module.weight_u), "weight_v": t(module.weight_v)}


def layer_case(module, input_shape, options):
    module = spectral_norm(module)
    # Weights away from PyTorch's small default range, so that sigma is far from 1.
    with torch.no_grad():
        module.weight_orig.mul_(3)
    case = {"options": options, "weight_orig": t(module.weight_orig), "bias": t(module.bias),
            "weight_u": t(module.weight_u), "weight_v": t(module.weight_v), "training": []}
    module.train()
    for step in range(2):
        case["training"].append(forward_case(module, randn(*input_shape)))
    module.eval()
    case["evaluation"] = forward_case(module, randn(*input_shape))
    return case


def state_names():
    model = nn.Sequential(spectral_norm(nn.Conv2d(1, 4, 4, 2, 1)), nn.LeakyReLU(0.2),
                          spectral_norm(nn.ConvTranspose2d(4, 3, 4, 2, 1, bias=False)), nn.Flatten(),
                          spectral_norm(nn.Linear(3 * 4 * 4, 1)))
    return [[k, list(v.shape)] for k, v in model.state_dict().items()]


def camel(value):
    """Keys in Swift's camelCase ("grad_weight_orig" -> "gradWeightOrig")."""
    if isinstance(value, dict):
        return {k.split("_")[0] + "".join(p[:1].upper() + p[1:] for p in k.split("_")[1:]): camel(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


if __name__ == "__main__":
    print("torch", torch.__version__)
    payload = {
        "torch_version": torch.__version__,
        "linear": layer_case(nn.Linear(4, 3), (2, 4), {}),
        "conv2d": layer_case(nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 5, 5), {"stride": 2, "padding": 1}),
        "conv_transpose2d": layer_case(nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (2, 3, 3, 3),
                                       {"stride": 2, "padding": 1}),
        "conv1d": layer_case(nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 2, 7), {"stride": 2, "padding": 1}),
        "conv_transpose1d": layer_case(nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1, output_padding=1),
                                       (2, 3, 4), {"stride": 2, "padding": 1, "output_padding": 1}),
        "state_names": state_names(),
    }
    with open("spectral_norm.json", "w") as f:
        json.dump(camel(payload), f, separators=(",", ":"))
        f.write("\n")
