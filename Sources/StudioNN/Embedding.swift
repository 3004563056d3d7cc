import StudioCore

/// A lookup table of learned vectors: indices `[B]` -> `[B, dimension]`. Weight `[count, dimension]`
/// from N(0, 1), as PyTorch's `Embedding`.
public struct Embedding: Module {
    /// `[count, dimension]`, one row per index.
    public let weight: Parameter

    /// A table of `count` rows of `dimension` drawn from N(0, 1).
    public init(count: Int, dimension: Int, using generator: inout RandomGenerator) {
        self.init(weight: Tensor.randomNormal([count, dimension], using: &generator))
    }

    /// A table holding `weight` `[count, dimension]`.
    public init(weight: Tensor) {
        precondition(weight.rank == 2, "Embedding: weight must be [count, dimension], got \(weight.shape)")
        self.weight = Parameter(weight)
    }

    /// The number of rows.
    public var count: Int { weight.shape[0] }
    /// The length of each vector.
    public var dimension: Int { weight.shape[1] }

    /// `weight`, as PyTorch names it.
    public var children: [(name: String, child: ModuleChild)] { [("weight", .parameter(weight))] }

    /// The rows at `indices`: `[B] -> [B, dimension]`; each index must lie in `0..<count`.
    public func callAsFunction(_ indices: [Int]) -> Tensor {
        weight.value.indexSelect(indices, alongAxis: 0)
    }
}
