import Foundation
import XCTest
import StudioCore
@testable import StudioIO

final class PNGImageTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testGrayAndRGBRoundTrip() throws {
        let gray = PNGImage(width: 3, height: 2, channels: 1, pixels: [0, 64, 128, 192, 255, 7])
        let rgb = PNGImage(width: 2, height: 1, channels: 3, pixels: [255, 0, 0, 0, 128, 255])
        for (name, image) in [("g.png", gray), ("c.png", rgb)] {
            let url = directory.appendingPathComponent(name)
            try image.write(to: url)
            let bytes = try Data(contentsOf: url)
            XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
            XCTAssertEqual(try PNGImage.read(from: url, channels: image.channels), image)
        }
    }

    func testCorruptFileIsNamed() throws {
        let url = directory.appendingPathComponent("broken.png")
        try Data("not a png at all".utf8).write(to: url)
        XCTAssertThrowsError(try PNGImage.read(from: url)) { XCTAssertTrue("\($0)".contains("broken.png"), "\($0)") }
    }

    func testGridPlacesTilesWithPadding() {
        // Two 1x2x2 images in [-1, 1]: the first all -1 (black), the second all 1 (white).
        let images = Tensor(shape: [2, 1, 2, 2], scalars: [-1, -1, -1, -1, 1, 1, 1, 1])
        let grid = ImageGrid.make(images, columns: 2, padding: 1, background: 9)
        XCTAssertEqual(grid.width, 7)
        XCTAssertEqual(grid.height, 4)
        XCTAssertEqual(grid.pixels[0], 9)
        XCTAssertEqual(grid.pixels[1 * 7 + 1], 0)
        XCTAssertEqual(grid.pixels[1 * 7 + 4], 255)
        XCTAssertEqual(grid.pixels[2 * 7 + 5], 255)
        XCTAssertEqual(grid.pixels[1 * 7 + 3], 9, "padding between tiles")
    }
}
