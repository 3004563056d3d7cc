"""Reference values for StudioEval's tests, from NumPy and SciPy.

Run with a python3 that has numpy and scipy (`pip install numpy scipy`), from this folder:
`python3 make_fixtures.py`. It rewrites metrics.json. Inputs are float32 values printed as float64,
so the Swift side reads exactly what the references saw. FID follows pytorch-fid
(np.cov(rowvar=False), scipy.linalg.sqrtm of the product); precision and recall follow
Kynkäänniemi et al.'s reference code (k-th neighbour radius counting the point itself, `<=`),
with exact float64 distances; the Inception score follows the original protocol's splits.
"""
import json

import numpy as np
import scipy
import scipy.linalg

rng = np.random.default_rng(20261123)


def f32(shape, scale=1.0, shift=0.0):
    return (rng.standard_normal(shape) * scale + shift).astype(np.float32)


def tensor(x):
    return {"shape": list(x.shape), "values": x.astype(np.float64).flatten().tolist()}


def fid(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def inception_score(p, splits):
    p = p.astype(np.float64)
    n = len(p)
    scores = []
    for i in range(splits):
        part = p[i * n // splits:(i + 1) * n // splits]
        py = part.mean(0, keepdims=True)
        kl = np.where(part > 0, part * (np.log(np.where(part > 0, part, 1)) - np.log(py)), 0).sum(1).mean()
        scores.append(float(np.exp(kl)))
    return scores


def squared_distances(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)


def radii(x, k):
    return np.partition(squared_distances(x, x), k, axis=1)[:, k]


def precision_recall(real, generated, k):
    d = squared_distances(generated, real)
    precision = float((d <= radii(real, k)[None, :]).any(1).mean())
    recall = float((d <= radii(generated, k)[:, None]).any(0).mean())
    return precision, recall


# FID: a correlated feature set against a shifted, rescaled, differently mixed one.
mix1, mix2 = f32((12, 12), 0.5), f32((12, 12), 0.5)
fid_a = (f32((120, 12)) @ (np.eye(12, dtype=np.float32) + mix1)).astype(np.float32)
fid_b = (f32((100, 12), 1.2, 0.3) @ (np.eye(12, dtype=np.float32) + mix2)).astype(np.float32)
fid_a64 = fid_a.astype(np.float64)

# Inception score: softmax of random logits, sharp enough to be far from 1.
logits = f32((90, 5), 3.0)
probabilities = np.exp(logits - logits.max(1, keepdims=True))
probabilities = (probabilities / probabilities.sum(1, keepdims=True)).astype(np.float32)

# Precision and recall: overlapping clouds of different spread.
pr_real = f32((80, 8))
pr_generated = f32((70, 8), 1.4, 0.5)
precision, recall = precision_recall(pr_real, pr_generated, 3)

# Memorisation: samples 2 and 4 are near copies of training images 7 and 13.
training = rng.uniform(-1, 1, (20, 1, 4, 4)).astype(np.float32)
samples = rng.uniform(-1, 1, (6, 1, 4, 4)).astype(np.float32)
samples[2] = training[7] + 0.01
samples[4] = training[13]
flat_d = squared_distances(samples.reshape(6, -1), training.reshape(20, -1))

fixture = {
    "numpyVersion": np.__version__,
    "scipyVersion": scipy.__version__,
    "fidFirst": tensor(fid_a),
    "fidSecond": tensor(fid_b),
    "fid": fid(fid_a, fid_b),
    "firstMean": fid_a64.mean(0).tolist(),
    "firstCovariance": np.cov(fid_a64, rowvar=False).flatten().tolist(),
    "probabilities": tensor(probabilities),
    "inceptionSplitScores": inception_score(probabilities, 3),
    "inceptionScore": inception_score(probabilities, 1)[0],
    "precisionReal": tensor(pr_real),
    "precisionGenerated": tensor(pr_generated),
    "precision": precision,
    "recall": recall,
    "trainingImages": tensor(training),
    "samples": tensor(samples),
    "nearestIndices": flat_d.argmin(1).tolist(),
    "nearestDistances": np.sqrt(flat_d.min(1)).tolist(),
}
with open("metrics.json", "w") as f:
    json.dump(fixture, f)
print(f"fid {fixture['fid']:.6f}, precision {precision}, recall {recall}, "
      f"IS {fixture['inceptionScore']:.4f}, splits {fixture['inceptionSplitScores']}")
