import ArgumentParser
import Dispatch
import StudioCore

/// `genstudio bench ops`: GFLOP/s of a 1024³ sgemm, of DCGAN's convolution layers (forward plus input
/// and weight gradients, batch 64) and of the diffusion UNet's 3x3 convolutions (forward, batch 64);
/// `benchmarks/ops.py` times the same workloads in PyTorch.
struct BenchOps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Time sgemm, DCGAN convolution layers and UNet 3x3 convolutions (same workloads and FLOP counts as benchmarks/ops.py).")

    @Option(help: "Compute threads (the engine spreads large products over them; OpenBLAS itself runs one).")
    var threads: Int = 2

    @Option(help: "Timed iterations per workload, after two untimed warm-up ones.")
    var iterations: Int = 10

    @Option(help: "Time only the workloads whose name contains this text (repeatable), e.g. to profile one.")
    var only: [String] = []

    @Flag(help: "Keep the OpenBLAS kernels an inherited OPENBLAS_CORETYPE forces, instead of letting OpenBLAS detect the CPU.")
    var keepBlasCore = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        let names = ["sgemm 1024x1024x1024"] + DCGANLayer.all.map(\.name) + UNetLayer.all.map(\.name)
        for text in only where !names.contains(where: { $0.contains(text) }) {
            throw ValidationError("--only '\(text)' matches no workload; they are: \(names.joined(separator: ", "))")
        }
    }

    func run() {
        if keepBlasCore { ComputeThreads.inheritBLASCore() }
        ComputeThreads.count = threads
        print("genstudio ops: threads \(threads), iterations \(iterations), BLAS core \(ComputeThreads.blasCore)")
        print(OpsReport.header)
        var generator = RandomGenerator(seed: 1)

        let a = Tensor.randomNormal([1024, 1024], using: &generator)
        let b = Tensor.randomNormal([1024, 1024], using: &generator)
        report("sgemm 1024x1024x1024", flops: 2 * 1024 * 1024 * 1024) { _ = Tensor.matmul(a, b) }

        for layer in DCGANLayer.all {
            let x = Tensor.randomNormal(layer.inputShape, using: &generator)
            let w = Tensor.randomNormal(layer.weightShape, standardDeviation: 0.02, using: &generator)
            let seed = Tensor.randomNormal(layer.outputShape, using: &generator)
            report(layer.name, flops: 3 * layer.forwardFlops) {
                let input = x.requiringGradient(), weight = w.requiringGradient()
                let y = layer.forward(input, weight)
                let grads = gradients(of: y, withRespectTo: [input, weight], seed: seed)
                precondition(grads.allSatisfy { $0 != nil }, "bench ops: a gradient is missing")
            }
        }

        for layer in UNetLayer.all {
            let x = Tensor.randomNormal(layer.inputShape, using: &generator)
            let w = Tensor.randomNormal(layer.weightShape, standardDeviation: 0.1, using: &generator)
            report(layer.name, flops: layer.forwardFlops) {
                _ = withoutGradients { x.conv2d(weight: w, padding: (1, 1)) }
            }
        }
    }

    private func report(_ name: String, flops: Double, _ body: () -> Void) {
        guard only.isEmpty || only.contains(where: { name.contains($0) }) else { return }
        for _ in 0..<2 { body() }
        var seconds: [Double] = []
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(OpsReport.line(name: name, flops: flops, seconds: seconds))
    }
}

/// One of DCGAN's convolution layers at batch 64, as `benchmarks/ops.py` defines it.
private struct DCGANLayer {
    var name: String
    var inputShape: Shape
    var weightShape: Shape
    var outputShape: Shape
    /// 2 FLOPs per multiply-add over every kernel tap, padding included; backward costs twice this.
    var forwardFlops: Double
    var forward: (Tensor, Tensor) -> Tensor

    static let all: [DCGANLayer] = [
        DCGANLayer(name: "convT 256->128 k5 s1 p2 7x7 N64 fwd+bwd",
                   inputShape: [64, 256, 7, 7], weightShape: [256, 128, 5, 5], outputShape: [64, 128, 7, 7],
                   forwardFlops: 2.0 * 64 * 256 * 128 * 25 * 7 * 7,
                   forward: { $0.convTranspose2d(weight: $1, stride: (1, 1), padding: (2, 2)) }),
        DCGANLayer(name: "convT 128->64 k5 s2 p2 op1 7x7->14x14 N64 fwd+bwd",
                   inputShape: [64, 128, 7, 7], weightShape: [128, 64, 5, 5], outputShape: [64, 64, 14, 14],
                   forwardFlops: 2.0 * 64 * 128 * 64 * 25 * 7 * 7,
                   forward: { $0.convTranspose2d(weight: $1, stride: (2, 2), padding: (2, 2), outputPadding: (1, 1)) }),
        DCGANLayer(name: "conv 64->128 k5 s2 p2 14x14->7x7 N64 fwd+bwd",
                   inputShape: [64, 64, 14, 14], weightShape: [128, 64, 5, 5], outputShape: [64, 128, 7, 7],
                   forwardFlops: 2.0 * 64 * 128 * 64 * 25 * 7 * 7,
                   forward: { $0.conv2d(weight: $1, stride: (2, 2), padding: (2, 2)) }),
    ]
}

/// One of the diffusion UNet's 3x3 convolutions (`recipes/ddpm-mnist.toml`) at batch 64, forward only,
/// as sampling runs it; `benchmarks/ops.py` defines the same rows.
private struct UNetLayer {
    var name: String
    var inputShape: Shape
    var weightShape: Shape
    var forwardFlops: Double

    static let all: [UNetLayer] = [(16, 16, 28), (32, 16, 28), (32, 32, 14), (64, 32, 7)].map(layer)

    private static func layer(channels: Int, outputs: Int, size: Int) -> UNetLayer {
        let flops = 2.0 * 64 * Double(channels * outputs * 9 * size * size)
        return UNetLayer(name: "conv \(channels)->\(outputs) k3 s1 p1 \(size)x\(size) N64 fwd",
                         inputShape: [64, channels, size, size], weightShape: [outputs, channels, 3, 3],
                         forwardFlops: flops)
    }
}

/// The line format shared with `benchmarks/ops.py`, so both print side by side.
private enum OpsReport {
    static let header = pad("workload", 52) + pad("median ms", 12, right: true) + pad("GFLOP/s", 10, right: true)
        + pad("best GFLOP/s", 14, right: true)

    static func line(name: String, flops: Double, seconds: [Double]) -> String {
        let sorted = seconds.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        return pad(name, 52) + pad(fixed(median * 1e3, 2), 12, right: true)
            + pad(fixed(flops / median / 1e9, 1), 10, right: true) + pad(fixed(flops / sorted[0] / 1e9, 1), 14, right: true)
    }

    private static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        let fraction = text.split(separator: ".").last.map(\.count) ?? 0
        text += String(repeating: "0", count: Swift.max(0, digits - fraction))
        return text
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: Swift.max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
