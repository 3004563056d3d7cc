"""Golden values for StudioNN's tests, from PyTorch.

Run with Debian's torch: /usr/bin/python3 make_fixtures.py (from this folder). It rewrites
layers.json, losses.json and dcgan_state.json here, keys camelCased for Swift. Every float is a
float32 value printed as a float64, so the Swift side reads it back exactly. Tiny shapes keep the
files small and the debug build's tests fast. Each file records the torch version that made it.
"""
import json
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261123)


def t(x):
    x = x.detach().to(torch.float32)
    return {"shape": list(x.shape), "values": x.double().flatten().tolist()}


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def module_case(module, inputs, extra=None):
    """Output and gradients of sum(output * upstream) for the input and every parameter."""
    x = inputs.clone().requires_grad_(True)
    module.zero_grad()
    out = module(x)
    upstream = randn(*out.shape)
    (out * upstream).sum().backward()
    case = {"input": t(inputs), "upstream": t(upstream), "output": t(out), "grad_input": t(x.grad)}
    for name, p in module.named_parameters():
        case[name] = t(p)
        case["grad_" + name] = t(p.grad)
    case.update(extra or {})
    return case


def batch_norm_case(module, shape):
    with torch.no_grad():
        module.weight.copy_(1 + 0.5 * randn(*module.weight.shape))
        module.bias.copy_(0.5 * randn(*module.bias.shape))
    case = {"weight": t(module.weight), "bias": t(module.bias), "steps": []}
    module.train()
    for step in range(3):
        # A different offset and scale per step, so that the running statistics really move.
        x = randn(*shape) * (1 + step) + step
        record = module_case(module, x)
        record.pop("weight"), record.pop("bias")
        record["running_mean"] = t(module.running_mean)
        record["running_var"] = t(module.running_var)
        record["num_batches_tracked"] = int(module.num_batches_tracked)
        case["steps"].append(record)
    module.eval()
    record = module_case(module, randn(*shape) + 1)
    record.pop("weight"), record.pop("bias")
    case["eval"] = record
    return case


def make_layers():
    layers = {"torch_version": torch.__version__}

    layers["linear"] = module_case(nn.Linear(4, 5), randn(3, 4))

    conv = nn.Conv2d(2, 3, 5, stride=2, padding=2)
    layers["conv2d"] = module_case(conv, randn(2, 2, 7, 7), {"stride": 2, "padding": 2})

    convt = nn.ConvTranspose2d(3, 2, 5, stride=2, padding=2, output_padding=1)
    layers["conv_transpose2d"] = module_case(convt, randn(2, 3, 4, 4),
                                             {"stride": 2, "padding": 2, "output_padding": 1})

    conv1 = nn.Conv1d(2, 3, 3, stride=2, padding=1)
    layers["conv1d"] = module_case(conv1, randn(2, 2, 9), {"stride": 2, "padding": 1})

    convt1 = nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1, output_padding=1)
    layers["conv_transpose1d"] = module_case(convt1, randn(2, 3, 5),
                                             {"stride": 2, "padding": 1, "output_padding": 1})

    layers["batch_norm_1d"] = batch_norm_case(nn.BatchNorm1d(3), (5, 3))
    layers["batch_norm_1d_ncl"] = batch_norm_case(nn.BatchNorm1d(3), (4, 3, 2))
    layers["batch_norm_2d"] = batch_norm_case(nn.BatchNorm2d(2), (3, 2, 3, 3))

    gn = nn.GroupNorm(2, 4)
    with torch.no_grad():
        gn.weight.copy_(1 + 0.5 * randn(4))
        gn.bias.copy_(0.5 * randn(4))
    layers["group_norm"] = module_case(gn, randn(2, 4, 3, 3) * 2 + 0.5, {"groups": 2})

    ln = nn.LayerNorm([3, 4])
    with torch.no_grad():
        ln.weight.copy_(1 + 0.5 * randn(3, 4))
        ln.bias.copy_(0.5 * randn(3, 4))
    layers["layer_norm"] = module_case(ln, randn(2, 3, 4) * 3 - 1, {"normalized_shape": [3, 4]})
    return layers


