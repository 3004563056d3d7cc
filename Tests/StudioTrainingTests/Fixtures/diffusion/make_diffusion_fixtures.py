"""Golden values for the diffusion tests: schedule constants, the training loss, one DDPM step,
one DDIM step (eta 0 and 0.5) and classifier-free guidance.

Run with Debian's PyTorch:  /usr/bin/python3 make_diffusion_fixtures.py  (writes diffusion.json here).
The formulas follow Ho et al. 2020 (DDPM, linear schedule, posterior q(x_{t-1} | x_t, x_0)),
Nichol & Dhariwal 2021 (cosine schedule), Song et al. 2021 (DDIM) and Ho & Salimans 2022
(classifier-free guidance); schedule constants are float64, tensors float32, as in the Swift code.
"""
import json
import math
import os

import torch

torch.manual_seed(0)


def linear_betas(T, start, end):
    return torch.linspace(start, end, T, dtype=torch.float64)


def cosine_betas(T, s=0.008):
    steps = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos((steps / T + s) / (1 + s) * math.pi / 2) ** 2
    abar = f / f[0]
    return torch.clamp(1 - abar[1:] / abar[:-1], max=0.999)


def cumulative(betas):
    return torch.cumprod(1 - betas, dim=0)


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def flat(t):
    return [float(v) for v in t.reshape(-1).tolist()]


def factor(abar, ts, f):
    return torch.tensor([f(float(abar[t])) for t in ts], dtype=torch.float32).reshape(-1, 1, 1, 1)


def predicted_clean(x, out, abar_t, prediction, clip):
    if prediction == "epsilon":
        x0 = (x - out * math.sqrt(1 - abar_t)) * (1 / math.sqrt(abar_t))
    else:
        x0 = x * math.sqrt(abar_t) - out * math.sqrt(1 - abar_t)
    return x0.clamp(-1, 1) if clip else x0


def ddpm_step(abar, x, out, t, prev, z, prediction, clip):
    a_t = float(abar[t])
    a_p = 1.0 if prev < 0 else float(abar[prev])
    beta = 1 - a_t / a_p
    x0 = predicted_clean(x, out, a_t, prediction, clip)
    mean = x0 * (beta * math.sqrt(a_p) / (1 - a_t)) + x * ((1 - a_p) * math.sqrt(1 - beta) / (1 - a_t))
    var = beta * (1 - a_p) / (1 - a_t)
    return mean + z * math.sqrt(var) if var > 0 else mean


def ddim_step(abar, x, out, t, prev, eta, z, prediction, clip):
    a_t = float(abar[t])
    a_p = 1.0 if prev < 0 else float(abar[prev])
    x0 = predicted_clean(x, out, a_t, prediction, clip)
    # The noise consistent with the (clipped) x0, so that eta = 1 is exactly the DDPM posterior.
    eps = (x - x0 * math.sqrt(a_t)) * (1 / math.sqrt(1 - a_t))
    sigma = eta * math.sqrt((1 - a_p) / (1 - a_t) * (1 - a_t / a_p))
    result = x0 * math.sqrt(a_p) + eps * math.sqrt(max(0.0, 1 - a_p - sigma * sigma))
    return result + z * sigma if sigma > 0 else result


fixtures = {"torch_version": torch.__version__}
fixtures["linear_1000"] = {"betas": flat(linear_betas(1000, 1e-4, 0.02)),
                           "alphas_cumulative": flat(cumulative(linear_betas(1000, 1e-4, 0.02)))}
fixtures["cosine_1000"] = {"betas": flat(cosine_betas(1000)), "alphas_cumulative": flat(cumulative(cosine_betas(1000)))}

# A short schedule for the step and loss cases (T = 20, beta 1e-3 ... 0.2).
abar = cumulative(linear_betas(20, 1e-3, 0.2))
shape = [2, 1, 4, 4]
clean = rnd(*shape).clamp(-1, 1)
noise = rnd(*shape)
output = rnd(*shape)
ts = [3, 17]
noisy = clean * factor(abar, ts, math.sqrt) + noise * factor(abar, ts, lambda a: math.sqrt(1 - a))
v_target = noise * factor(abar, ts, math.sqrt) - clean * factor(abar, ts, lambda a: math.sqrt(1 - a))
fixtures["loss"] = {
    "shape": shape, "timesteps": ts, "clean": flat(clean), "noise": flat(noise), "output": flat(output),
    "noisy": flat(noisy),
    "epsilon": float(((output - noise) ** 2).mean()),
    "v": float(((output - v_target) ** 2).mean()),
}

x = rnd(*shape)
z = rnd(*shape)
steps = []
for prediction in ["epsilon", "v"]:
    for clip in [True, False]:
        for (t, prev) in [(10, 9), (10, 5), (0, -1)]:
            case = {"prediction": prediction, "clip": clip, "t": t, "previous": prev,
                    "ddpm": flat(ddpm_step(abar, x, output, t, prev, z, prediction, clip))}
            for eta in [0.0, 0.5, 1.0]:
                case["ddim_eta_%g" % eta] = flat(ddim_step(abar, x, output, t, prev, eta, z, prediction, clip))
            steps.append(case)
fixtures["steps"] = {"shape": shape, "x": flat(x), "output": flat(output), "noise": flat(z), "cases": steps}

u, c = rnd(*shape), rnd(*shape)
fixtures["guidance"] = {"unconditional": flat(u), "conditional": flat(c), "scale": 3.0,
                        "guided": flat(u + 3.0 * (c - u))}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "diffusion.json")
with open(path, "w") as f:
    json.dump(fixtures, f)
print("wrote", path, "with torch", torch.__version__)
