import CKernels

// MARK: - Pooling and nearest-neighbour upsampling, each beside its pullback

/// A pooling window sliding over the planes of `[N, C, H, W]` without padding (PyTorch's floor mode).
private struct PoolGeometry {
    var planes: Int
    var height: Int
    var width: Int
    var kernelHeight: Int
    var kernelWidth: Int
    var strideY: Int
    var strideX: Int

    var outputHeight: Int { (height - kernelHeight) / strideY + 1 }
    var outputWidth: Int { (width - kernelWidth) / strideX + 1 }
    var inputPlane: Int { height * width }
    var outputPlane: Int { outputHeight * outputWidth }

    init(_ shape: Shape, kernelSize: (Int, Int), stride: (Int, Int), op: String) {
        precondition(shape.rank == 4, "\(op): needs [N, C, H, W], got \(shape)")
        precondition(kernelSize.0 >= 1 && kernelSize.1 >= 1 && stride.0 >= 1 && stride.1 >= 1,
                     "\(op): kernel \(kernelSize) and stride \(stride) must be positive")
        precondition(shape[2] >= kernelSize.0 && shape[3] >= kernelSize.1,
                     "\(op): input \(shape) is smaller than the kernel \(kernelSize)")
        planes = shape[0] * shape[1]
        height = shape[2]
        width = shape[3]
        kernelHeight = kernelSize.0
        kernelWidth = kernelSize.1
        strideY = stride.0
        strideX = stride.1
    }

    /// Runs `body(plane)` for every plane, in parallel when there are enough scalars.
    func forEachPlane(_ body: (Int) -> Void) {
        parallelFor(planes, work: planes * inputPlane * Swift.max(1, kernelHeight * kernelWidth / (strideY * strideX)), body)
    }
}

extension Tensor {
    /// Mean over each window: `[N, C, H, W] -> [N, C, H', W']`, `H' = (H - kh)/s + 1` (PyTorch, no padding).
    public func avgPool2d(kernelSize: (Int, Int), stride: (Int, Int)) -> Tensor {
        let g = PoolGeometry(shape, kernelSize: kernelSize, stride: stride, op: "avgPool2d")
        return Tensor.averagePool(self, g)
    }

    /// Largest value of each window: `[N, C, H, W] -> [N, C, H', W']` (PyTorch, no padding); the
    /// gradient goes to the first largest scalar of a window.
    public func maxPool2d(kernelSize: (Int, Int), stride: (Int, Int)) -> Tensor {
        let g = PoolGeometry(shape, kernelSize: kernelSize, stride: stride, op: "maxPool2d")
        var winners = [Int](repeating: 0, count: g.planes * g.outputPlane)
        withUnsafeBufferPointer { x in
            winners.withUnsafeMutableBufferPointer { best in
                let x = x.baseAddress!, best = best.baseAddress!
                g.forEachPlane { p in
                    let plane = x + p * g.inputPlane
                    for oy in 0..<g.outputHeight {
                        for ox in 0..<g.outputWidth {
                            var index = oy * g.strideY * g.width + ox * g.strideX
                            var largest = plane[index]
                            for i in 0..<g.kernelHeight {
                                for j in 0..<g.kernelWidth {
                                    let k = (oy * g.strideY + i) * g.width + ox * g.strideX + j
                                    if plane[k] > largest { largest = plane[k]; index = k }
                                }
                            }
                            best[p * g.outputPlane + oy * g.outputWidth + ox] = index
                        }
                    }
                }
            }
        }
        // A gather is differentiable to every order, its adjoint being a scatter.
        return reshaped(to: [g.planes, g.inputPlane])
            .gather(alongAxis: 1, indices: winners, indexCount: g.outputPlane)
            .reshaped(to: [shape[0], shape[1], g.outputHeight, g.outputWidth])
    }

