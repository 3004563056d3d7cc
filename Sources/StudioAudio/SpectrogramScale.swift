import Foundation
import StudioCore
import StudioIO

/// A fixed, invertible map from STFT magnitudes to image values in -1...1: decibels clamped to
/// `minimumDecibels...maximumDecibels`, then scaled linearly. Fixed rather than fitted to a data
/// set, so that a generated image maps back to magnitudes with nothing but these two numbers.
public struct SpectrogramScale: Codable, Equatable, Sendable {
    /// Decibels mapped to -1; quieter magnitudes are clamped to it.
    public var minimumDecibels: Float
    /// Decibels mapped to +1; louder magnitudes are clamped to it.
    public var maximumDecibels: Float

    /// A scale from `minimumDecibels` (-> -1) to `maximumDecibels` (-> +1).
    public init(minimumDecibels: Float, maximumDecibels: Float) {
        precondition(maximumDecibels > minimumDecibels,
                     "SpectrogramScale: maximum \(maximumDecibels) dB must exceed minimum \(minimumDecibels) dB")
        self.minimumDecibels = minimumDecibels
        self.maximumDecibels = maximumDecibels
    }

    /// The scale for a Hann-windowed `fftSize` STFT: +1 at a full-scale constant signal's DC
    /// magnitude (`fftSize / 2`), -1 100 dB below it.
    public static func standard(fftSize: Int) -> SpectrogramScale {
        let top = 20 * log10(Float(fftSize) / 2)
        return SpectrogramScale(minimumDecibels: top - 100, maximumDecibels: top)
    }

    /// The image value of magnitude `m`, in -1...1.
    @inline(__always)
    public func value(ofMagnitude m: Float) -> Float {
        let floor = powf(10, minimumDecibels / 20)
        let decibels = 20 * log10(max(m, floor))
        let unit = (decibels - minimumDecibels) / (maximumDecibels - minimumDecibels)
        return min(max(unit, 0), 1) * 2 - 1
    }

    /// The magnitude of image value `v` (clamped to -1...1 first); exact inverse of
    /// `value(ofMagnitude:)` between the two decibel limits.
    @inline(__always)
    public func magnitude(ofValue v: Float) -> Float {
        let unit = (min(max(v, -1), 1) + 1) / 2
        return powf(10, (minimumDecibels + unit * (maximumDecibels - minimumDecibels)) / 20)
    }
}

extension STFT {
    /// The log-magnitude image of `signal`: `[L] -> [1, F, 1 + L/hop]` in -1...1, where F is
    /// `fftSize / 2 + 1`, or `fftSize / 2` with `dropsNyquist` (a power of two for image models).
    public func logMagnitudeImage(of signal: [Float], scale: SpectrogramScale,
                                  dropsNyquist: Bool = false) throws -> Tensor {
        let spectrum = try forward(signal)
        let rows = dropsNyquist ? binCount - 1 : binCount
        let magnitude = spectrum.magnitude
        let values = magnitude[0..<rows * spectrum.frameCount].map { scale.value(ofMagnitude: $0) }
        return Tensor(shape: [1, rows, spectrum.frameCount], scalars: values)
    }

    /// Log-magnitude images of a batch of clips: `[N, 1, L] -> [N, 1, F, 1 + L/hop]`.
    public func logMagnitudeImages(of clips: Tensor, scale: SpectrogramScale,
                                   dropsNyquist: Bool = false) throws -> Tensor {
        guard clips.rank == 3, clips.shape[1] == 1 else {
            throw AudioError("expected clips [N, 1, L], found \(clips.shape)")
        }
        let count = clips.shape[0], length = clips.shape[2]
        var values: [Float] = []
        var imageShape: [Int] = [1, dropsNyquist ? binCount - 1 : binCount, frameCount(forLength: length)]
        for n in 0..<count {
            let clip = Array(clips.scalars[n * length..<(n + 1) * length])
            let image = try logMagnitudeImage(of: clip, scale: scale, dropsNyquist: dropsNyquist)
            imageShape = image.shape.dimensions
            values.append(contentsOf: image.scalars)
        }
        return Tensor(shape: Shape([count] + imageShape), scalars: values)
    }

    /// Magnitudes `[binCount, T]` from a log-magnitude image `[F, T]` (or `[1, F, T]`) made by
    /// `logMagnitudeImage`; an image without the Nyquist row gets a zero one back.
    public func magnitudes(fromImage image: Tensor, scale: SpectrogramScale) throws -> (values: [Float], frameCount: Int) {
        let dims = image.shape.dimensions
        guard dims.count == 2 || (dims.count == 3 && dims[0] == 1) else {
            throw AudioError("expected a spectrogram image [F, T] or [1, F, T], found \(image.shape)")
        }
        let rows = dims[dims.count - 2], frames = dims[dims.count - 1]
        guard rows == binCount || rows == binCount - 1 else {
            throw AudioError("spectrogram image has \(rows) rows; FFT size \(fftSize) needs \(binCount) or \(binCount - 1)")
        }
        var magnitude = image.scalars.map { scale.magnitude(ofValue: $0) }
        if rows == binCount - 1 { magnitude.append(contentsOf: repeatElement(0, count: frames)) }
        return (magnitude, frames)
    }
}
