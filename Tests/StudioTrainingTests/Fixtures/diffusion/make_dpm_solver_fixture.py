"""Golden values for DPM-Solver++(2M): timestep spacings, single solver steps, and whole sampling runs
of a toy "network" whose output is a fixed linear function of x plus a function of t.

Run with numpy:  python3 make_dpm_solver_fixture.py  (writes dpm_solver.json here).

Written from the paper, not from the Swift code: Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided
Sampling of Diffusion Probabilistic Models", Algorithm 2 (DPM-Solver++(2M)) with the discrete-time
schedule alpha_t = sqrt(abar_t), sigma_t = sqrt(1 - abar_t), lambda_t = log(alpha_t / sigma_t):

    h_i = lambda_{t_i} - lambda_{t_{i-1}},  r_i = h_{i-1} / h_i
    D_i = (1 + 1 / (2 r_i)) x0(t_{i-1}) - 1 / (2 r_i) x0(t_{i-2})          (first step: D_1 = x0(t_0))
    x_{t_i} = sigma_{t_i} / sigma_{t_{i-1}} x_{t_{i-1}} - alpha_{t_i} (exp(-h_i) - 1) D_i

The last step goes to the clean image (abar = 1, sigma = 0, lambda = +inf), where the update's limit
is first order: x = x0. The data prediction x0 comes from the network output as the project's samplers
form it (epsilon: (x - sigma eps) / alpha; v: alpha x - sigma v), clipped to [-1, 1] when asked, with
classifier-free guidance u + w (c - u) applied to the outputs first. Everything is float64 here; the
Swift code computes tensors in float32, hence the tests' 1e-5 relative tolerance.
"""
import json
import math
import os

import numpy as np

rng = np.random.default_rng(14)


def linear_abar(T, start, end):
    betas = np.linspace(start, end, T, dtype=np.float64)
    return np.cumprod(1 - betas)


# MARK: timestep spacings (ascending, as the Swift NoiseSchedule returns them)

