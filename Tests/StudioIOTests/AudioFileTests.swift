import Foundation
import StudioIO
import XCTest

/// A committed fixture made by Fixtures/make_audio_fixtures.py.
func audioFixture(_ name: String) throws -> URL {
    let url = try XCTUnwrap(Bundle.module.resourceURL).appendingPathComponent("Fixtures/\(name)")
    XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), "missing fixture \(name)")
    return url
}

/// A sine of `frequency` Hz, `count` samples at `rate`.
func sine(_ frequency: Double, rate: Int, count: Int, amplitude: Float = 0.5) -> [Float] {
    (0..<count).map { amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
}

final class AudioFileTests: XCTestCase {
    private struct Expected: Decodable {
        let flacSampleRate: Int
        let flacMono: [Float]
    }

    func testReadsStereoFLACAsItsMonoMixdown() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: audioFixture("audio.json")))
        let clip = try AudioFile.read(from: audioFixture("stereo.flac"))
        XCTAssertEqual(clip.sampleRate, expected.flacSampleRate)
        XCTAssertEqual(clip.samples.count, expected.flacMono.count)
        for (a, b) in zip(clip.samples, expected.flacMono) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testReadsOggVorbis() throws {
        let clip = try AudioFile.read(from: audioFixture("mono.ogg"))
        XCTAssertEqual(clip.sampleRate, 16000)
        XCTAssertEqual(clip.samples.count, 1600)
        // A 0.5-amplitude sine has RMS 0.354; Vorbis is lossy, so only roughly.
        let rms = (clip.samples[200..<1400].reduce(0) { $0 + $1 * $1 } / 1200).squareRoot()
        XCTAssertEqual(rms, 0.3536, accuracy: 0.02)
    }

    func testBadFilesAreErrorsNamingThem() throws {
        for (name, words) in [("empty.wav", "no audio frames"), ("garbage.wav", "not a readable audio file"),
                              ("missing.wav", "does not exist")] {
            let url = try name == "missing.wav" ? makeTemporaryDirectory().appendingPathComponent(name) : audioFixture(name)
            XCTAssertThrowsError(try AudioFile.read(from: url), name) { error in
                let error = error as? FileFormatError
                XCTAssertEqual(error?.path, url.path)
                XCTAssertTrue(error?.problem.contains(words) == true, "\(String(describing: error))")
            }
        }
        XCTAssertThrowsError(try AudioFile.decode(Data("nope".utf8), name: "memory")) { error in
            XCTAssertEqual((error as? FileFormatError)?.path, "memory")
        }
    }

    func testFloatWAVRoundTripsExactly() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = AudioFile(samples: [0, 0.25, -1.5, 2, 1e-7, -0.3333], sampleRate: 8000)
        let url = directory.appendingPathComponent("float.wav")
        try clip.writeWAV(to: url, format: .float32)
        XCTAssertEqual(try AudioFile.read(from: url), clip)
        let quick = directory.appendingPathComponent("quick.wav")
        try clip.writeWAV(to: quick, format: .float32, durable: false)
        XCTAssertEqual(try AudioFile.read(from: quick), clip)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["float.wav", "quick.wav"])
    }

    func testPCM16ClipsInsteadOfWrapping() throws {
        let clip = AudioFile(samples: [0, 0.5, -0.5, 1.5, -1.5, 1.0001], sampleRate: 16000)
        let decoded = try AudioFile.decode(clip.encodedWAV(format: .pcm16))
        XCTAssertEqual(decoded.sampleRate, 16000)
        let expected: [Float] = [0, 0.5, -0.5, 1, -1, 1]
        for (a, b) in zip(decoded.samples, expected) { XCTAssertEqual(a, b, accuracy: 1.0 / 16384) }
        XCTAssertEqual(decoded.samples.count, 6)
    }

    func testWritingIntoAMissingFolderIsAClearErrorAndWritesNothing() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("no/such/folder/clip.wav")
        XCTAssertThrowsError(try AudioFile(samples: [0, 1], sampleRate: 8000).writeWAV(to: url)) { error in
            XCTAssertEqual((error as? FileFormatError)?.path, url.path)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testConcatenatingSeparatesClipsWithSilence() {
        let joined = AudioFile.concatenating([[1, 1], [2], [3, 3, 3]], sampleRate: 8, silence: 0.25)
        XCTAssertEqual(joined.samples, [1, 1, 0, 0, 2, 0, 0, 3, 3, 3])
        XCTAssertEqual(joined.sampleRate, 8)
        XCTAssertEqual(AudioFile.concatenating([], sampleRate: 8).samples, [])
    }

    func testSplittingClipsUndoesConcatenating() throws {
        let clips: [[Float]] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
        let joined = AudioFile.concatenating(clips, sampleRate: 8)
        let split = try XCTUnwrap(joined.splittingClips(length: 3))
        XCTAssertEqual(split.map(\.samples), clips)
        XCTAssertEqual(split.map(\.sampleRate), [8, 8, 8])
        XCTAssertNil(joined.splittingClips(length: 4), "9 samples and 2 gaps are no clips of 4")
        XCTAssertNil(joined.splittingClips(length: 0))
    }

    func testKnowsCommonExtensions() {
        XCTAssertTrue(AudioFile.readableExtensions.isSuperset(of: ["wav", "flac", "ogg", "aiff"]), "\(AudioFile.readableExtensions.sorted())")
        XCTAssertFalse(AudioFile.readableExtensions.contains("txt"))
    }
}

final class SilenceTrimmingTests: XCTestCase {
    func testTrimsQuietEndsByFrameEnergy() {
        let tone = sine(1000, rate: 1000, count: 30, amplitude: 0).enumerated().map { Float($0.offset % 2 == 0 ? 0.5 : -0.5) }
        let samples = [Float](repeating: 0.001, count: 25) + tone + [Float](repeating: 0, count: 17)
        let trimmed = AudioFile(samples: samples, sampleRate: 1000).trimmingSilence(thresholdDecibels: 40, frameLength: 10)
        // Frames are 10 samples: the tone spans frames 2 (partly), 3, 4 and 5 (partly).
        XCTAssertEqual(trimmed.samples, Array(samples[20..<60]))
        XCTAssertEqual(AudioFile(samples: [0, 0, 0], sampleRate: 8).trimmingSilence().samples, [])
        // A quieter threshold keeps the 0.001 lead-in (-54 dB below the tone).
        XCTAssertEqual(AudioFile(samples: samples, sampleRate: 1000).trimmingSilence(thresholdDecibels: 60, frameLength: 10).samples.count, 60)
    }
}
