import StudioCore

/// PyTorch's `torch.nn.utils.spectral_norm` (the hook version, one power iteration) for one weight:
/// the layer's forward uses `weight / σ`, σ estimated by `u · (W v)` with W the weight as a
/// `[rows, cols]` matrix whose rows run along `axis` (0; 1 for transposed convolutions).
/// State as PyTorch keeps it: buffers `weight_u` `[rows]` and `weight_v` `[cols]`.
public struct SpectralNorm {
    /// `[rows]`, PyTorch's `weight_u`: the estimate of W's first left singular vector.
    public let u: Buffer
    /// `[cols]`, PyTorch's `weight_v`: the estimate of W's first right singular vector.
    public let v: Buffer
    /// The weight axis that indexes the matrix rows: PyTorch's `dim`.
    public let axis: Int
    /// The floor under the norms that u and v are divided by.
    public let epsilon: Float

    /// State for a weight of `weightShape`: u and v drawn from N(0, 1) and normalised, as PyTorch does
    /// (any values do: loading a state dict replaces them, and training re-estimates them).
    public init(weightShape: Shape, axis: Int, epsilon: Float = 1e-12, using generator: inout RandomGenerator) {
        precondition(weightShape.rank >= 2 && axis >= 0 && axis < weightShape.rank,
                     "SpectralNorm: axis \(axis) does not fit weight \(weightShape)")
        let rows = weightShape[axis], cols = weightShape.elementCount / Swift.max(rows, 1)
        u = Buffer(Self.normalized(Tensor.randomNormal([rows], using: &generator).scalars, epsilon: epsilon))
        v = Buffer(Self.normalized(Tensor.randomNormal([cols], using: &generator).scalars, epsilon: epsilon))
        self.axis = axis
        self.epsilon = epsilon
    }

    /// `weight / σ`, differentiable in `weight` with u and v held constant, as in PyTorch. In training
    /// mode one power iteration first moves u and v (stored, outside the graph); in evaluation they
    /// are used as stored.
    public func normalizedWeight(_ weight: Tensor, training: Bool) -> Tensor {
        let matrix = MatrixView(weight.shape, axis: axis)
        precondition(u.value.shape == [matrix.rows] && v.value.shape == [matrix.cols],
                     "SpectralNorm: u \(u.value.shape) and v \(v.value.shape) do not fit weight \(weight.shape)")
        if training { powerIteration(weight.scalars, matrix) }
        // σ = u·(W v) = Σ W ⊙ (u vᵀ): the outer product, laid out as the weight, is a constant,
        // so σ's gradient reaches the weight through one product and one sum.
        let uScalars = u.value.scalars, vScalars = v.value.scalars
        var outer = [Float](repeating: 0, count: weight.elementCount)
        matrix.forEach { index, row, col in outer[index] = uScalars[row] * vScalars[col] }
        let sigma = (weight * Tensor(shape: weight.shape, scalars: outer)).sum()
        return weight / sigma
    }

    /// v = normalize(Wᵀu), then u = normalize(W v); sums in Double, so that long rows lose nothing to rounding.
    private func powerIteration(_ weight: [Float], _ matrix: MatrixView) {
        let uScalars = u.value.scalars
        var wTu = [Double](repeating: 0, count: matrix.cols)
        matrix.forEach { index, row, col in wTu[col] += Double(weight[index]) * Double(uScalars[row]) }
        let newV = Self.normalized(wTu.map(Float.init), epsilon: epsilon)
        let vScalars = newV.scalars
        var wv = [Double](repeating: 0, count: matrix.rows)
        matrix.forEach { index, row, col in wv[row] += Double(weight[index]) * Double(vScalars[col]) }
        v.value = newV
        u.value = Self.normalized(wv.map(Float.init), epsilon: epsilon)
    }

    /// `x / max(‖x‖, ε)`: `[n] -> [n]`, PyTorch's `F.normalize(x, dim=0, eps=ε)`.
    static func normalized(_ x: [Float], epsilon: Float) -> Tensor {
        let norm = Swift.max(Float(x.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()), epsilon)
        return Tensor(x.map { $0 / norm })
    }

    /// The state entries of a layer whose weight this normalises, in PyTorch's `state_dict()` order:
    /// `spectral_norm` re-registers the weight as `weight_orig` after the bias, then adds the buffers.
    func children(weight: Parameter, bias: Parameter?) -> [(name: String, child: ModuleChild)] {
        (bias.map { [("bias", .parameter($0))] } ?? [])
            + [("weight_orig", .parameter(weight)), ("weight_u", .buffer(u)), ("weight_v", .buffer(v))]
    }
}

/// A weight seen as the `[rows, cols]` matrix of PyTorch's `permute(axis, others...).reshape(rows, -1)`,
/// without moving any scalar: storage index = (outer · rows + row) · inner + j, column = outer · inner + j.
struct MatrixView {
    let rows: Int
    let cols: Int
    private let outerCount: Int
    private let innerCount: Int

    init(_ shape: Shape, axis: Int) {
        rows = shape[axis]
        outerCount = shape.dimensions[..<axis].reduce(1, *)
        innerCount = shape.dimensions[(axis + 1)...].reduce(1, *)
        cols = outerCount * innerCount
    }

    /// Calls `body(storage index, row, column)` for every scalar, in storage order.
    func forEach(_ body: (Int, Int, Int) -> Void) {
        var index = 0
        for outer in 0..<outerCount {
            for row in 0..<rows {
                let colStart = outer * innerCount
                for j in 0..<innerCount {
                    body(index, row, colStart + j)
                    index += 1
                }
            }
        }
    }
}

// MARK: - Layers that take it

/// A linear or (transposed) convolution layer that `spectral_norm` applies to.
public protocol SpectrallyNormalizable: WeightedLayer {
    /// The bias, or nil.
    var bias: Parameter? { get }
    /// The power-iteration state when the weight is spectrally normalised, else nil.
    var spectralNorm: SpectralNorm? { get }
    /// The same layer (sharing its parameters) with its weight spectrally normalised as PyTorch's
    /// `spectral_norm(module)` does; u and v are drawn from `generator`.
    func spectrallyNormalized(using generator: inout RandomGenerator) -> Self
}

extension SpectrallyNormalizable {
    /// The weight the forward pass uses: `weight`, or `weight / σ` under spectral normalisation.
    func effectiveWeight(_ context: ForwardContext) -> Tensor {
        guard let spectralNorm else { return weight.value }
        return spectralNorm.normalizedWeight(weight.value, training: context.isTraining)
    }

    /// `weight`, then `bias` when present; under spectral normalisation PyTorch's names and order.
    var weightChildren: [(name: String, child: ModuleChild)] {
        if let spectralNorm { return spectralNorm.children(weight: weight, bias: bias) }
        return [("weight", .parameter(weight))] + (bias.map { [("bias", .parameter($0))] } ?? [])
    }
}