def spacing(kind, T, steps):
    if kind == "uniform":
        # The first timestep of each of `steps` equal chunks of 0..T-1 (DDIM's "uniform").
        return [i * T // steps for i in range(steps)]
    if kind == "trailing":
        # The last timestep of each chunk, so that sampling starts at T-1 (Lin et al. 2023).
        return [(i + 1) * T // steps - 1 for i in range(steps)]
    if kind == "quadratic":
        # ceil(((i+1)/steps)^2 T) - 1, dense near t = 0, made strictly increasing from below.
        result = []
        for i in range(steps):
            q = -(-((i + 1) ** 2) * T // (steps ** 2)) - 1  # exact integer ceil
            result.append(max(q, result[-1] + 1 if result else 0))
        return result
    raise ValueError(kind)


# MARK: the solver

def coefficients(abar, t):
    """(alpha, sigma, lambda) at timestep t; t = -1 is the clean image."""
    if t < 0:
        return 1.0, 0.0, math.inf
    a = math.sqrt(abar[t])
    s = math.sqrt(1 - abar[t])
    return a, s, math.log(a / s)


def data_prediction(abar, x, out, t, prediction, clip):
    a, s, _ = coefficients(abar, t)
    x0 = (x - s * out) / a if prediction == "epsilon" else a * x - s * out
    return np.clip(x0, -1, 1) if clip else x0


def solver_step(abar, x, x0, t, target, earlier):
    """x at `target` from x at `t`, the data prediction x0 at t and (x0, timestep) at the step before, or None."""
    if target < 0:
        return x0.copy()
    a_t, s_t, l_t = coefficients(abar, t)
    a_n, s_n, l_n = coefficients(abar, target)
    h = l_n - l_t
    if earlier is None:
        d = x0
    else:
        x0_e, t_e = earlier
        _, _, l_e = coefficients(abar, t_e)
        r = (l_t - l_e) / h
        d = (1 + 1 / (2 * r)) * x0 - (1 / (2 * r)) * x0_e
    return (s_n / s_t) * x - a_n * (math.exp(-h) - 1) * d


def sample(abar, x, times, model, prediction, clip):
    """Every x on the way, one per step, from times[-1] down to the clean image."""
    states = []
    earlier = None
    for index in reversed(range(len(times))):
        t = times[index]
        target = times[index - 1] if index > 0 else -1
        x0 = data_prediction(abar, x, model(x, t), t, prediction, clip)
        x = solver_step(abar, x, x0, t, target, earlier)
        earlier = (x0, t)
        states.append(x.copy())
    return states


# MARK: the toy network, on [N, 1, 2, 2] samples:
#   out[n, d] = sigma_t sum_k M[d, k] x[n, k] + 0.1 cos(0.05 t + d),  M = I + a small random matrix.
# With M = I and no bias it is the exact epsilon of data drawn from N(0, I), so the runs stay in a
# sensible range instead of amplifying float32 rounding by 1 / alpha_t.

SHAPE = [3, 1, 2, 2]
D = 4


def toy(matrix, abar):
    bias = lambda t: 0.1 * np.cos(0.05 * t + np.arange(D, dtype=np.float64))

    def model(x, t):
        flat = x.reshape(SHAPE[0], D)
        return (math.sqrt(1 - abar[t]) * (flat @ matrix.T) + bias(t)).reshape(x.shape)
    return model


def flat(a):
    return [float(v) for v in np.asarray(a).reshape(-1)]


# The unconditional network differs a little from the conditional one, as a class's does from no
# class; widely different ones make guided, unclipped runs swell to hundreds and then cancel, which
# tests float32 rounding rather than the solver.
conditional = np.eye(D) + rng.normal(0, 0.3, (D, D))
unconditional = conditional + rng.normal(0, 0.1, (D, D))
x_T = rng.normal(0, 1, SHAPE)

fixtures = {"numpy_version": np.__version__, "shape": SHAPE,
            "toy": {"conditional": flat(conditional), "unconditional": flat(unconditional),
                    "bias_frequency": 0.05, "bias_scale": 0.1},
            "noise": flat(x_T)}

fixtures["spacings"] = [
    {"timesteps": T, "steps": steps, "spacing": kind, "expected": spacing(kind, T, steps)}
    for (T, steps) in [(20, 1), (20, 3), (20, 7), (20, 20), (10, 3), (1000, 10), (1000, 50), (1000, 999)]
    for kind in ["uniform", "trailing", "quadratic"]
]

schedules = {"short": (20, 1e-3, 0.2), "default": (1000, 1e-4, 0.02)}

# Single steps: first order, second order and the last step, for x and predictions drawn at random.
short = linear_abar(*schedules["short"])
step_x, step_clean, step_earlier = (rng.normal(0, 1, SHAPE) for _ in range(3))
fixtures["steps"] = {"schedule": "short", "x": flat(step_x), "clean": flat(step_clean), "earlier_clean": flat(step_earlier),
                     "cases": [{"t": t, "previous": p, "earlier": e,
                                "expected": flat(solver_step(short, step_x, step_clean, t, p,
                                                             None if e is None else (step_earlier, e)))}
                               for (t, p, e) in [(19, 12, None), (12, 5, 19), (5, 2, 12), (10, 9, 11), (5, -1, 12)]]}

# Whole runs of the toy network: predictions, clipping, spacings, guidance and both schedules.
runs = []
for (schedule, steps, kind, prediction, clip, guidance) in [
    ("short", 5, "trailing", "epsilon", False, None),
    ("short", 5, "trailing", "epsilon", True, None),
    ("short", 5, "uniform", "v", False, None),
    ("short", 6, "quadratic", "v", True, None),
    ("short", 4, "trailing", "epsilon", False, 3.0),
    ("short", 1, "trailing", "epsilon", False, None),
    ("default", 10, "trailing", "epsilon", False, 2.0),
    ("default", 10, "trailing", "v", True, None),
]:
    T, start, end = schedules[schedule]
    abar = linear_abar(T, start, end)
    times = spacing(kind, T, steps)
    if guidance is None:
        model = toy(conditional, abar)
    else:
        c, u = toy(conditional, abar), toy(unconditional, abar)
        model = lambda x, t, c=c, u=u, w=guidance: u(x, t) + w * (c(x, t) - u(x, t))
    states = sample(abar, x_T, times, model, prediction, clip)
    runs.append({"schedule": schedule, "steps": steps, "spacing": kind, "prediction": prediction, "clip": clip,
                 "guidance": guidance, "timesteps": times, "states": [flat(s) for s in states]})
fixtures["schedules"] = {name: {"timesteps": T, "beta_start": start, "beta_end": end}
                         for name, (T, start, end) in schedules.items()}
fixtures["runs"] = runs

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dpm_solver.json")
with open(path, "w") as f:
    json.dump(fixtures, f)
print("wrote", path, "with numpy", np.__version__)
