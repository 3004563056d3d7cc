import Foundation
import StudioAudio
import StudioCore
import StudioIO
import XCTest

/// A linear chirp from `start` to `end` Hz over `count` samples at `rate`.
func chirp(from start: Double, to end: Double, rate: Int, count: Int) -> [Float] {
    let duration = Double(count) / Double(rate)
    return (0..<count).map { n in
        let t = Double(n) / Double(rate)
        return 0.5 * Float(sin(2 * Double.pi * (start * t + (end - start) * t * t / (2 * duration))))
    }
}

final class SpectrogramTests: XCTestCase {
    func testScaleMapsToUnitRangeAndBack() {
        let scale = SpectrogramScale.standard(fftSize: 256)
        XCTAssertEqual(scale.maximumDecibels, 20 * log10(128), accuracy: 1e-4)
        XCTAssertEqual(scale.value(ofMagnitude: 128), 1, accuracy: 1e-5)
        XCTAssertEqual(scale.value(ofMagnitude: 1e6), 1)
        XCTAssertEqual(scale.value(ofMagnitude: 0), -1)
        for m: Float in [0.01, 0.5, 3, 100] {
            XCTAssertEqual(scale.magnitude(ofValue: scale.value(ofMagnitude: m)), m, accuracy: m * 1e-4)
        }
        XCTAssertEqual(scale.value(ofMagnitude: scale.magnitude(ofValue: 0.25)), 0.25, accuracy: 1e-5)
    }

    func testLogMagnitudeImagesHaveImageShapes() throws {
        let stft = try STFT(fftSize: 16, hopLength: 4)
        let scale = SpectrogramScale.standard(fftSize: 16)
        let clips = Tensor(shape: [2, 1, 60], scalars: chirp(from: 100, to: 3000, rate: 8000, count: 120))
        let images = try stft.logMagnitudeImages(of: clips, scale: scale, dropsNyquist: true)
        XCTAssertEqual(images.shape, [2, 1, 8, 16])
        XCTAssertTrue(images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        let one = try stft.logMagnitudeImage(of: Array(clips.scalars[60..<120]), scale: scale)
        XCTAssertEqual(one.shape, [1, 9, 16])
        XCTAssertEqual(Array(one.scalars[0..<8 * 16]), Array(images.scalars[128..<256]))
        // Back to magnitudes: the Nyquist row comes back as zeros.
        let (magnitude, frames) = try stft.magnitudes(fromImage: Tensor(shape: [1, 8, 16], scalars: Array(images.scalars[128..<256])), scale: scale)
        XCTAssertEqual(frames, 16)
        XCTAssertEqual(magnitude.count, 9 * 16)
        let exact = try stft.forward(Array(clips.scalars[60..<120])).magnitude
        for i in 0..<(8 * 16) where exact[i] > 1e-3 { XCTAssertEqual(magnitude[i], exact[i], accuracy: exact[i] * 1e-3) }
        XCTAssertThrowsError(try stft.magnitudes(fromImage: Tensor(zeros: [1, 5, 16]), scale: scale))
        XCTAssertThrowsError(try stft.logMagnitudeImages(of: Tensor(zeros: [2, 60]), scale: scale))
    }

    func testGriffinLimReconstructsAChirp() throws {
        let stft = try STFT(fftSize: 128, hopLength: 32)
        let signal = chirp(from: 200, to: 3000, rate: 8000, count: 2048)
        let target = try stft.forward(signal).magnitude
        let frames = stft.frameCount(forLength: signal.count)
        let noisy = try GriffinLim.spectralConvergence(
            of: stft.inverse(ComplexSpectrogram(binCount: 65, frameCount: frames, real: target,
                                                imaginary: .init(repeating: 0, count: target.count)), length: 2048),
            to: target, stft: stft)
        let griffinLim = GriffinLim(stft: stft, iterations: 32)
        let rebuilt = try griffinLim.reconstruct(magnitude: target, frameCount: frames, length: signal.count, seed: 1)
        let convergence = try GriffinLim.spectralConvergence(of: rebuilt, to: target, stft: stft)
        XCTAssertLessThan(convergence, 0.1, "spectral convergence \(convergence); zero phase gives \(noisy)")
        XCTAssertLessThan(convergence, noisy / 3)
        // Same seed, same bytes; another seed, another start.
        XCTAssertEqual(try griffinLim.reconstruct(magnitude: target, frameCount: frames, length: signal.count, seed: 1), rebuilt)
        XCTAssertNotEqual(try griffinLim.reconstruct(magnitude: target, frameCount: frames, length: signal.count, seed: 2), rebuilt)
        XCTAssertThrowsError(try griffinLim.reconstruct(magnitude: target, frameCount: frames, length: 100, seed: 1))
    }

    func testGriffinLimFromAnImage() throws {
        let stft = try STFT(fftSize: 64, hopLength: 16)
        let scale = SpectrogramScale.standard(fftSize: 64)
        let signal = chirp(from: 300, to: 2500, rate: 8000, count: 1024)
        let image = try stft.logMagnitudeImage(of: signal, scale: scale, dropsNyquist: true)
        let waveform = try GriffinLim(stft: stft, iterations: 24).waveform(fromImage: image, scale: scale, length: 1024, seed: 3)
        XCTAssertEqual(waveform.count, 1024)
        let convergence = try GriffinLim.spectralConvergence(of: waveform, to: stft.forward(signal).magnitude, stft: stft)
        XCTAssertLessThan(convergence, 0.2)
    }
}
