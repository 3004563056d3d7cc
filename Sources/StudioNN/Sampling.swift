import StudioCore

/// Nearest-neighbour upsampling by an integer factor: `[N, C, H, W] -> [N, C, H·scale, W·scale]`.
public struct Upsample: Layer {
    /// The factor applied to height and width.
    public let scale: Int

    /// Upsampling by `scale` in both spatial axes.
    public init(scale: Int) {
        precondition(scale >= 1, "Upsample: scale \(scale) must be at least 1")
        self.scale = scale
    }

    /// `[N, C, H, W] -> [N, C, H·scale, W·scale]`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        input.upsampledNearest(scale: scale)
    }
}

/// Average pooling over windows: `[N, C, H, W] -> [N, C, (H - kh) / sh + 1, (W - kw) / sw + 1]`.
public struct AvgPool2d: Layer {
    /// The window, (height, width).
    public let kernelSize: (Int, Int)
    /// Steps between windows; PyTorch's default is the window size.
    public let stride: (Int, Int)

    /// Square windows of `kernelSize`, `stride` defaulting to `kernelSize`, as PyTorch.
    public init(kernelSize: Int, stride: Int? = nil) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) })
    }

    /// Windows of `kernelSize`, `stride` defaulting to `kernelSize`, as PyTorch.
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    /// `[N, C, H, W] -> [N, C, H', W']`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        input.avgPool2d(kernelSize: kernelSize, stride: stride)
    }
}

/// Max pooling over windows: `[N, C, H, W] -> [N, C, (H - kh) / sh + 1, (W - kw) / sw + 1]`.
public struct MaxPool2d: Layer {
    /// The window, (height, width).
    public let kernelSize: (Int, Int)
    /// Steps between windows; PyTorch's default is the window size.
    public let stride: (Int, Int)

    /// Square windows of `kernelSize`, `stride` defaulting to `kernelSize`, as PyTorch.
    public init(kernelSize: Int, stride: Int? = nil) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) })
    }

    /// Windows of `kernelSize`, `stride` defaulting to `kernelSize`, as PyTorch.
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    /// `[N, C, H, W] -> [N, C, H', W']`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        input.maxPool2d(kernelSize: kernelSize, stride: stride)
    }
}
