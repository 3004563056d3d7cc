import Foundation
import StudioIO
import XCTest

final class ResamplerTests: XCTestCase {
    private func rms(_ x: ArraySlice<Float>) -> Float { (x.reduce(0) { $0 + $1 * $1 } / Float(x.count)).squareRoot() }

    func testUpsamplingASineMatchesTheSineAtTheNewRate() throws {
        let input = sine(440, rate: 8000, count: 800)
        let output = try Resampler.resample(input, from: 8000, to: 16000, quality: .best)
        XCTAssertEqual(output.count, 1600)
        let exact = sine(440, rate: 16000, count: 1600)
        // Away from the ends, where the filter sees zeros beyond the signal.
        for i in 200..<1400 { XCTAssertEqual(output[i], exact[i], accuracy: 2e-3, "sample \(i)") }
    }

    func testDownsamplingKeepsTonesBelowNyquistAndRemovesThoseAbove() throws {
        let low = try Resampler.resample(sine(3000, rate: 44100, count: 4410), from: 44100, to: 16000)
        let high = try Resampler.resample(sine(11000, rate: 44100, count: 4410), from: 44100, to: 16000)
        XCTAssertEqual(low.count, 1600)
        XCTAssertEqual(rms(low[200..<1400]), 0.3536, accuracy: 0.005)
        // 11 kHz is above 8 kHz: a naive decimator would alias it to 5 kHz at full strength.
        XCTAssertLessThan(rms(high[200..<1400]), 0.01)
    }

    func testOutputLengthIsTheRoundedRatio() throws {
        for (count, from, to) in [(1001, 22050, 16000), (7, 16000, 8000), (1, 8000, 44100)] {
            let out = try Resampler.resample([Float](repeating: 0.1, count: count), from: from, to: to, quality: .fastest)
            XCTAssertEqual(out.count, Resampler.outputCount(count, from: from, to: to))
        }
        XCTAssertEqual(try Resampler.resample([1, 2, 3], from: 8000, to: 8000), [1, 2, 3])
    }

    func testRatiosLibsamplerateCannotConvertAreClearErrors() {
        XCTAssertThrowsError(try Resampler.resample([0, 1], from: 100, to: 44100)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("100 Hz") && message.contains("44100 Hz") && message.contains("1/256"), message)
        }
        XCTAssertThrowsError(try Resampler.resample([0, 1], from: 0, to: 8000)) { error in
            XCTAssertTrue("\(error)".contains("positive"))
        }
        XCTAssertThrowsError(try AudioFile(samples: [0, 1], sampleRate: 48000).resampled(to: 100))
    }

    /// A short file at a low rate, upsampled 250 times, would make gigabytes: refused before allocating.
    func testAnOutputOverTheClipLimitIsRefusedBeforeAllocating() {
        let input = [Float](repeating: 0.5, count: Resampler.maximumOutputCount / 250 + 1)
        XCTAssertThrowsError(try Resampler.resample(input, from: 32, to: 8000)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("\(input.count) samples from 32 Hz to 8000 Hz") && message.contains("MiB"), message)
        }
    }
}
