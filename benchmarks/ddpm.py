"""The diffusion UNet of recipes/ddpm-mnist.toml in PyTorch, timed like `genstudio bench ddpm`.

Run with PyTorch 2.x on the same machine, in the same session as ours:
    swift build -c release --product genstudio
    .build/release/genstudio bench ddpm --threads 2
    python benchmarks/ddpm.py --threads 2
Training: uniform timesteps, Gaussian noise, x_t, the UNet's epsilon against the noise in MSE, an Adam
step and the moving-average update, on random images in [-1, 1] (3 warm-up steps). Sampling: DDIM
with 50 steps and eta 0 from Gaussian noise, without gradients.
The module below has the same state-dict names and shapes as genstudio's UNet (`unet.` prefix aside);
Tests/StudioModelsTests/Fixtures/diffusion/make_unet_fixture.py checks the forward pass against it.
"""
import argparse
import copy
import math
import time
import tomllib

import torch
import torch.nn.functional as F
from torch import nn


def sinusoidal(timesteps, size):
    half = size // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float64) / half)
    args = timesteps.to(torch.float64)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1).to(torch.float32)


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, emb, groups, dropout):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_proj = nn.Linear(emb, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_proj(emb)[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (self.skip(x) if self.skip is not None else x) + h


class AttentionBlock(nn.Module):
    def __init__(self, channels, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        n, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(n, 3 * c, h * w).chunk(3, dim=1)
        weights = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(c), dim=-1)
        return x + self.proj(torch.bmm(v, weights.transpose(1, 2)).reshape(n, c, h, w))


class Level(nn.Module):
    def __init__(self, blocks, attention, resample=None, resample_name=None):
        super().__init__()
        self.res = nn.ModuleList(blocks)
        self.attn = nn.ModuleList(attention) if attention else None
        if resample is not None:
            setattr(self, resample_name, resample)
        self.resample_name = resample_name if resample is not None else None

    def apply(self, i, x, emb):
        h = self.res[i](x, emb)
        return self.attn[i](h) if self.attn is not None else h

    def resample(self):
        return getattr(self, self.resample_name) if self.resample_name else None


class UNet(nn.Module):
    def __init__(self, image_shape, classes=0, base_channels=32, channel_multipliers=(1, 2, 2), blocks_per_level=1,
                 attention_resolutions=(), middle_attention=True, dropout=0.0, groups=8):
        super().__init__()
        c_img, size = image_shape[0], image_shape[1]
        base, emb = base_channels, 4 * base_channels
        self.base, self.classes = base, classes
        resolutions, side = [], size
        for i in range(len(channel_multipliers)):
            resolutions.append(side)
            if i < len(channel_multipliers) - 1:
                side //= 2
        self.time_mlp = nn.Sequential(nn.Linear(base, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.class_emb = nn.Embedding(classes + 1, emb) if classes > 0 else None
        self.conv_in = nn.Conv2d(c_img, base, 3, padding=1)
        skips, ch = [base], base
        down = []
        for i, mult in enumerate(channel_multipliers):
            out = mult * base
            blocks, attn = [], []
            for _ in range(blocks_per_level):
                blocks.append(ResidualBlock(ch, out, emb, groups, dropout))
                ch = out
                if resolutions[i] in attention_resolutions:
                    attn.append(AttentionBlock(ch, groups))
                skips.append(ch)
            resample = None
            if i < len(channel_multipliers) - 1:
                resample = nn.Conv2d(ch, ch, 3, stride=2, padding=1)
                skips.append(ch)
            down.append(Level(blocks, attn, resample, "downsample"))
        self.down = nn.ModuleList(down)
        self.mid = nn.Module()
        self.mid.res1 = ResidualBlock(ch, ch, emb, groups, dropout)
        self.mid.attn = AttentionBlock(ch, groups) if middle_attention else None
        self.mid.res2 = ResidualBlock(ch, ch, emb, groups, dropout)
        up = []
        for i, mult in reversed(list(enumerate(channel_multipliers))):
            out = mult * base
            blocks, attn = [], []
            for _ in range(blocks_per_level + 1):
                blocks.append(ResidualBlock(ch + skips.pop(), out, emb, groups, dropout))
                ch = out
                if resolutions[i] in attention_resolutions:
                    attn.append(AttentionBlock(ch, groups))
            resample = nn.Conv2d(ch, ch, 3, padding=1) if i > 0 else None
            up.insert(0, Level(blocks, attn, resample, "upsample"))
        self.up = nn.ModuleList(up)
        self.norm_out = nn.GroupNorm(groups, ch)
        self.conv_out = nn.Conv2d(ch, c_img, 3, padding=1)

    def forward(self, x, t, labels=None):
        emb = self.time_mlp(sinusoidal(t, self.base))
        if self.class_emb is not None:
            if labels is None:
                labels = torch.full((x.shape[0],), self.classes, dtype=torch.long)
            emb = emb + self.class_emb(labels)
        emb = F.silu(emb)
        h = self.conv_in(x)
        hs = [h]
        for level in self.down:
            for i in range(len(level.res)):
                h = level.apply(i, h, emb)
                hs.append(h)
            if level.resample() is not None:
                h = level.resample()(h)
                hs.append(h)
        h = self.mid.res1(h, emb)
        if self.mid.attn is not None:
            h = self.mid.attn(h)
        h = self.mid.res2(h, emb)
        for level in reversed(self.up):
            for i in range(len(level.res)):
                h = level.apply(i, torch.cat([h, hs.pop()], dim=1), emb)
            if level.resample() is not None:
                h = level.resample()(F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


def from_recipe(path):
    with open(path, "rb") as f:
        model = tomllib.load(f)["model"]
    unet = model.get("unet", {})
    return model, UNet(model["image_shape"], classes=model.get("classes", 0), **unet)


def linear_alphas_cumulative(model):
    T = model.get("timesteps", 1000)
    if model.get("schedule", "linear") == "cosine":
        steps = torch.arange(T + 1, dtype=torch.float64)
        f = torch.cos((steps / T + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = torch.clamp(1 - (f[1:] / f[0]) / (f[:-1] / f[0]), max=0.999)
    else:
        betas = torch.linspace(model.get("beta_start", 1e-4), model.get("beta_end", 0.02), T, dtype=torch.float64)
    return torch.cumprod(1 - betas, dim=0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipe", default="recipes/ddpm-mnist.toml")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10, help="timed training steps")
    parser.add_argument("--sample-batch", type=int, default=64)
    parser.add_argument("--sample-steps", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model, unet = from_recipe(args.recipe)
    abar = linear_alphas_cumulative(model)
    T = abar.shape[0]
    classes = model.get("classes", 0)
    ema = copy.deepcopy(unet)
    for p in ema.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.Adam(unet.parameters(), lr=5e-4, betas=(0.9, 0.999))
    images = torch.rand(args.batch, *model["image_shape"]) * 2 - 1
    labels = torch.randint(0, classes, (args.batch,)) if classes > 0 else None

    def step():
        t = torch.randint(0, T, (args.batch,))
        noise = torch.randn_like(images)
        a = abar[t].to(torch.float32)[:, None, None, None]
        noisy = images * a.sqrt() + noise * (1 - a).sqrt()
        loss = F.mse_loss(unet(noisy, t.to(torch.float32), labels), noise)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            for e, p in zip(ema.parameters(), unet.parameters()):
                e.mul_(0.999).add_(p, alpha=0.001)

    unet.train()
    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    train_seconds = time.perf_counter() - start

    ema.eval()
    times = [i * T // args.sample_steps for i in range(args.sample_steps)]
    start = time.perf_counter()
    with torch.no_grad():
        x = torch.randn(args.sample_batch, *model["image_shape"])
        for i in reversed(range(len(times))):
            t = times[i]
            a_t = float(abar[t])
            a_p = float(abar[times[i - 1]]) if i > 0 else 1.0
            eps = ema(x, torch.full((x.shape[0],), float(t)))
            x0 = ((x - eps * math.sqrt(1 - a_t)) / math.sqrt(a_t)).clamp(-1, 1)
            eps = (x - x0 * math.sqrt(a_t)) / math.sqrt(1 - a_t)
            x = x0 * math.sqrt(a_p) + eps * math.sqrt(1 - a_p)
    sample_seconds = time.perf_counter() - start
    print(f"pytorch {torch.__version__} ddpm: batch {args.batch}, threads {args.threads}, {args.steps} training steps in {train_seconds:.2f} s; "
          f"DDIM-{args.sample_steps} of {args.sample_batch} images in {sample_seconds:.2f} s")
    print(f"pytorch    training {args.batch * args.steps / train_seconds:8.1f} images/s  {train_seconds / args.steps * 1000:8.1f} ms/step")
    print(f"pytorch    sampling {args.sample_batch / sample_seconds:8.2f} images/s  (DDIM-{args.sample_steps})")


if __name__ == "__main__":
    main()
