import StudioCore

/// WaveGAN (Donahue, McAuley & Puckette 2019) as recipe layers: five stride-4 transposed 1-D
/// convolutions (kernel 25) from a dense projection, and the mirror-image critic with phase shuffle.
public enum WaveGAN {
    /// Upsampling layers; each multiplies the length by 4, so clips are `1024 · start` samples long.
    public static let upsamplingLayers = 5

    /// The generator and discriminator for clips `[channels, length]`, `length` a multiple of 1024
    /// (16384: the paper's 16 initial steps; 8192: 8), with model width d = `width` (the paper's 64):
    /// G `[N, latent (+ embedding)] -> linear -> [N, 16d, length/1024] -> (relu, convtranspose1d) x5 -> tanh -> [N, channels, length]`;
    /// D `[N, channels, length] -> (conv1d, leakyrelu 0.2, phase shuffle n) x4 -> conv1d, leakyrelu -> flatten -> linear -> [N, 1]`.
    public static func config(width: Int, length: Int, channels: Int = 1, latentSize: Int = 100, phaseShuffle: Int = 2,
                              classCount: Int = 0, embeddingSize: Int? = nil) throws -> GANConfig {
        let stride = 1 << (2 * upsamplingLayers)
        guard width > 0 else { throw ModelConfigError("WaveGAN width must be positive, got \(width)") }
        guard length >= stride, length % stride == 0 else {
            throw ModelConfigError("WaveGAN clips must be a positive multiple of \(stride) samples long (five stride-4 layers), got \(length)")
        }
        let start = length / stride
        let widths = [16, 8, 4, 2, 1].map { $0 * width } + [channels]
        let inputSize = latentSize + (classCount > 0 ? embeddingSize ?? classCount : 0)
        func ints(_ values: [String: Int]) -> [String: LayerSpec.Value] { values.mapValues { .int($0) } }

        var generator = [LayerSpec(.linear, ints(["in": inputSize, "out": widths[0] * start])),
                         LayerSpec(.unflatten, ["axis": .int(1), "shape": .ints([widths[0], start])])]
        for layer in 0..<upsamplingLayers {
            generator.append(LayerSpec(.relu))
            // Padding 11 with output padding 1 makes each layer exactly 4x longer: (L-1)·4 - 22 + 25 + 1 = 4L.
            generator.append(LayerSpec(.convtranspose1d, ints(["in": widths[layer], "out": widths[layer + 1], "kernel": 25,
                                                               "stride": 4, "padding": 11, "output_padding": 1])))
        }
        generator.append(LayerSpec(.tanh))

        let reversed = Array(widths.reversed())
        var discriminator: [LayerSpec] = []
        for layer in 0..<upsamplingLayers {
            // Padding 11 makes each layer exactly 4x shorter: (L + 22 - 25)/4 + 1 = L/4 for L divisible by 4.
            discriminator.append(LayerSpec(.conv1d, ints(["in": reversed[layer], "out": reversed[layer + 1], "kernel": 25,
                                                          "stride": 4, "padding": 11])))
            discriminator.append(LayerSpec(.leakyrelu, ["slope": .number(0.2)]))
            if layer < upsamplingLayers - 1 && phaseShuffle > 0 { discriminator.append(LayerSpec(.phaseshuffle, ints(["n": phaseShuffle]))) }
        }
        discriminator += [LayerSpec(.flatten, ["start": .int(1)]), LayerSpec(.linear, ints(["in": widths[0] * start, "out": 1]))]
        let config = GANConfig(latentSize: latentSize, imageShape: [channels, length], initialization: .pytorch,
                               classCount: classCount, embeddingSize: embeddingSize,
                               generator: SequentialSpec(generator), discriminator: SequentialSpec(discriminator))
        try config.validate()
        return config
    }
}
