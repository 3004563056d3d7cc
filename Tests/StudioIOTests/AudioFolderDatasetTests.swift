import Foundation
import StudioCore
import StudioIO
import XCTest

final class AudioFolderDatasetTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    private func write(_ samples: [Float], rate: Int = 8000, to relative: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AudioFile(samples: samples, sampleRate: rate).writeWAV(to: url, format: .float32)
    }

    func testLabelsFromSortedFolderNamesCentringAndSkippedFiles() throws {
        try write([1, 2, 3, 4, 5, 6], to: "zebra/long.wav")             // trimmed to the middle four
        try write([7, 8], to: "apple/short.wav")                         // padded on both sides
        try write([9], to: "apple/deeper/one.wav")                       // nested: still class "apple"
        try Data("not audio".utf8).write(to: root.appendingPathComponent("zebra/broken.wav"))
        try Data("notes".utf8).write(to: root.appendingPathComponent("zebra/readme.txt"))
        try Data("x".utf8).write(to: root.appendingPathComponent("zebra/.hidden.wav"))

        let set = try AudioFolderDataset.load(from: root, sampleRate: 8000, clipLength: 4)
        XCTAssertEqual(set.classNames, ["apple", "zebra"])
        XCTAssertEqual(set.files, ["apple/deeper/one.wav", "apple/short.wav", "zebra/long.wav"])
        XCTAssertEqual(set.labels, [0, 0, 1])
        XCTAssertEqual(set.tensor.shape, [3, 1, 4])
        XCTAssertEqual(set.tensor.scalars, [0, 9, 0, 0, /**/ 0, 7, 8, 0, /**/ 2, 3, 4, 5])
        XCTAssertEqual(set.skipped.map(\.path), [root.appendingPathComponent("zebra/broken.wav").path])
        XCTAssertTrue(set.skipped[0].reason.contains("not a readable audio file"))
        XCTAssertEqual(set.batch([2, 0]).scalars, [2, 3, 4, 5, 0, 9, 0, 0])
    }

    func testMixesDownAndResamples() throws {
        let flac = try audioFixture("stereo.flac")   // 1000 frames at 22050 Hz
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: flac, to: root.appendingPathComponent("a/stereo.flac"))
        try write(sine(440, rate: 16000, count: 400), rate: 16000, to: "b/tone.wav")
        let set = try AudioFolderDataset.load(from: root, sampleRate: 8000, clipLength: 400)
        let direct = try AudioFile.read(from: flac).resampled(to: 8000)
        XCTAssertEqual(direct.samples.count, 363)
        XCTAssertEqual(Array(set.samples[18..<381]), direct.samples)
        XCTAssertEqual(set.samples[0..<18].allSatisfy { $0 == 0 }, true)
        XCTAssertEqual(set.labels, [0, 1])
        XCTAssertEqual(set.sampleRate, 8000)
    }

    func testUnlabelledFolder() throws {
        try write([1], to: "a.wav")
        try write([2], to: "b.wav")
        let set = try AudioFolderDataset.load(from: root, sampleRate: 8000, clipLength: 1)
        XCTAssertEqual(set.labels, [])
        XCTAssertEqual(set.classNames, [])
        XCTAssertEqual(set.samples, [1, 2])
    }

    func testFoldersWithoutDecodableAudioAreErrors() throws {
        XCTAssertThrowsError(try AudioFolderDataset.load(from: root, sampleRate: 8000, clipLength: 4)) { error in
            XCTAssertEqual((error as? FileFormatError)?.path, root.path)
            XCTAssertTrue("\(error)".contains("no audio files"), "\(error)")
        }
        try Data("bad".utf8).write(to: root.appendingPathComponent("x.flac"))
        XCTAssertThrowsError(try AudioFolderDataset.load(from: root, sampleRate: 8000, clipLength: 4)) { error in
            XCTAssertTrue("\(error)".contains("none could be decoded") && "\(error)".contains("x.flac"), "\(error)")
        }
        let missing = root.appendingPathComponent("missing")
        XCTAssertThrowsError(try AudioFolderDataset.load(from: missing, sampleRate: 8000, clipLength: 4)) { error in
            XCTAssertEqual((error as? FileFormatError)?.path, missing.path)
        }
    }

    /// Issue 20 item 6: a float WAV with one NaN or infinite sample is left out and named, never trained on.
    func testFloatFilesWithNaNOrInfiniteSamplesAreLeftOutAndNamed() throws {
        try write([0.1, 0.2, 0.3, 0.4], to: "a/good.wav")
        try write([0.1, .nan, 0.3, 0.4], to: "a/nan.wav")
        try write([0.1, 0.2, -.infinity, 0.4], to: "b/infinite.wav")
        try write([0.5, 0.6], to: "b/good.wav")
        let set = try AudioFolderDataset.load(from: root, sampleRate: 8000, clipLength: 4)
        XCTAssertEqual(set.files, ["a/good.wav", "b/good.wav"])
        XCTAssertEqual(set.labels, [0, 1])
        XCTAssertTrue(set.samples.allSatisfy(\.isFinite))
        XCTAssertEqual(set.skipped.map(\.path), ["b/infinite.wav", "a/nan.wav"].map { root.appendingPathComponent($0).path }.sorted())
        let reasons = Dictionary(uniqueKeysWithValues: set.skipped.map { ($0.path, $0.reason) })
        XCTAssertEqual(reasons[root.appendingPathComponent("a/nan.wav").path], "sample 1 is nan; only finite samples can be trained on")
        XCTAssertEqual(reasons[root.appendingPathComponent("b/infinite.wav").path], "sample 2 is -inf; only finite samples can be trained on")
        // A folder whose only file holds a NaN is as unusable as one that cannot be decoded.
        try FileManager.default.removeItem(at: root.appendingPathComponent("a/good.wav"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("b"))
        XCTAssertThrowsError(try AudioFolderDataset.load(from: root, sampleRate: 8000, clipLength: 4)) { error in
            XCTAssertTrue("\(error)".contains("nan.wav") && "\(error)".contains("sample 1 is nan"), "\(error)")
        }
    }

    func testAFileBesideClassFoldersIsAnError() throws {
        try write([1], to: "one/a.wav")
        try write([1], to: "loose.wav")
        XCTAssertThrowsError(try AudioFolderDataset.load(from: root, sampleRate: 8000, clipLength: 4)) { error in
            XCTAssertEqual((error as? FileFormatError)?.path, root.appendingPathComponent("loose.wav").path)
        }
    }

    func testBadRatesAndLengthsAreErrors() throws {
        try write([1], to: "a.wav")
        XCTAssertThrowsError(try AudioFolderDataset.load(from: root, sampleRate: 8000, clipLength: 0))
        XCTAssertThrowsError(try AudioFolderDataset.load(from: root, sampleRate: 8_000_000, clipLength: 4)) { error in
            // The resampler's refusal is reported per file, and then the folder has nothing usable.
            XCTAssertTrue("\(error)".contains("1/256"), "\(error)")
        }
    }

    func testCentred() {
        XCTAssertEqual(AudioFolderDataset.centred([1, 2, 3], length: 6), [0, 1, 2, 3, 0, 0])
        XCTAssertEqual(AudioFolderDataset.centred([1, 2, 3, 4, 5], length: 2), [2, 3])
        XCTAssertEqual(AudioFolderDataset.centred([], length: 2), [0, 0])
    }
}
