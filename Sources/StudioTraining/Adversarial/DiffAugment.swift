import StudioCore

/// One kind of DiffAugment transform (Zhao et al. 2020, "Differentiable Augmentation for
/// Data-Efficient GAN Training"), with the ranges of the authors' code.
public enum DiffAugmentTransform: String, Codable, CaseIterable, Sendable {
    /// Brightness + U(-0.5, 0.5), saturation × U(0, 2), contrast × U(0.5, 1.5), per image.
    case color
    /// A shift of up to 1/8 of the height and width, per image, zeros shifted in.
    case translation
    /// One zeroed square of half the height and width at a random centre, per image.
    case cutout
}

/// DiffAugment: random transforms that are differentiable in the images, applied to real and fake
/// batches alike in the discriminator's and the generator's steps, so that the discriminator cannot
/// memorise a small training set while the generator still learns the untransformed distribution.
public struct DiffAugment: Sendable {
    /// The transforms, applied in the order of `DiffAugmentTransform.allCases`.
    public let transforms: [DiffAugmentTransform]

    /// Applies `transforms` (duplicates and order do not matter).
    public init(_ transforms: [DiffAugmentTransform]) {
        self.transforms = DiffAugmentTransform.allCases.filter(transforms.contains)
    }

    /// The random draws of one batch: each transform's per-image parameters.
    public struct Draws: Equatable, Sendable {
        /// Per image: brightness offset in [-0.5, 0.5), saturation factor in [0, 2), contrast factor in [0.5, 1.5).
        public var brightness: [Float] = [], saturation: [Float] = [], contrast: [Float] = []
        /// Per image: the shift down and right, in pixels (negative: up and left).
        public var shiftRows: [Int] = [], shiftColumns: [Int] = []
        /// Per image: the cutout square's centre row and column.
        public var cutoutRows: [Int] = [], cutoutColumns: [Int] = []

        public init() {}
    }

    /// The draws for a batch `[N, C, H, W]` from `generator`, as the authors' code draws them.
    public func draws(for shape: Shape, using generator: inout RandomGenerator) -> Draws {
        let (n, height, width) = (shape[0], shape[2], shape[3])
        var draws = Draws()
        func integers(_ count: Int, in range: ClosedRange<Int>) -> [Int] {
            (0..<count).map { _ in range.lowerBound + Int(generator.next() % UInt64(range.count)) }
        }
        for transform in transforms {
            switch transform {
            case .color:
                draws.brightness = (0..<n).map { _ in generator.nextUniform() - 0.5 }
                draws.saturation = (0..<n).map { _ in generator.nextUniform() * 2 }
                draws.contrast = (0..<n).map { _ in generator.nextUniform() + 0.5 }
            case .translation:
                let rows = Int(Double(height) * 0.125 + 0.5), columns = Int(Double(width) * 0.125 + 0.5)
                draws.shiftRows = integers(n, in: -rows...rows)
                draws.shiftColumns = integers(n, in: -columns...columns)
            case .cutout:
                let (rows, columns) = (Int(Double(height) * 0.5 + 0.5), Int(Double(width) * 0.5 + 0.5))
                draws.cutoutRows = integers(n, in: 0...(height - rows % 2))
                draws.cutoutColumns = integers(n, in: 0...(width - columns % 2))
            }
        }
        return draws
    }

    /// `images` `[N, C, H, W]` transformed with fresh draws from `generator`.
    public func callAsFunction(_ images: Tensor, using generator: inout RandomGenerator) -> Tensor {
        apply(images, draws: draws(for: images.shape, using: &generator))
    }

    /// `images` `[N, C, H, W]` transformed with `draws`: `[N, C, H, W] -> [N, C, H, W]`.
    public func apply(_ images: Tensor, draws: Draws) -> Tensor {
        precondition(images.rank == 4, "DiffAugment: images must be [N, C, H, W], got \(images.shape)")
        var x = images
        for transform in transforms {
            switch transform {
            case .color: x = Self.color(x, draws)
            case .translation: x = Self.translate(x, rows: draws.shiftRows, columns: draws.shiftColumns)
            case .cutout: x = x * Self.cutoutMask(x.shape, rows: draws.cutoutRows, columns: draws.cutoutColumns)
            }
        }
        return x
    }

    /// Brightness, then saturation around the channel mean, then contrast around the image mean.
    static func color(_ x: Tensor, _ draws: Draws) -> Tensor {
        let perImage = Shape([x.shape[0], 1, 1, 1])
        let brightness = Tensor(shape: perImage, scalars: draws.brightness)
        let saturation = Tensor(shape: perImage, scalars: draws.saturation)
        let contrast = Tensor(shape: perImage, scalars: draws.contrast)
        var y = x + brightness
        let channelMean = y.mean(alongAxis: 1, keepingDimensions: true)
        y = (y - channelMean) * saturation + channelMean
        let imageMean = y.mean(alongAxes: [1, 2, 3], keepingDimensions: true)
        return (y - imageMean) * contrast + imageMean
    }

    /// Each image shifted by its (row, column) offset, zeros where the shift leaves nothing: a gather
    /// from the image with one zero appended, so that the gradient flows back to the moved pixels.
    static func translate(_ x: Tensor, rows: [Int], columns: [Int]) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let plane = h * w
        var indices = [Int](repeating: plane, count: n * c * plane)
        for image in 0..<n {
            for i in 0..<h {
                let source = i + rows[image]
                guard (0..<h).contains(source) else { continue }
                for j in 0..<w {
                    let column = j + columns[image]
                    guard (0..<w).contains(column) else { continue }
                    for channel in 0..<c { indices[(image * c + channel) * plane + i * w + j] = source * w + column }
                }
            }
        }
        let flat = x.reshaped(to: [n * c, plane]).padded([(0, 0), (0, 1)])
        return flat.gather(alongAxis: 1, indices: indices, indexCount: plane).reshaped(to: x.shape)
    }

    /// Ones with each image's square of half the size around its centre set to zero: `[N, 1, H, W]`.
    static func cutoutMask(_ shape: Shape, rows: [Int], columns: [Int]) -> Tensor {
        let (n, h, w) = (shape[0], shape[2], shape[3])
        let (height, width) = (Int(Double(h) * 0.5 + 0.5), Int(Double(w) * 0.5 + 0.5))
        var mask = [Float](repeating: 1, count: n * h * w)
        for image in 0..<n {
            for di in 0..<height {
                let i = Swift.min(Swift.max(rows[image] + di - height / 2, 0), h - 1)
                for dj in 0..<width {
                    let j = Swift.min(Swift.max(columns[image] + dj - width / 2, 0), w - 1)
                    mask[image * h * w + i * w + j] = 0
                }
            }
        }
        return Tensor(shape: [n, 1, h, w], scalars: mask)
    }
}
