"""PyTorch timings of the workloads of `genstudio bench ops`, printed in the same format.

Run:  /tmp/peer/bin/python benchmarks/ops.py [--threads 2] [--iterations 10]
and compare with:  swift build -c release && .build/release/genstudio bench ops [--threads 2] [--iterations 10]

Workloads (batch 64, float32, CPU): a 1024^3 matmul, and forward plus input and weight gradients of
DCGAN's layers ConvTranspose2d 256->128 5x5 s1 p2 on 7x7, ConvTranspose2d 128->64 5x5 s2 p2
output_padding 1 on 7x7 -> 14x14, and Conv2d 64->128 5x5 s2 p2 on 14x14 -> 7x7, all without bias.
FLOPs count 2 per multiply-add over every kernel tap, padding included (for a transposed convolution,
over every input position); backward counts twice the forward. Then the forward pass alone, without
gradients, of the diffusion UNet's 3x3 convolutions (recipes/ddpm-mnist.toml) at batch 64. Two untimed warm-up iterations, then
the median and the best of the timed ones.
"""
import argparse
import time

import torch
import torch.nn.functional as F


def header():
    return f"{'workload':<52}{'median ms':>12}{'GFLOP/s':>10}{'best GFLOP/s':>14}"


def report(name, flops, body, iterations):
    for _ in range(2):
        body()
    seconds = []
    for _ in range(iterations):
        start = time.perf_counter()
        body()
        seconds.append(time.perf_counter() - start)
    seconds.sort()
    n = len(seconds)
    median = seconds[n // 2] if n % 2 == 1 else (seconds[n // 2 - 1] + seconds[n // 2]) / 2
    print(f"{name:<52}{median * 1e3:>12.2f}{flops / median / 1e9:>10.1f}{flops / seconds[0] / 1e9:>14.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    print(f"torch {torch.__version__} ops: threads {args.threads}, iterations {args.iterations}, "
          f"mkldnn {torch.backends.mkldnn.is_available()}")
    print(header())

    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    report("sgemm 1024x1024x1024", 2.0 * 1024 ** 3, lambda: torch.matmul(a, b), args.iterations)

    layers = [
        ("convT 256->128 k5 s1 p2 7x7 N64 fwd+bwd", (64, 256, 7, 7), (256, 128, 5, 5),
         2.0 * 64 * 256 * 128 * 25 * 7 * 7, lambda x, w: F.conv_transpose2d(x, w, stride=1, padding=2)),
        ("convT 128->64 k5 s2 p2 op1 7x7->14x14 N64 fwd+bwd", (64, 128, 7, 7), (128, 64, 5, 5),
         2.0 * 64 * 128 * 64 * 25 * 7 * 7,
         lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=2, output_padding=1)),
        ("conv 64->128 k5 s2 p2 14x14->7x7 N64 fwd+bwd", (64, 64, 14, 14), (128, 64, 5, 5),
         2.0 * 64 * 128 * 64 * 25 * 7 * 7, lambda x, w: F.conv2d(x, w, stride=2, padding=2)),
    ]
    for name, input_shape, weight_shape, forward_flops, forward in layers:
        x0 = torch.randn(input_shape)
        w0 = torch.randn(weight_shape) * 0.02
        seed = torch.randn(forward(x0, w0).shape)

        def step():
            x = x0.detach().requires_grad_()
            w = w0.detach().requires_grad_()
            y = forward(x, w)
            torch.autograd.grad(y, [x, w], seed)

        report(name, 3 * forward_flops, step, args.iterations)

    for channels, outputs, size in [(16, 16, 28), (32, 16, 28), (32, 32, 14), (64, 32, 7)]:
        x = torch.randn(64, channels, size, size)
        w = torch.randn(outputs, channels, 3, 3) * 0.1

        def forward():
            with torch.no_grad():
                F.conv2d(x, w, padding=1)

        report(f"conv {channels}->{outputs} k3 s1 p1 {size}x{size} N64 fwd",
               2.0 * 64 * channels * outputs * 9 * size * size, forward, args.iterations)


if __name__ == "__main__":
    main()
