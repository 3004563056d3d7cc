import CKernels

extension DirectConvolution {
    /// Whether `studio_conv_weight_gradient` takes the weight gradient of `g`: on AVX-512, with a multiple of
    /// 16 output channels and kernels 3 to 5 wide (a DCGAN's 5x5 layers, a UNet's 3x3 ones).
    static func appliesToWeightGradient(_ g: ConvGeometry) -> Bool {
        isAvailable && g.outputChannels % 16 == 0 && (3...5).contains(g.kernelWidth)
    }

    /// The weight gradient without an im2col matrix: images `[N, C, H, W]` and output gradient
    /// `[N, O, H', W']` `-> [O, C, kh, kw]`. Every weight sums over the whole batch in one chain, whichever
    /// thread takes its kernel rows, so the bits do not depend on the thread count.
    static func weightGradient(_ input: Tensor, _ upstream: Tensor, _ g: ConvGeometry) -> Tensor {
        // The UNets' 3x3 and the DCGANs' 5x5 convolutions read their images in place; the others read
        // zero-bordered copies.
        let inPlace = studio_conv_weight_gradient_in_place(g.kernelHeight, g.kernelWidth, g.strideY, g.strideX,
                                                           g.padY, g.padX, g.height, g.width, g.outputHeight,
                                                           g.outputWidth) != 0
        let paddedHeight = g.height + 2 * g.padY, paddedWidth = g.width + 2 * g.padX
        let planeCount = inPlace ? 0 : g.inputChannels * paddedHeight * paddedWidth
        let gradientCount = g.outputChannels * g.outputPlane
        let planes = ScratchPool.take(g.batch * planeCount), byPixel = ScratchPool.take(g.batch * gradientCount)
        input.withUnsafeBufferPointer { x in
            upstream.withUnsafeBufferPointer { u in
                parallelFor(g.batch, work: g.batch * (planeCount + gradientCount)) { n in
                    let gradient = u.baseAddress! + n * gradientCount
                    let byPixelImage = byPixel.pointer + n * gradientCount
                    if inPlace {
                        studio_transpose(gradient, g.outputChannels, g.outputPlane, byPixelImage)
                    } else {
                        studio_conv_weight_gradient_prepare(x.baseAddress! + n * g.inputChannels * g.inputPlane,
                                                            gradient, g.inputChannels, g.height, g.width, g.padY,
                                                            g.padX, g.outputChannels, g.outputPlane,
                                                            planes.pointer + n * planeCount, byPixelImage)
                    }
                }
            }
        }
        // Kernel rows in a few runs for the threads to share, of nearly equal length and each starting at a
        // multiple of the rows of the tiles that run, so that no run needs one-row tail tiles. (Rounding every
        // run up to 12 rows instead gave convT 256->128's 640 rows, whose tiles take one row, runs of 168,
        // 168, 168 and 136, and one thread 10% more work than the other.)
        let rows = g.inputChannels * g.kernelHeight
        let tasks = Swift.min(rows, 2 * ComputeThreads.count)
        let multiple = studio_conv_weight_gradient_row_multiple(g.outputChannels, g.kernelWidth)
        func boundary(_ task: Int) -> Int {
            task == tasks ? rows : Swift.min(rows, (task * rows / tasks + multiple / 2) / multiple * multiple)
        }
        let packed = ScratchPool.take(rows * g.kernelWidth * g.outputChannels)
        input.withUnsafeBufferPointer { x in
            let images = inPlace ? x.baseAddress! : UnsafePointer(planes.pointer)
            parallelFor(tasks, work: g.batch * g.outputPlane * g.columnRows * g.outputChannels) { task in
                let done = studio_conv_weight_gradient(images, byPixel.pointer, g.batch, g.inputChannels,
                                                       g.height, g.width, g.padY, g.padX, g.outputChannels,
                                                       g.kernelHeight, g.kernelWidth, g.strideY, g.strideX,
                                                       g.outputHeight, g.outputWidth, boundary(task),
                                                       boundary(task + 1), packed.pointer)
                precondition(done != 0, "direct weight gradient planned on a processor without AVX-512")
            }
        }
        let result = Tensor(shape: g.weightShape, unsafeUninitialized: { out in
            studio_transpose(packed.pointer, g.columnRows, g.outputChannels, out.baseAddress!)
        })
        withExtendedLifetime((planes, byPixel, packed)) {}
        return result
    }
}