def loss_case(name, reduction, inputs, fn, labels=None):
    """Value and gradients with respect to every input tensor (targets included) of one loss."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    value = fn(leaves)
    value.backward()
    case = {"name": name, "reduction": reduction, "value": float(value),
            "inputs": {k: t(v) for k, v in inputs.items()},
            "grads": {k: t(v.grad) for k, v in leaves.items() if v.grad is not None}}
    if labels is not None:
        case["labels"] = labels
    return case


def reduce(x, reduction):
    return {"mean": x.mean(), "sum": x.sum(), "batchmean": x.sum() / x.shape[0]}[reduction]


def make_losses():
    cases = []
    # Extreme logits check that the stable form neither overflows nor loses the small terms.
    logits = torch.cat([randn(2, 3) * 2, torch.tensor([[40.0, -40.0, 0.0]])])
    targets = torch.rand(3, 3)
    labels = [2, 0, 4, 1]
    ce_logits = randn(4, 5) * 3
    prediction, target = randn(3, 4), randn(3, 4)
    mean, log_var, observed = randn(3, 4), randn(3, 4) * 0.5, randn(3, 4)
    for r in ["mean", "sum"]:
        cases.append(loss_case("binary_cross_entropy", r, {"logits": logits, "targets": targets},
                               lambda v: F.binary_cross_entropy_with_logits(v["logits"], v["targets"], reduction=r)))
        cases.append(loss_case("bernoulli_log_likelihood", r, {"logits": logits, "targets": targets},
                               lambda v: -F.binary_cross_entropy_with_logits(v["logits"], v["targets"], reduction=r)))
        cases.append(loss_case("cross_entropy", r, {"logits": ce_logits},
                               lambda v: F.cross_entropy(v["logits"], torch.tensor(labels), reduction=r), labels))
        cases.append(loss_case("mse", r, {"predictions": prediction, "targets": target},
                               lambda v: F.mse_loss(v["predictions"], v["targets"], reduction=r)))
        cases.append(loss_case("l1", r, {"predictions": prediction, "targets": target},
                               lambda v: F.l1_loss(v["predictions"], v["targets"], reduction=r)))
        for full in [False, True]:
            cases.append(loss_case("gaussian_nll_full" if full else "gaussian_nll", r,
                                   {"mean": mean, "logVariance": log_var, "targets": observed},
                                   lambda v: F.gaussian_nll_loss(v["mean"], v["targets"], v["logVariance"].exp(),
                                                                 full=full, reduction=r)))
        normal = torch.distributions.Normal
        cases.append(loss_case("gaussian_log_likelihood", r,
                               {"mean": mean, "logVariance": log_var, "targets": observed},
                               lambda v: reduce(normal(v["mean"], (0.5 * v["logVariance"]).exp())
                                                .log_prob(v["targets"]), r)))
    for r in ["mean", "sum", "batchmean"]:
        cases.append(loss_case("gaussian_kl", r, {"mean": mean, "logVariance": log_var},
                               lambda v: reduce(torch.distributions.kl_divergence(
                                   torch.distributions.Normal(v["mean"], (0.5 * v["logVariance"]).exp()),
                                   torch.distributions.Normal(0.0, 1.0)), r)))
    return {"torch_version": torch.__version__, "cases": cases}


def make_dcgan_state():
    generator = nn.Sequential(
        nn.Linear(100, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.2),
        nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 5, 2, 2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, 2, 2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    with torch.no_grad():
        image = generator.eval()(torch.zeros(2, 100))
        score = discriminator.eval()(image)

    def keys(model):
        return [[k, list(v.shape)] for k, v in model.state_dict().items()]

    return {"torch_version": torch.__version__, "generator": keys(generator),
            "discriminator": keys(discriminator),
            "generator_output_shape": list(image.shape), "discriminator_output_shape": list(score.shape)}


def camel(value):
    """Keys in Swift's camelCase ("grad_input" -> "gradInput", "batch_norm_1d" -> "batchNorm1d")."""
    if isinstance(value, dict):
        return {k.split("_")[0] + "".join(p[:1].upper() + p[1:] for p in k.split("_")[1:]): camel(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def write(name, payload):
    with open(name, "w") as f:
        json.dump(camel(payload), f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    print("torch", torch.__version__)
    write("layers.json", make_layers())
    write("losses.json", make_losses())
    write("dcgan_state.json", make_dcgan_state())
