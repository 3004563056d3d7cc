import StudioCore

// MARK: - PyTorch's default initialisers

extension Tensor {
    /// U(-1/√fanIn, 1/√fanIn) of `shape`: PyTorch's `kaiming_uniform_(a=√5)` for weights, and its
    /// bias rule, both of which reduce to this bound; zeros when `fanIn` is 0, as PyTorch does.
    public static func fanInUniform(_ shape: Shape, fanIn: Int, using generator: inout RandomGenerator) -> Tensor {
        guard fanIn > 0 else { return Tensor(zeros: shape) }
        let bound = 1 / Float(fanIn).squareRoot()
        return randomUniform(shape, lower: -bound, upper: bound, using: &generator)
    }
}

// MARK: - DCGAN initialisation

/// Re-initialises `module` as the DCGAN paper's PyTorch example does: every linear and (transposed)
/// convolution weight from N(0, 0.02²), every batch-norm weight from N(1, 0.02²) and its bias to 0.
/// Linear and convolution biases keep their values, as in that example. Draws in `stateEntries` order.
public func initializeDCGAN(_ module: any Module, using generator: inout RandomGenerator) {
    switch module {
    case let layer as any WeightedLayer:
        let weight = layer.weight
        weight.assign(Tensor.randomNormal(weight.shape, standardDeviation: 0.02, using: &generator))
    case let norm as BatchNorm1d:
        norm.core.resetForDCGAN(using: &generator)
    case let norm as BatchNorm2d:
        norm.core.resetForDCGAN(using: &generator)
    default:
        break
    }
    for (_, child) in module.children {
        if case .module(let sub) = child { initializeDCGAN(sub, using: &generator) }
    }
}

/// A layer whose main weight a DCGAN-style initialiser redraws: linear and (transposed) convolutions.
public protocol WeightedLayer: Layer {
    /// The weight tensor in PyTorch's layout.
    var weight: Parameter { get }
}
