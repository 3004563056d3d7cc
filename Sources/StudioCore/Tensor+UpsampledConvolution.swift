// MARK: - A 3x3 convolution of a nearest-upsampled image, without the upsampled image

extension Tensor {
    /// `upsampledNearest(scale: 2).conv2d(weight:bias:padding: (1, 1))` for a 3x3 weight `[O, C, 3, 3]`:
    /// `[N, C, H, W]` (+ bias `[O]`) `-> [N, O, 2H, 2W]`, the same values up to rounding and the same
    /// gradients, from less than half the products.
    ///
    /// Each output pixel of a parity (even or odd row, even or odd column) reads the same 2x2 window of the
    /// input through all nine taps, so the taps that land on one input pixel can be added first: the four
    /// parities are the four phases of a transposed convolution at stride 2 with a 4x4 kernel, 16 products
    /// per output pixel instead of 36, and the 4x-larger upsampled image is never made. A diffusion UNet's
    /// upsampling layers are its widest convolutions at each level.
    public func conv2dAfterNearestUpsampling(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3
                        && shape[1] == weight.shape[1],
                     "conv2dAfterNearestUpsampling: input \(shape) does not fit weight \(weight.shape) "
                        + "([N, C, H, W] and [O, C, 3, 3])")
        let (outputs, channels) = (weight.shape[0], weight.shape[1])
        // Per axis, tap k of the transposed convolution (output 2m - 1 + k for input m) gathers the 3x3
        // taps that read input m: 2m's taps 0 (k = 3) and 1, 2 (k = 1), 2m + 1's taps 0, 1 (k = 2) and 2 (k = 0).
        let gather = Tensor(shape: [3, 4], scalars: [0, 0, 1, 1,
                                                     0, 1, 1, 0,
                                                     1, 1, 0, 0])
        let columns = Tensor.matmul(weight.reshaped(to: [outputs * channels * 3, 3]), gather)
            .reshaped(to: [outputs * channels, 3, 4]).transposed(1, 2)
        let folded = Tensor.matmul(columns.reshaped(to: [outputs * channels * 4, 3]), gather)
            .reshaped(to: [outputs, channels, 4, 4])
        // [O, C, kx, ky] -> [C, O, ky, kx], the transposed convolution's layout.
        return convTranspose2d(weight: folded.permuted([1, 0, 3, 2]), bias: bias, stride: (2, 2), padding: (1, 1))
    }
}
