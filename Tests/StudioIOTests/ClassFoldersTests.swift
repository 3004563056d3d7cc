import Foundation
import StudioCore
import XCTest
@testable import StudioIO

/// `ImageDataset.classFolders`: the `<class>/<index>.png` layout augmentation jobs and image tools write.
final class ClassFoldersTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("class-folders-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Writes a 3x2 grayscale PNG whose pixels are `first, first + 1, ...` as `relative`.
    private func writeImage(_ relative: String, first: UInt8, width: Int = 3, height: Int = 2, channels: Int = 1) throws {
        let url = scratch.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let pixels = (0..<(width * height * channels)).map { first &+ UInt8($0) }
        try PNGImage(width: width, height: height, channels: channels, pixels: pixels).write(to: url)
    }

    func testClassesAscendNumericallyNamesInOrderAndOtherEntriesAreIgnored() throws {
        try writeImage("10/000001.png", first: 100)
        try writeImage("2/000001.png", first: 30)
        try writeImage("2/000000.png", first: 20)
        try writeImage("0/000000.png", first: 0)
        try writeImage("blocks/000000.png", first: 200)      // not a class
        try writeImage("02/000000.png", first: 210)          // "02" is not how a class number is written
        try Data("{}".utf8).write(to: scratch.appendingPathComponent("manifest.json"))
        try Data("x".utf8).write(to: scratch.appendingPathComponent("2/notes.txt"))
        let set = try ImageDataset.classFolders(directory: scratch)
        XCTAssertEqual(set.shape, [4, 1, 2, 3])
        XCTAssertEqual(set.labels, [0, 2, 2, 10])
        XCTAssertEqual(Array(set.pixels.prefix(6)), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(Array(set.pixels[6..<12]), [20, 21, 22, 23, 24, 25], "000000.png before 000001.png")
        XCTAssertEqual(Array(set.pixels.suffix(6)), [100, 101, 102, 103, 104, 105])
    }

    func testRGBImagesBecomePlanarChannels() throws {
        try writeImage("1/a.png", first: 0, width: 2, height: 1, channels: 3)
        let set = try ImageDataset.classFolders(directory: scratch, channels: 3)
        XCTAssertEqual(set.shape, [1, 3, 1, 2])
        // Interleaved RGB RGB -> R plane, G plane, B plane.
        XCTAssertEqual(set.pixels, [0, 3, 1, 4, 2, 5])
    }

    func testBadFoldersAreClearErrors() throws {
        XCTAssertThrowsError(try ImageDataset.classFolders(directory: scratch.appendingPathComponent("missing"))) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
        try Data("{}".utf8).write(to: scratch.appendingPathComponent("manifest.json"))
        XCTAssertThrowsError(try ImageDataset.classFolders(directory: scratch)) { error in
            XCTAssertTrue("\(error)".contains("holds no class folders of PNG images"), "\(error)")
        }
        try writeImage("0/a.png", first: 0)
        try writeImage("1/b.png", first: 0, width: 4)
        XCTAssertThrowsError(try ImageDataset.classFolders(directory: scratch)) { error in
            XCTAssertTrue("\(error)".contains("1/b.png: is 4x2; the first image is 3x2"), "\(error)")
        }
        try Data("not a png".utf8).write(to: scratch.appendingPathComponent("1/b.png"))
        XCTAssertThrowsError(try ImageDataset.classFolders(directory: scratch)) { error in
            XCTAssertTrue("\(error)".contains("1/b.png: not a readable PNG"), "\(error)")
        }
    }
}
