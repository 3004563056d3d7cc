import Foundation
import XCTest
@testable import StudioIO

/// The JPEG decoder and the image resizer against what Pillow decodes and resizes
/// (`Fixtures/images/make_image_fixtures.py`).
final class JPEGImageTests: XCTestCase {
    private struct Resize: Decodable {
        var source: String
        var filter: String
        var width: Int
        var height: Int
        var pixels: [Int]
    }

    private struct Pattern: Decodable {
        var width: Int
        var height: Int
        var gray: [Int]
        var rgb: [Int]
    }

    private struct Photo: Decodable {
        var width: Int
        var height: Int
        var rgb: [Int]
    }

    private struct Fixture: Decodable {
        var photo: Photo
        var progressive_rgb: [Int]
        var gray_jpeg: [Int]
        var pattern: Pattern
        var resizes: [Resize]
    }

    private func fixtureURL(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/images/\(name)", withExtension: nil))
    }

    private func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: try fixtureURL("images.json")))
    }

    private func assertClose(_ actual: [UInt8], _ expected: [Int], tolerance: Int, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let worst = zip(actual, expected).map { abs(Int($0) - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): largest difference from Pillow", file: file, line: line)
    }

    func testBaselineAndProgressiveJPEGsDecodeAsPillowDecodesThem() throws {
        let expected = try fixture()
        let photo = try JPEGImage.read(from: try fixtureURL("photo.jpg"), channels: 3)
        XCTAssertEqual([photo.width, photo.height, photo.channels], [expected.photo.width, expected.photo.height, 3])
        assertClose(photo.pixels, expected.photo.rgb, tolerance: 1, "baseline RGB")
        let progressive = try JPEGImage.read(from: try fixtureURL("photo-progressive.jpg"), channels: 3)
        assertClose(progressive.pixels, expected.progressive_rgb, tolerance: 1, "progressive RGB")
    }

    func testGrayscaleJPEGsAndGrayOutputOfColourOnes() throws {
        let expected = try fixture()
        let gray = try JPEGImage.read(from: try fixtureURL("gray.jpg"), channels: 1)
        assertClose(gray.pixels, expected.gray_jpeg, tolerance: 1, "grayscale JPEG")
        let asRGB = try JPEGImage.read(from: try fixtureURL("gray.jpg"), channels: 3)
        XCTAssertEqual(asRGB.pixels.enumerated().filter { $0.offset % 3 == 0 }.map(\.element), gray.pixels, "gray repeated into R, G and B")
        // Luma of the colour photo: ITU-R 601 weights, as Pillow's convert("L") uses.
        let luma = try JPEGImage.read(from: try fixtureURL("photo.jpg"), channels: 1)
        let rgb = expected.photo.rgb
        let pillowLuma: [Int] = stride(from: 0, to: rgb.count, by: 3).map { i in
            let weighted: Int = rgb[i] * 299 + rgb[i + 1] * 587 + rgb[i + 2] * 114
            return (weighted + 500) / 1000
        }
        assertClose(luma.pixels, pillowLuma, tolerance: 2, "luma of a colour JPEG")
    }

    func testCMYKTruncatedAndNonJPEGFilesAreRefusedByName() throws {
        for (name, words) in [("cmyk.jpg", "CMYK"), ("truncated.jpg", "corrupt JPEG"), ("images.json", "not a readable JPEG")] {
            let url = try fixtureURL(name)
            XCTAssertThrowsError(try JPEGImage.read(from: url, channels: 3), name) { error in
                let error = error as? FileFormatError
                XCTAssertEqual(error?.path, url.path)
                XCTAssertTrue(error?.problem.contains(words) == true, "\(name): \(String(describing: error))")
            }
        }
    }

    func testAWarningPillowAlsoIgnoresKeepsTheImage() throws {
        let whole = try Data(contentsOf: try fixtureURL("photo.jpg"))
        XCTAssertEqual(Array(whole.suffix(2)), [0xFF, 0xD9])
        // Two stray bytes before the end-of-image marker: libjpeg warns of extraneous data.
        let padded = whole.prefix(whole.count - 2) + Data([0x12, 0x34, 0xFF, 0xD9])
        let image = try JPEGImage.decode(padded, channels: 3, path: "padded.jpg")
        XCTAssertEqual(image.pixels, try JPEGImage.read(from: try fixtureURL("photo.jpg"), channels: 3).pixels)
    }

    func testHugeDeclaredSizesAreRefusedBeforeAllocating() throws {
        var bytes = [UInt8](try Data(contentsOf: try fixtureURL("photo.jpg")))
        // The SOF0 segment: FF C0, length (2), precision (1), height (2), width (2).
        let sof = try XCTUnwrap((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes[sof + 5] = 0x4E; bytes[sof + 6] = 0x20   // height 20000
        bytes[sof + 7] = 0x4E; bytes[sof + 8] = 0x20   // width 20000
        XCTAssertThrowsError(try JPEGImage.decode(Data(bytes), channels: 1, path: "huge.jpg")) { error in
            XCTAssertTrue("\(error)".contains("20000 x 20000"), "\(error)")
        }
    }

    func testResizeMatchesPillowBoxAndBilinear() throws {
        let expected = try fixture()
        let pattern = expected.pattern
        XCTAssertEqual(expected.resizes.count, 16)
        for resize in expected.resizes {
            let channels = resize.source == "rgb" ? 3 : 1
            let source = PNGImage(width: pattern.width, height: pattern.height, channels: channels,
                                  pixels: (channels == 3 ? pattern.rgb : pattern.gray).map(UInt8.init))
            let filter = try XCTUnwrap(ImageResize.Filter(rawValue: resize.filter))
            let out = ImageResize.resized(source, width: resize.width, height: resize.height, filter: filter)
            XCTAssertEqual([out.width, out.height, out.channels], [resize.width, resize.height, channels])
            // Pillow rounds to bytes between its two passes; this keeps the first pass exact.
            assertClose(out.pixels, resize.pixels, tolerance: 1, "\(resize.source) \(resize.filter) to \(resize.width)x\(resize.height)")
        }
    }

    func testShrinkingByAnIntegerFactorAveragesBlocks() {
        // 4x2 -> 2x1 with the box filter: each output is the mean of a 2x2 block, by hand.
        let image = PNGImage(width: 4, height: 2, channels: 1, pixels: [0, 10, 100, 200, 20, 30, 50, 70])
        XCTAssertEqual(ImageResize.resized(image, width: 2, height: 1, filter: .box).pixels, [15, 105])
        // The triangle widened by 2 around 1.0 and 3.0 weighs three pixels 3/4, 3/4, 1/4 (the tap past the
        // edge dropped), renormalised: (0·3 + 80·3 + 160) / 7 and (80 + 160·3 + 240·3) / 7.
        let row = PNGImage(width: 4, height: 1, channels: 1, pixels: [0, 80, 160, 240])
        XCTAssertEqual(ImageResize.resized(row, width: 2, height: 1, filter: .bilinear).pixels, [57, 183])
    }
}