    /// Nearest-neighbour upsampling by an integer factor: `[N, C, H, W] -> [N, C, sH, sW]`, `[N, C, L] -> [N, C, sL]`.
    public func upsampledNearest(scale: Int) -> Tensor {
        precondition(scale >= 1, "upsampledNearest: scale \(scale) must be positive")
        precondition(rank == 3 || rank == 4, "upsampledNearest: needs [N, C, L] or [N, C, H, W], got \(shape)")
        if rank == 3 {
            return expandingDimension(at: 2).upsampled(scaleY: 1, scaleX: scale).squeezingDimension(at: 2)
        }
        return upsampled(scaleY: scale, scaleX: scale)
    }

    private func upsampled(scaleY: Int, scaleX: Int) -> Tensor {
        let (h, w) = (shape[2], shape[3])
        let planes = shape[0] * shape[1]
        let value = withUnsafeBufferPointer { x in
            Tensor(shape: [shape[0], shape[1], h * scaleY, w * scaleX], unsafeUninitialized: { out in
                let x = x.baseAddress!, out = out.baseAddress!
                parallelFor(planes, work: planes * h * scaleY * w * scaleX) { p in
                    studio_upsample_nearest(x + p * h * w, out + p * h * scaleY * w * scaleX, 1, h, w, scaleY, scaleX)
                }
            })
        }
        // The adjoint sums each block; recorded, it is an average pool scaled by the block size.
        return Tensor.record("upsampleNearest", value, (self, { g in
            guard !isRecordingGradients else {
                return g.avgPool2d(kernelSize: (scaleY, scaleX), stride: (scaleY, scaleX)) * Float(scaleY * scaleX)
            }
            return g.withUnsafeBufferPointer { u in
                Tensor(shape: self.shape, unsafeUninitialized: { out in
                    let u = u.baseAddress!, out = out.baseAddress!
                    parallelFor(planes, work: planes * h * scaleY * w * scaleX) { p in
                        studio_block_sums(u + p * h * scaleY * w * scaleX, out + p * h * w, 1, h, w, scaleY, scaleX)
                    }
                })
            }
        }))
    }

    fileprivate static func averagePool(_ input: Tensor, _ g: PoolGeometry) -> Tensor {
        let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
        let value = input.withUnsafeBufferPointer { x in
            Tensor(shape: [input.shape[0], input.shape[1], g.outputHeight, g.outputWidth], unsafeUninitialized: { out in
                let x = x.baseAddress!, out = out.baseAddress!
                g.forEachPlane { p in
                    let plane = x + p * g.inputPlane
                    for oy in 0..<g.outputHeight {
                        for ox in 0..<g.outputWidth {
                            var total: Float = 0
                            for i in 0..<g.kernelHeight {
                                let row = plane + (oy * g.strideY + i) * g.width + ox * g.strideX
                                for j in 0..<g.kernelWidth { total += row[j] }
                            }
                            out[p * g.outputPlane + oy * g.outputWidth + ox] = total * scale
                        }
                    }
                }
            })
        }
        return record("avgPool2d", value, (input, { averagePoolAdjoint($0, g, inputShape: input.shape) }))
    }

    /// Spreads each output-gradient scalar evenly over its window: `[N, C, H', W'] -> [N, C, H, W]`.
    fileprivate static func averagePoolAdjoint(_ upstream: Tensor, _ g: PoolGeometry, inputShape: Shape) -> Tensor {
        let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
        let value = upstream.withUnsafeBufferPointer { u in
            Tensor(shape: inputShape, unsafeUninitialized: { out in
                let u = u.baseAddress!, out = out.baseAddress!
                g.forEachPlane { p in
                    let plane = out + p * g.inputPlane
                    plane.update(repeating: 0, count: g.inputPlane)
                    for oy in 0..<g.outputHeight {
                        for ox in 0..<g.outputWidth {
                            let share = u[p * g.outputPlane + oy * g.outputWidth + ox] * scale
                            for i in 0..<g.kernelHeight {
                                let row = plane + (oy * g.strideY + i) * g.width + ox * g.strideX
                                for j in 0..<g.kernelWidth { row[j] += share }
                            }
                        }
                    }
                }
            })
        }
        return record("avgPool2dAdjoint", value, (upstream, { averagePool($0, g) }))
    }
}
