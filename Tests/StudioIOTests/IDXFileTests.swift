import Foundation
import XCTest
import StudioCore
@testable import StudioIO

final class IDXFileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testRawAndGzipRoundTrip() throws {
        let images = IDXFile(elementType: .uint8, shape: [2, 2, 3], values: [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255])
        for name in ["images-idx3-ubyte", "images-idx3-ubyte.gz"] {
            let url = directory.appendingPathComponent(name)
            try images.write(to: url)
            XCTAssertEqual(try IDXFile.read(from: url), images)
        }
        let gz = try Data(contentsOf: directory.appendingPathComponent("images-idx3-ubyte.gz"))
        XCTAssertTrue(Gzip.isCompressed(gz))
        let floats = IDXFile(elementType: .float32, shape: [3], values: [0.5, -1, 3e9])
        let url = directory.appendingPathComponent("floats.idx")
        try floats.write(to: url)
        XCTAssertEqual(try IDXFile.read(from: url), floats)
    }

    func testHeaderIsBigEndianMNISTLayout() {
        let labels = IDXFile(elementType: .uint8, shape: [3], values: [7, 2, 1])
        XCTAssertEqual([UInt8](labels.encoded()), [0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])
    }

    private func assertRejected(_ bytes: [UInt8], mentioning phrase: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try IDXFile.decode(Data(bytes), path: "train-images"), file: file, line: line) { error in
            XCTAssertTrue("\(error)".hasPrefix("train-images: ") && "\(error)".contains(phrase),
                          "\(error) should mention \(phrase)", file: file, line: line)
        }
    }

    func testCorruptHeadersAreNamed() {
        assertRejected([0, 0], mentioning: "shorter than the 4-byte")
        assertRejected([0x50, 0x4B, 3, 4], mentioning: "not an IDX file")
        assertRejected([0, 0, 0x07, 1, 0, 0, 0, 1, 9], mentioning: "byte 2: unknown IDX element type 0x07")
        assertRejected([0, 0, 8, 3, 0, 0], mentioning: "truncated")
        assertRejected([0, 0, 8, 1, 0, 0, 0, 4, 1, 2], mentioning: "only 2 are there: truncated")
        assertRejected([0, 0, 8, 1, 0, 0, 0, 1, 1, 2], mentioning: "1 extra bytes")
    }

    func testTruncatedAndCorruptGzipAreNamed() throws {
        let images = IDXFile(elementType: .uint8, shape: [100, 10], values: (0..<1000).map { Float($0 % 256) })
        let gz = Gzip.compress(images.encoded())
        let truncated = directory.appendingPathComponent("cut.gz")
        try gz.prefix(gz.count / 2).write(to: truncated)
        XCTAssertThrowsError(try IDXFile.read(from: truncated)) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        var corrupt = gz
        for i in 12..<40 { corrupt[i] ^= 0x5A }
        let bad = directory.appendingPathComponent("bad.gz")
        try corrupt.write(to: bad)
        XCTAssertThrowsError(try IDXFile.read(from: bad)) { XCTAssertTrue("\($0)".contains("bad.gz"), "\($0)") }
        XCTAssertThrowsError(try IDXFile.read(from: directory.appendingPathComponent("absent"))) {
            XCTAssertTrue("\($0)".contains("no such file"), "\($0)")
        }
    }
}
