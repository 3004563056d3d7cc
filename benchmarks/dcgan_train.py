"""Trains the PyTorch twin of recipes/dcgan-mnist.toml on MNIST and writes samples that
`genstudio eval` scores, for the quality comparison at equal steps (docs/gan-recipes.md).

Run with PyTorch 2.x, in the same session as ours:
    python benchmarks/dcgan_train.py --steps 1600 --seed 0 --out twin-seed0.idx
    genstudio eval twin-seed0.idx --classifier outputs/classifier-mnist/<run>
The twin: the architecture in benchmarks/dcgan.py, PyTorch's default initialisation (or --init dcgan
for N(0, 0.02)), Adam at the recipe's 4e-4 (--lr 2e-4 for the DCGAN paper's rate) with betas
(0.5, 0.999), batch 64, non-saturating BCE-with-logits loss, no moving average of the generator, data
shuffled every epoch with the last partial batch dropped, pixels in [-1, 1]. It writes --count samples from
N(0, 1) latents (evaluation mode, running batch-norm statistics) as an IDX uint8 file.
"""
import argparse
import gzip
import struct
import time

import numpy as np
import torch
from torch import nn

from dcgan import train_step, twin


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--steps", type=int, default=1600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--init", choices=["pytorch", "dcgan"], default="pytorch")
    parser.add_argument("--lr", type=float, default=4e-4, help="Adam's rate for both networks (the recipe's)")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images = torch.from_numpy(read_idx(f"{args.data}/train-images-idx3-ubyte.gz").copy()).float().div(127.5).sub(1).unsqueeze(1)
    generator, discriminator = twin()
    if args.init == "dcgan":
        for module in list(generator.modules()) + list(discriminator.modules()):
            if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(module.weight, 0.0, 0.02)
            if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
                nn.init.normal_(module.weight, 1.0, 0.02)
                nn.init.zeros_(module.bias)
    opt_g = torch.optim.Adam(generator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    loss = nn.BCEWithLogitsLoss()
    batch = 64
    order, cursor = torch.randperm(len(images)), 0
    start = time.perf_counter()
    for step in range(args.steps):
        if cursor + batch > len(images):
            order, cursor = torch.randperm(len(images)), 0
        real = images[order[cursor:cursor + batch]]
        cursor += batch
        loss_d, loss_g = train_step(generator, discriminator, opt_g, opt_d, loss, real, torch.randn(batch, 100))
        if (step + 1) % 200 == 0:
            print(f"step {step + 1}/{args.steps}  loss_d {loss_d.item():.4f}  loss_g {loss_g.item():.4f}  {time.perf_counter() - start:.0f} s", flush=True)
    generator.eval()
    with torch.no_grad():
        samples = torch.cat([generator(torch.randn(500, 100)) for _ in range((args.count + 499) // 500)])[:args.count]
    pixels = ((samples.squeeze(1) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
    with open(args.out, "wb") as f:
        f.write(struct.pack(">BBBB", 0, 0, 0x08, 3) + struct.pack(">III", *pixels.shape))
        f.write(pixels.tobytes())
    print(f"wrote {args.count} samples to {args.out} after {args.steps} steps ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
