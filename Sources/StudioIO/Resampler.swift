import CSampleRate
import Foundation

/// Sample-rate conversion through libsamplerate's band-limited sinc interpolators.
public enum Resampler {
    /// libsamplerate's converters, best first.
    public enum Quality: String, Sendable, CaseIterable {
        /// 97 dB SNR, 97% bandwidth; the slowest.
        case best
        /// 97 dB SNR, 90% bandwidth; several times faster than `best`.
        case medium
        /// 97 dB SNR, 80% bandwidth.
        case fastest

        var converter: Int32 {
            switch self {
            case .best: return Int32(SRC_SINC_BEST_QUALITY)
            case .medium: return Int32(SRC_SINC_MEDIUM_QUALITY)
            case .fastest: return Int32(SRC_SINC_FASTEST)
            }
        }
    }

    /// The most samples one resampled clip may hold: 2^26 (256 MiB of Float32, 35 minutes at 32 kHz).
    public static let maximumOutputCount = 1 << 26

    /// The number of samples `count` input samples become at `targetRate` from `sourceRate`.
    public static func outputCount(_ count: Int, from sourceRate: Int, to targetRate: Int) -> Int {
        Int((Double(count) * Double(targetRate) / Double(sourceRate)).rounded())
    }

    /// `samples` at `sourceRate` Hz converted to `targetRate` Hz: `[n] -> [round(n * target / source)]`.
    /// Rates that are not positive, or whose ratio lies outside libsamplerate's 1/256...256, are an
    /// `AudioError` naming both rates.
    public static func resample(_ samples: [Float], from sourceRate: Int, to targetRate: Int,
                                quality: Quality = .medium) throws -> [Float] {
        guard sourceRate > 0, targetRate > 0 else {
            throw AudioError("cannot resample from \(sourceRate) Hz to \(targetRate) Hz: sample rates must be positive")
        }
        if sourceRate == targetRate || samples.isEmpty { return samples }
        let ratio = Double(targetRate) / Double(sourceRate)
        guard src_is_valid_ratio(ratio) != 0 else {
            throw AudioError("cannot resample from \(sourceRate) Hz to \(targetRate) Hz: the ratio \(ratio) lies outside libsamplerate's 1/256...256")
        }
        // Upsampling by up to 256 turns a file of a few megabytes into gigabytes; the output is
        // checked before it is allocated.
        let exact = Double(samples.count) * ratio
        guard exact <= Double(maximumOutputCount) else {
            throw AudioError("cannot resample \(samples.count) samples from \(sourceRate) Hz to \(targetRate) Hz: that makes \(Int(exact.rounded())) samples (\(Int(exact * 4 / 1_048_576)) MiB), more than the \(maximumOutputCount) (\(maximumOutputCount * 4 / 1_048_576) MiB) one clip may hold")
        }
        let expected = outputCount(samples.count, from: sourceRate, to: targetRate)
        // A little slack: src_simple may produce a frame more than the rounded count.
        var output = [Float](repeating: 0, count: expected + 16)
        var produced = 0
        let status: Int32 = samples.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                var data = SRC_DATA()
                data.data_in = input.baseAddress
                data.input_frames = Int(input.count)
                data.data_out = out.baseAddress
                data.output_frames = Int(out.count)
                data.src_ratio = ratio
                data.end_of_input = 1
                let status = src_simple(&data, quality.converter, 1)
                produced = Int(data.output_frames_gen)
                return status
            }
        }
        guard status == 0 else {
            throw AudioError("libsamplerate could not convert \(sourceRate) Hz to \(targetRate) Hz: \(String(cString: src_strerror(status)))")
        }
        // The converter stops a few frames short or long of the exact count; fix the length so
        // that equal inputs give equal-length outputs.
        if produced < expected {
            output.replaceSubrange(produced..<output.count, with: repeatElement(0, count: expected - produced))
        } else {
            output.removeLast(output.count - expected)
        }
        return output
    }
}

extension AudioFile {
    /// The clip converted to `rate` Hz (itself when it is already at that rate).
    public func resampled(to rate: Int, quality: Resampler.Quality = .medium) throws -> AudioFile {
        AudioFile(samples: try Resampler.resample(samples, from: sampleRate, to: rate, quality: quality), sampleRate: rate)
    }
}

/// A problem with audio parameters (a rate, a length, a transform size): what was asked and why
/// it cannot be done.
public struct AudioError: Error, LocalizedError, CustomStringConvertible, Equatable {
    /// What went wrong, naming the values involved.
    public var message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
