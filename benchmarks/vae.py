"""The VAE recipes in PyTorch: training-step throughput like `genstudio bench vae`, and optionally
PyTorch's VAE example (examples/vae/main.py) trained on MNIST for the test loss to compare with.

Run with PyTorch 2.x on the same machine, in the same session as ours:
    swift build -c release --product genstudio
    .build/release/genstudio bench vae --model conv --threads 2
    python benchmarks/vae.py --model conv --threads 2
    python benchmarks/vae.py --model mlp --threads 2 --train-epochs 10 --data data/mnist
The step: encode, reparameterise, decode, BCE-with-logits summed over pixels + KL, divided by the
batch size, one Adam step (lr 1e-3). Random data in [0, 1], 3 warm-up steps.
--train-epochs runs the example's loop itself (batch 128, shuffled, the last partial batch kept,
sigmoid + binary_cross_entropy as the example writes it) and prints the test loss after each epoch.
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def conv_twin():
    """recipes/vae-mnist.toml: the same layers under the same state-dict keys."""
    encoder = nn.Sequential(
        nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(), nn.Flatten(),
        nn.Linear(3136, 256), nn.ReLU(), nn.Linear(256, 32))
    decoder = nn.Sequential(
        nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 3136), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1))
    return encoder, decoder, 16


def mlp_twin():
    """recipes/vae-mlp-mnist.toml: PyTorch's example with fc21/fc22 as one 400 -> 40 layer."""
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 40))
    decoder = nn.Sequential(nn.Linear(20, 400), nn.ReLU(), nn.Linear(400, 784), nn.Unflatten(1, (1, 28, 28)))
    return encoder, decoder, 20


class TwinVAE(nn.Module):
    def __init__(self, parts):
        super().__init__()
        self.encoder, self.decoder, self.latent = parts

    def forward(self, x):
        stats = self.encoder(x)
        mu, logvar = stats[:, :self.latent], stats[:, self.latent:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decoder(z), mu, logvar


def twin_loss(logits, x, mu, logvar):
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (bce + kld) / x.shape[0]


class ExampleVAE(nn.Module):
    """pytorch/examples vae/main.py, verbatim in structure."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def example_loss(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def read_idx(path):
    for name in (path + ".gz", path):
        if os.path.exists(name):
            data = gzip.open(name).read() if name.endswith(".gz") else open(name, "rb").read()
            dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(data[3])]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)
    raise FileNotFoundError(path)


def train_epochs(args, model_name):
    train = torch.from_numpy(read_idx(os.path.join(args.data, "train-images-idx3-ubyte")).astype(np.float32) / 255).unsqueeze(1)
    test = torch.from_numpy(read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte")).astype(np.float32) / 255).unsqueeze(1)
    model = ExampleVAE() if model_name == "mlp" else TwinVAE(conv_twin())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def loss_sum(x):
        if model_name == "mlp":
            return _example(x)
        logits, mu, logvar = model(x)
        return twin_loss(logits, x, mu, logvar) * x.shape[0]

    def _example(x):
        recon, mu, logvar = model(x)
        return example_loss(recon, x, mu, logvar)

    start = time.perf_counter()
    trained = 0
    for epoch in range(1, args.train_epochs + 1):
        model.train()
        order = torch.randperm(len(train))
        for i in range(0, len(train), 128):
            x = train[order[i:i + 128]]
            optimizer.zero_grad()
            loss = loss_sum(x)
            loss.backward()
            optimizer.step()
            trained += len(x)
        model.eval()
        total = 0.0
        with torch.no_grad():
            for i in range(0, len(test), 128):
                total += loss_sum(test[i:i + 128]).item()
        seconds = time.perf_counter() - start
        print(f"epoch {epoch}: test loss {total / len(test):.4f} nats/image  ({trained / seconds:.1f} training images/s incl. tests)", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["conv", "mlp"], default="conv")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--train-epochs", type=int, default=0)
    parser.add_argument("--data", default="data/mnist")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.train_epochs:
        train_epochs(args, args.model)
        return
    model = TwinVAE(conv_twin() if args.model == "conv" else mlp_twin())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = torch.rand(args.batch, 1, 28, 28)

    def step():
        logits, mu, logvar = model(data)
        loss = twin_loss(logits, data, mu, logvar)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(f"pytorch {torch.__version__} vae {args.model} step: batch {args.batch}, threads {args.threads}, {args.steps} steps in {seconds:.2f} s")
    print(f"pytorch    {args.batch * args.steps / seconds:8.1f} images/s  {seconds / args.steps * 1000:7.1f} ms/step")


if __name__ == "__main__":
    main()
