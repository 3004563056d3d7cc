"""The DCGAN training step of recipes/dcgan-mnist.toml in PyTorch, timed like `genstudio bench dcgan`.

Run with PyTorch 2.x on the same machine, in the same session as ours:
    swift build -c release --product genstudio
    .build/release/genstudio bench dcgan --threads 2
    python benchmarks/dcgan.py --threads 2
The step: G forward once; D on the real batch and on the detached fakes, BCE-with-logits, Adam step;
then G through D with the fakes labelled real, Adam step. Random data in [-1, 1], 3 warm-up steps.
"""
import argparse
import time

import torch
from torch import nn


def twin():
    generator = nn.Sequential(
        nn.Linear(100, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.2), nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 5, 2, 2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, 2, 2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    return generator, discriminator


def train_step(generator, discriminator, opt_g, opt_d, loss, real, z):
    """One step: D on the real batch and the detached fakes of z, then G through D; returns both losses."""
    ones, zeros = torch.ones(len(real), 1), torch.zeros(len(real), 1)
    fake = generator(z)
    loss_d = loss(discriminator(real), ones) + loss(discriminator(fake.detach()), zeros)
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = loss(discriminator(fake), ones)
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return loss_d, loss_g


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    generator, discriminator = twin()
    for module in list(generator.modules()) + list(discriminator.modules()):
        if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0.0, 0.02)
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss = nn.BCEWithLogitsLoss()
    real = torch.rand(args.batch, 1, 28, 28) * 2 - 1

    def step():
        train_step(generator, discriminator, opt_g, opt_d, loss, real, torch.randn(args.batch, 100))

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(f"pytorch {torch.__version__} dcgan step: batch {args.batch}, threads {args.threads}, {args.steps} steps in {seconds:.2f} s")
    print(f"pytorch    {args.batch * args.steps / seconds:8.1f} images/s  {seconds / args.steps * 1000:7.1f} ms/step")


if __name__ == "__main__":
    main()
