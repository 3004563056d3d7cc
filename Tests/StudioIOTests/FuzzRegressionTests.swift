import Foundation
@testable import StudioIO
import XCTest

/// Inputs the fuzzers of Fuzz/ found (docs/fuzzing.md), kept under Fixtures/fuzz-regressions/: each
/// must give a clean error naming the file, or a value, quickly and without a large allocation.
final class FuzzRegressionTests: XCTestCase {
    private func regression(_ name: String) throws -> URL {
        try audioFixture("fuzz-regressions/\(name)")
    }

    /// WAVs of 134 and 145 bytes whose INFO or LIST chunk declares 4 GB kept libsndfile 1.2 busy for minutes.
    func testAChunkLongerThanTheFileIsRefusedBeforeLibsndfileParsesIt() throws {
        for (name, words) in [
            ("wav-info-chunk-past-end.wav", "RIFF chunk 'INFO' at byte 12 declares 4294929779 bytes, but the file ends 114 bytes later"),
            ("wav-list-chunk-past-end.wav", "RIFF chunk 'LIST' at byte 36 declares 4294927470 bytes, but the file ends 101 bytes later"),
        ] {
            let url = try regression(name)
            let started = Date()
            for read in [{ try AudioFile.read(from: url) }, { try AudioFile.decode(Data(contentsOf: url), name: url.path) }] {
                XCTAssertThrowsError(try read(), name) { error in
                    let error = error as? FileFormatError
                    XCTAssertEqual(error?.path, url.path)
                    XCTAssertTrue(error?.problem.contains(words) == true, "\(String(describing: error))")
                }
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 5, name)
        }
    }

    /// Streaming writers leave the data chunk's size at 0xFFFFFFFF: such a file still reads.
    func testAStreamedWAVWithAnOpenEndedDataChunkStillReads() throws {
        let clip = AudioFile(samples: [0, 0.5, -0.5, 0.25], sampleRate: 8000)
        var bytes = [UInt8](try clip.encodedWAV(format: .float32))
        let data = try XCTUnwrap((12..<bytes.count - 4).first { bytes[$0..<$0 + 4].elementsEqual("data".utf8) })
        for offset in [4, data + 4] { bytes.replaceSubrange(offset..<offset + 4, with: [0xFF, 0xFF, 0xFF, 0xFF]) }
        XCTAssertEqual(try AudioFile.decode(Data(bytes), name: "streamed.wav"), clip)
    }

    /// A 44-byte PNG whose iTXt chunk declares 1 GB made libpng allocate it (1.1 GB resident, 15 s)
    /// before its error.
    func testAPNGChunkLongerThanTheFileIsRefusedBeforeLibpngAllocatesIt() throws {
        let url = try regression("png-itxt-chunk-past-end.png")
        for channels in [1, 3] {
            XCTAssertThrowsError(try PNGImage.read(from: url, channels: channels)) { error in
                let error = error as? FileFormatError
                XCTAssertEqual(error?.path, url.path)
                XCTAssertEqual(error?.problem, "PNG chunk 'iTXt' at byte 33 declares 1056964637 bytes, but only 0 follow it (before its CRC): corrupt or truncated")
            }
        }
    }

    /// A 178-byte FLAC whose STREAMINFO declares 1.28e9 frames made the reader reserve 5 GB up front.
    func testADeclaredFrameCountDoesNotDecideTheAllocation() throws {
        XCTAssertEqual(AudioFile.framesToReserve(declared: 1_281_442_568), 1 << 20)
        XCTAssertEqual(AudioFile.framesToReserve(declared: 16000), 16000)
        XCTAssertEqual(AudioFile.framesToReserve(declared: -1), 0)
        let url = try regression("flac-declares-1e9-frames.flac")
        XCTAssertThrowsError(try AudioFile.read(from: url)) { error in
            XCTAssertEqual((error as? FileFormatError)?.path, url.path, "\(error)")
        }
    }
}
