import StudioCore

/// Layers applied in order: `[...] -> [...]` as the chain's shapes allow. Children are named
/// "0", "1", ... counting parameterless layers too, exactly as PyTorch's `nn.Sequential`.
public struct Sequential: Layer {
    /// The layers, first applied first.
    public let layers: [any Layer]

    /// A chain of `layers`.
    public init(_ layers: [any Layer]) { self.layers = layers }

    /// A chain written as a block of layers, one per line.
    public init(@SequentialBuilder _ build: () -> [any Layer]) { self.init(build()) }

    /// The layers under "0", "1", ..., as `nn.Sequential` registers them.
    public var children: [(name: String, child: ModuleChild)] {
        layers.enumerated().map { (String($0.offset), .module($0.element)) }
    }

    /// The input through every layer in order.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        layers.reduce(input) { $1($0, context: context) }
    }
}

/// Collects the lines of a `Sequential { ... }` block, including `if` and `for` blocks.
@resultBuilder
public enum SequentialBuilder {
    /// One layer line.
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    /// A line holding an array of layers, spliced in place.
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    /// The lines of a block, in order.
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    /// An `if` without `else`: its layers, or none.
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    /// The `if` branch of an `if`/`else`.
    public static func buildEither(first part: [any Layer]) -> [any Layer] { part }
    /// The `else` branch of an `if`/`else`.
    public static func buildEither(second part: [any Layer]) -> [any Layer] { part }
    /// A `for` loop: every iteration's layers, in order.
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}
