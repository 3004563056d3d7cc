import CFFTW
import Foundation
import StudioIO

/// A complex short-time Fourier transform: `binCount` one-sided frequency bins by `frameCount`
/// frames, row-major `[binCount, frameCount]` as `torch.stft(..., return_complex=True)` lays it out.
public struct ComplexSpectrogram: Equatable, Sendable {
    /// `fftSize / 2 + 1`.
    public var binCount: Int
    /// The number of analysis frames.
    public var frameCount: Int
    /// Real parts, `[binCount, frameCount]`.
    public var real: [Float]
    /// Imaginary parts, `[binCount, frameCount]`.
    public var imaginary: [Float]

    /// A spectrogram of `binCount` by `frameCount` from its real and imaginary parts.
    public init(binCount: Int, frameCount: Int, real: [Float], imaginary: [Float]) {
        precondition(real.count == binCount * frameCount && imaginary.count == real.count,
                     "ComplexSpectrogram: \(real.count) and \(imaginary.count) values for \(binCount)x\(frameCount)")
        self.binCount = binCount
        self.frameCount = frameCount
        self.real = real
        self.imaginary = imaginary
    }

    /// The magnitudes `|X|`, `[binCount, frameCount]`.
    public var magnitude: [Float] {
        zip(real, imaginary).map { ($0 * $0 + $1 * $1).squareRoot() }
    }
}

/// The short-time Fourier transform and its inverse through FFTW, with a periodic Hann window of
/// `fftSize` samples and torch.stft's conventions: `center=True` with reflect padding, one-sided,
/// unnormalised. Plans are made once per instance and reused; the instance may be shared by threads.
public final class STFT: @unchecked Sendable {
    /// The FFT length and window length in samples.
    public let fftSize: Int
    /// Samples between frame starts.
    public let hopLength: Int
    /// The periodic Hann window, `torch.hann_window(fftSize)`.
    public let window: [Float]
    /// `fftSize / 2 + 1`.
    public var binCount: Int { fftSize / 2 + 1 }

    private let forwardPlan: fftwf_plan
    private let inversePlan: fftwf_plan

    /// FFTW's planner keeps global state; every planner call in the process goes through this lock.
    static let plannerLock = NSLock()

    /// A transform of `fftSize` (even, at least 4) samples per frame moving `hopLength` (1...fftSize)
    /// samples per frame; other values are an `AudioError`.
    public init(fftSize: Int, hopLength: Int) throws {
        guard fftSize >= 4, fftSize % 2 == 0 else { throw AudioError("STFT size \(fftSize) must be even and at least 4") }
        guard hopLength >= 1, hopLength <= fftSize else {
            throw AudioError("STFT hop length \(hopLength) must lie in 1...\(fftSize) (the FFT size)")
        }
        self.fftSize = fftSize
        self.hopLength = hopLength
        window = (0..<fftSize).map { 0.5 - 0.5 * Float(cos(2 * Double.pi * Double($0) / Double(fftSize))) }
        // FFTW_ESTIMATE never touches the arrays it plans with, so scratch buffers suffice; they must
        // come from fftwf_malloc so that later buffers share their alignment.
        let real = fftwf_malloc(MemoryLayout<Float>.stride * fftSize)!.assumingMemoryBound(to: Float.self)
        let complex = fftwf_malloc(MemoryLayout<fftwf_complex>.stride * (fftSize / 2 + 1))!.assumingMemoryBound(to: fftwf_complex.self)
        defer { fftwf_free(real); fftwf_free(complex) }
        STFT.plannerLock.lock()
        defer { STFT.plannerLock.unlock() }
        forwardPlan = fftwf_plan_dft_r2c_1d(Int32(fftSize), real, complex, FFTW_ESTIMATE)
        inversePlan = fftwf_plan_dft_c2r_1d(Int32(fftSize), complex, real, FFTW_ESTIMATE)
    }

    deinit {
        STFT.plannerLock.lock()
        fftwf_destroy_plan(forwardPlan)
        fftwf_destroy_plan(inversePlan)
        STFT.plannerLock.unlock()
    }

    /// The number of frames a signal of `length` samples gives: `1 + length / hopLength`.
    public func frameCount(forLength length: Int) -> Int { 1 + length / hopLength }

