"""Golden values for DiffAugment (StudioTrainingTests/DiffAugmentTests.swift), from PyTorch.

Run with Debian's torch: /usr/bin/python3 make_diffaugment.py (from this folder). It rewrites
diffaugment.json: a batch x [3, 2, 8, 8], the random draws of color, translation and cutout made
here as the authors' code makes them (Zhao et al. 2020, DiffAugment_pytorch.py, policy
"color,translation,cutout", ratios 0.125 and 0.5), the transformed batch, and the gradient of
sum(out * w) with respect to x for a fixed w. The transforms below follow the authors' code with the
draws passed in, so that genstudio can replay them. Floats are float32 values printed as float64.
"""
import json
import torch
import torch.nn.functional as F

torch.manual_seed(20261128)


def t(x):
    x = x.detach().to(torch.float32)
    return {"shape": list(x.shape), "values": x.double().flatten().tolist()}


def color(x, brightness, saturation, contrast):
    x = x + brightness.view(-1, 1, 1, 1)
    x_mean = x.mean(dim=1, keepdim=True)
    x = (x - x_mean) * saturation.view(-1, 1, 1, 1) + x_mean
    x_mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - x_mean) * contrast.view(-1, 1, 1, 1) + x_mean


def translation(x, tx, ty):
    grid_batch, grid_x, grid_y = torch.meshgrid(
        torch.arange(x.size(0), dtype=torch.long),
        torch.arange(x.size(2), dtype=torch.long),
        torch.arange(x.size(3), dtype=torch.long), indexing="ij")
    grid_x = torch.clamp(grid_x + tx.view(-1, 1, 1) + 1, 0, x.size(2) + 1)
    grid_y = torch.clamp(grid_y + ty.view(-1, 1, 1) + 1, 0, x.size(3) + 1)
    x_pad = F.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
    return x_pad.permute(0, 2, 3, 1).contiguous()[grid_batch, grid_x, grid_y].permute(0, 3, 1, 2)


def cutout(x, ox, oy):
    size = int(x.size(2) * 0.5 + 0.5), int(x.size(3) * 0.5 + 0.5)
    grid_batch, grid_x, grid_y = torch.meshgrid(
        torch.arange(x.size(0), dtype=torch.long),
        torch.arange(size[0], dtype=torch.long),
        torch.arange(size[1], dtype=torch.long), indexing="ij")
    grid_x = torch.clamp(grid_x + ox.view(-1, 1, 1) - size[0] // 2, min=0, max=x.size(2) - 1)
    grid_y = torch.clamp(grid_y + oy.view(-1, 1, 1) - size[1] // 2, min=0, max=x.size(3) - 1)
    mask = torch.ones(x.size(0), x.size(2), x.size(3), dtype=x.dtype)
    mask[grid_batch, grid_x, grid_y] = 0
    return x * mask.unsqueeze(1)


n, h, w = 3, 8, 8
x = torch.rand(n, 2, h, w) * 2 - 1
brightness = torch.rand(n) - 0.5
saturation = torch.rand(n) * 2
contrast = torch.rand(n) + 0.5
shift = int(h * 0.125 + 0.5)
tx = torch.randint(-shift, shift + 1, size=[n])
ty = torch.randint(-shift, shift + 1, size=[n])
size = int(h * 0.5 + 0.5)
ox = torch.randint(0, h + (1 - size % 2), size=[n])
oy = torch.randint(0, w + (1 - size % 2), size=[n])
weights = torch.rand(n, 2, h, w) + 0.5

leaf = x.clone().requires_grad_(True)
out = cutout(translation(color(leaf, brightness, saturation, contrast), tx, ty), ox, oy)
grad, = torch.autograd.grad((out * weights).sum(), leaf)

fixture = {
    "torchVersion": torch.__version__,
    "x": t(x), "weights": t(weights),
    "brightness": brightness.tolist(), "saturation": saturation.tolist(), "contrast": contrast.tolist(),
    "shiftRows": tx.tolist(), "shiftColumns": ty.tolist(), "cutoutRows": ox.tolist(), "cutoutColumns": oy.tolist(),
    "out": t(out), "grad": t(grad),
}
with open("diffaugment.json", "w") as f:
    json.dump(fixture, f)
    f.write("\n")
