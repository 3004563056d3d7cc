"""The WaveGAN training step of `genstudio bench wavegan` in PyTorch, timed the same way.

Run on the same machine, in the same session as ours:
    swift build -c release --product genstudio
    .build/release/genstudio bench wavegan --threads 2
    python benchmarks/wavegan.py --threads 2
The model is genstudio's `WaveGAN.config(width:length:)` (Donahue et al. 2019, five stride-4 layers,
kernel 25; 8192 samples start from 8 steps instead of the paper's 16): G = Linear(100, 16d*L0),
Unflatten, then (ReLU, ConvTranspose1d(k 25, s 4, p 11, output_padding 1)) x5, Tanh; D =
(Conv1d(k 25, s 4, p 11), LeakyReLU(0.2), PhaseShuffle(2)) x4, Conv1d, LeakyReLU(0.2), Flatten,
Linear(16d*L0, 1). The step: `critic_steps` critic updates, each with fresh z, its own random real
batch, the WGAN-GP loss (gradient penalty weight 10 on random interpolates), Adam(1e-4, 0.5, 0.9);
then one generator update through the critic with -mean D(G(z)). Random data in [-1, 1], 1 warm-up
step. clips/s counts generated clips per generator step (batch * steps / seconds), as dcgan.py counts images.
"""
import argparse
import time

import torch
from torch import nn


class PhaseShuffle(nn.Module):
    """Each example shifted by its own offset in [-n, n], the vacated end filled by reflection."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        if not self.training or self.n == 0:
            return x
        # One gather along time: position t reads reflect(t - k) of its own example.
        length = x.shape[2]
        shifts = torch.randint(-self.n, self.n + 1, (x.shape[0], 1, 1))
        t = torch.arange(length).view(1, 1, length) - shifts
        t = torch.where(t < 0, -t, t)
        t = torch.where(t >= length, 2 * (length - 1) - t, t)
        return x.gather(2, t.expand(-1, x.shape[1], -1))


def twin(width, length, channels=1, latent=100, shuffle=2):
    start = length // 1024
    widths = [16 * width, 8 * width, 4 * width, 2 * width, width, channels]
    g = [nn.Linear(latent, widths[0] * start), nn.Unflatten(1, (widths[0], start))]
    for i in range(5):
        g += [nn.ReLU(), nn.ConvTranspose1d(widths[i], widths[i + 1], 25, stride=4, padding=11, output_padding=1)]
    g.append(nn.Tanh())
    r = widths[::-1]
    d = []
    for i in range(5):
        d += [nn.Conv1d(r[i], r[i + 1], 25, stride=4, padding=11), nn.LeakyReLU(0.2)]
        if i < 4:
            d.append(PhaseShuffle(shuffle))
    d += [nn.Flatten(), nn.Linear(widths[0] * start, 1)]
    return nn.Sequential(*g), nn.Sequential(*d)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--length", type=int, default=8192)
    parser.add_argument("--critic-steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    generator, critic = twin(args.width, args.length)
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
    n = args.batch
    reals = torch.rand(args.critic_steps * n, 1, args.length) * 2 - 1

    def step():
        for i in range(args.critic_steps):
            real = reals[i * n:(i + 1) * n]
            fake = generator(torch.randn(n, 100))
            eps = torch.rand(n, 1, 1)
            x_hat = (eps * real + (1 - eps) * fake.detach()).requires_grad_(True)
            grad, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
            penalty = ((grad.reshape(n, -1).norm(2, dim=1) - 1) ** 2).mean()
            loss_d = critic(fake.detach()).mean() - critic(real).mean() + 10 * penalty
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        loss_g = -critic(fake).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(f"pytorch {torch.__version__} wavegan step: batch {n}, width {args.width}, length {args.length}, "
          f"critic steps {args.critic_steps}, threads {args.threads}, {args.steps} steps in {seconds:.2f} s")
    print(f"pytorch    {n * args.steps / seconds:8.1f} clips/s  {seconds / args.steps * 1000:7.1f} ms/step")


if __name__ == "__main__":
    main()