    /// The transform of `signal` (`[L] -> [fftSize/2 + 1, 1 + L/hop]`), as `torch.stft(signal,
    /// fftSize, hopLength, window=torch.hann_window(fftSize), center=True, pad_mode="reflect",
    /// return_complex=True)`. Reflect padding needs more than `fftSize / 2` samples: shorter
    /// signals are an `AudioError`.
    public func forward(_ signal: [Float]) throws -> ComplexSpectrogram {
        let pad = fftSize / 2
        guard signal.count > pad else {
            throw AudioError("STFT of \(signal.count) samples: needs more than \(pad) (half of the FFT size \(fftSize)) for reflect padding")
        }
        var padded = [Float](repeating: 0, count: signal.count + 2 * pad)
        for i in 0..<padded.count {
            var j = i - pad
            if j < 0 { j = -j } else if j >= signal.count { j = 2 * (signal.count - 1) - j }
            padded[i] = signal[j]
        }
        let frames = frameCount(forLength: signal.count)
        let bins = binCount
        var real = [Float](repeating: 0, count: bins * frames)
        var imaginary = real
        let input = fftwf_malloc(MemoryLayout<Float>.stride * fftSize)!.assumingMemoryBound(to: Float.self)
        let output = fftwf_malloc(MemoryLayout<fftwf_complex>.stride * bins)!.assumingMemoryBound(to: fftwf_complex.self)
        defer { fftwf_free(input); fftwf_free(output) }
        for frame in 0..<frames {
            let start = frame * hopLength
            for i in 0..<fftSize { input[i] = padded[start + i] * window[i] }
            fftwf_execute_dft_r2c(forwardPlan, input, output)
            for bin in 0..<bins {
                real[bin * frames + frame] = output[bin].0
                imaginary[bin * frames + frame] = output[bin].1
            }
        }
        return ComplexSpectrogram(binCount: bins, frameCount: frames, real: real, imaginary: imaginary)
    }

    /// The signal whose transform is `spectrogram` (`[fftSize/2 + 1, T] -> [length]`), as
    /// `torch.istft(..., center=True, length=length)`: windowed overlap-add divided by the summed
    /// squared window. `length` defaults to `hopLength * (T - 1)`.
    public func inverse(_ spectrogram: ComplexSpectrogram, length: Int? = nil) throws -> [Float] {
        guard spectrogram.binCount == binCount else {
            throw AudioError("inverse STFT: spectrogram has \(spectrogram.binCount) bins, expected \(binCount) for FFT size \(fftSize)")
        }
        let frames = spectrogram.frameCount
        guard frames > 0 else { throw AudioError("inverse STFT: spectrogram has no frames") }
        let pad = fftSize / 2
        let fullLength = fftSize + hopLength * (frames - 1)
        let length = length ?? (fullLength - 2 * pad)
        guard length >= 0 else { throw AudioError("inverse STFT: negative length \(length)") }
        var sum = [Float](repeating: 0, count: max(fullLength, length + 2 * pad))
        var windowSum = sum
        let input = fftwf_malloc(MemoryLayout<fftwf_complex>.stride * binCount)!.assumingMemoryBound(to: fftwf_complex.self)
        let output = fftwf_malloc(MemoryLayout<Float>.stride * fftSize)!.assumingMemoryBound(to: Float.self)
        defer { fftwf_free(input); fftwf_free(output) }
        let scale = 1 / Float(fftSize)
        for frame in 0..<frames {
            for bin in 0..<binCount {
                input[bin] = (spectrogram.real[bin * frames + frame], spectrogram.imaginary[bin * frames + frame])
            }
            // A real signal's DC and Nyquist bins are real; irfft ignores their imaginary parts.
            input[0].1 = 0
            input[binCount - 1].1 = 0
            fftwf_execute_dft_c2r(inversePlan, input, output)
            let start = frame * hopLength
            for i in 0..<fftSize {
                sum[start + i] += output[i] * scale * window[i]
                windowSum[start + i] += window[i] * window[i]
            }
        }
        var signal = [Float](repeating: 0, count: length)
        for i in 0..<length {
            let w = windowSum[pad + i]
            // Where no window overlaps (the padded ends of a short signal), torch would raise; zero is
            // the only value consistent with every frame.
            signal[i] = w > 1e-11 ? sum[pad + i] / w : 0
        }
        return signal
    }
}
