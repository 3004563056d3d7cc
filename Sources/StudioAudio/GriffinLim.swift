import Foundation
import StudioCore
import StudioIO

/// Phase recovery from an STFT magnitude by Griffin-Lim iterations, with the "fast" momentum of
/// Perraudin et al. as torchaudio's `GriffinLim` uses it.
public struct GriffinLim: Sendable {
    /// The transform whose magnitudes are inverted.
    public var stft: STFT
    /// Projections between the signal and the consistent-spectrogram sets.
    public var iterations: Int
    /// Momentum in 0..<1 (0 is the original algorithm; torchaudio's default is 0.99).
    public var momentum: Float

    /// Griffin-Lim on `stft` with `iterations` steps and `momentum`.
    public init(stft: STFT, iterations: Int = 32, momentum: Float = 0.99) {
        precondition(iterations >= 0, "GriffinLim: negative iteration count \(iterations)")
        precondition(momentum >= 0 && momentum < 1, "GriffinLim: momentum \(momentum) outside 0..<1")
        self.stft = stft
        self.iterations = iterations
        self.momentum = momentum
    }

    /// A signal of `length` samples whose STFT magnitude approximates `magnitude`
    /// (`[fftSize/2 + 1, T]` row-major -> `[length]`); the initial phases are uniform random from
    /// `seed`, so the same seed gives the same bytes.
    public func reconstruct(magnitude: [Float], frameCount: Int, length: Int, seed: UInt64) throws -> [Float] {
        let bins = stft.binCount
        guard magnitude.count == bins * frameCount else {
            throw AudioError("Griffin-Lim: \(magnitude.count) magnitudes for \(bins) bins x \(frameCount) frames")
        }
        guard stft.frameCount(forLength: length) == frameCount else {
            throw AudioError("Griffin-Lim: \(frameCount) frames do not match a \(length)-sample signal (\(stft.frameCount(forLength: length)) frames at hop \(stft.hopLength))")
        }
        var generator = RandomGenerator(seed: seed, stream: 0x6772_6966_6669_6e6c)
        var phaseReal = [Float](repeating: 0, count: magnitude.count)
        var phaseImaginary = phaseReal
        for i in 0..<magnitude.count {
            let angle = 2 * Double.pi * Double(generator.next() >> 11) / Double(1 << 53)
            phaseReal[i] = Float(cos(angle))
            phaseImaginary[i] = Float(sin(angle))
        }
        var previousReal = [Float](repeating: 0, count: magnitude.count)
        var previousImaginary = previousReal
        let blend = momentum / (1 + momentum)
        func spectrogram() -> ComplexSpectrogram {
            ComplexSpectrogram(binCount: bins, frameCount: frameCount,
                               real: zip(magnitude, phaseReal).map(*), imaginary: zip(magnitude, phaseImaginary).map(*))
        }
        for _ in 0..<iterations {
            let rebuilt = try stft.forward(try stft.inverse(spectrogram(), length: length))
            for i in 0..<magnitude.count {
                let re = rebuilt.real[i] - blend * previousReal[i]
                let im = rebuilt.imaginary[i] - blend * previousImaginary[i]
                let norm = (re * re + im * im).squareRoot()
                // 1e-16 as torchaudio: a zero bin keeps phase 0 instead of dividing by zero.
                phaseReal[i] = re / (norm + 1e-16)
                phaseImaginary[i] = im / (norm + 1e-16)
                previousReal[i] = rebuilt.real[i]
                previousImaginary[i] = rebuilt.imaginary[i]
            }
        }
        return try stft.inverse(spectrogram(), length: length)
    }

    /// A waveform of `length` samples from a log-magnitude image `[F, T]` or `[1, F, T]` made with
    /// `scale` (the inverse of `STFT.logMagnitudeImage`, up to phase).
    public func waveform(fromImage image: Tensor, scale: SpectrogramScale, length: Int, seed: UInt64) throws -> [Float] {
        let (magnitude, frames) = try stft.magnitudes(fromImage: image, scale: scale)
        return try reconstruct(magnitude: magnitude, frameCount: frames, length: length, seed: seed)
    }

    /// `‖S − |STFT(x)|‖_F / ‖S‖_F`: how far `signal`'s magnitude is from the target `magnitude`.
    public static func spectralConvergence(of signal: [Float], to magnitude: [Float], stft: STFT) throws -> Float {
        let actual = try stft.forward(signal).magnitude
        guard actual.count == magnitude.count else {
            throw AudioError("spectral convergence: \(actual.count) magnitudes against \(magnitude.count)")
        }
        var difference: Double = 0, reference: Double = 0
        for (a, s) in zip(actual, magnitude) {
            difference += Double((s - a) * (s - a))
            reference += Double(s * s)
        }
        return Float((difference / max(reference, .leastNormalMagnitude)).squareRoot())
    }
}
