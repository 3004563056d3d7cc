import Foundation
import StudioAudio
import StudioCore
import StudioIO
import XCTest

/// stft.json, written by Fixtures/make_fixtures.py with torch.stft / torch.istft.
struct STFTFixture: Decodable {
    struct Case: Decodable {
        let fftSize: Int
        let hopLength: Int
        let signal: [Float]
        let real: [Float]
        let imaginary: [Float]
        let bins: Int
        let frames: Int
        let otherReal: [Float]
        let otherImaginary: [Float]
        let inverse: [Float]
    }
    let torchVersion: String
    let cases: [Case]

    static func load() throws -> STFTFixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "stft", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(STFTFixture.self, from: Data(contentsOf: url))
    }
}

final class STFTTests: XCTestCase {
    func testForwardMatchesTorchSTFT() throws {
        for c in try STFTFixture.load().cases {
            let stft = try STFT(fftSize: c.fftSize, hopLength: c.hopLength)
            let spectrum = try stft.forward(c.signal)
            XCTAssertEqual(spectrum.binCount, c.bins)
            XCTAssertEqual(spectrum.frameCount, c.frames)
            for i in 0..<c.real.count {
                XCTAssertEqual(spectrum.real[i], c.real[i], accuracy: 1e-4, "n_fft \(c.fftSize) real \(i)")
                XCTAssertEqual(spectrum.imaginary[i], c.imaginary[i], accuracy: 1e-4, "n_fft \(c.fftSize) imag \(i)")
            }
        }
    }

    func testInverseMatchesTorchISTFT() throws {
        for c in try STFTFixture.load().cases {
            let stft = try STFT(fftSize: c.fftSize, hopLength: c.hopLength)
            let other = ComplexSpectrogram(binCount: c.bins, frameCount: c.frames, real: c.otherReal, imaginary: c.otherImaginary)
            let signal = try stft.inverse(other, length: c.signal.count)
            XCTAssertEqual(signal.count, c.inverse.count)
            for (a, b) in zip(signal, c.inverse) { XCTAssertEqual(a, b, accuracy: 1e-4, "n_fft \(c.fftSize)") }
            // The transform of a real signal inverts exactly.
            let roundTrip = try stft.inverse(stft.forward(c.signal), length: c.signal.count)
            for (a, b) in zip(roundTrip, c.signal) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    func testBadParametersAreErrors() throws {
        XCTAssertThrowsError(try STFT(fftSize: 7, hopLength: 2))
        XCTAssertThrowsError(try STFT(fftSize: 8, hopLength: 0))
        XCTAssertThrowsError(try STFT(fftSize: 8, hopLength: 9))
        let stft = try STFT(fftSize: 16, hopLength: 4)
        XCTAssertThrowsError(try stft.forward([Float](repeating: 0, count: 8))) { error in
            XCTAssertTrue("\(error)".contains("reflect padding"), "\(error)")
        }
        let wrong = ComplexSpectrogram(binCount: 5, frameCount: 2, real: .init(repeating: 0, count: 10), imaginary: .init(repeating: 0, count: 10))
        XCTAssertThrowsError(try stft.inverse(wrong))
    }

    func testSharedAcrossThreadsGivesTheSameAnswer() throws {
        let signal = (0..<256).map { Float(sin(Double($0) * 0.3)) }
        let stft = try STFT(fftSize: 32, hopLength: 8)
        let reference = try stft.forward(signal)
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 8)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            // Planning in other threads at the same time exercises the planner lock.
            let own = try? STFT(fftSize: 64 + 2 * i, hopLength: 16)
            results[i] = (try? stft.forward(signal)) == reference && own != nil
        }
        XCTAssertTrue(results.allSatisfy { $0 })
    }
}
