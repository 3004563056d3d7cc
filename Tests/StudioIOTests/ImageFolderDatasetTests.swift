import Foundation
import XCTest
@testable import StudioIO

/// `ImageFolderDataset`: torchvision's ImageFolder layout of PNG and JPEG files, as training data.
final class ImageFolderDatasetTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("image-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func write(_ relative: String, _ data: Data) throws {
        let url = scratch.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    private func png(width: Int, height: Int, channels: Int, value: (Int) -> UInt8) throws -> Data {
        try PNGImage(width: width, height: height, channels: channels,
                     pixels: (0..<(width * height * channels)).map(value)).encoded()
    }

    private func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: XCTUnwrap(Bundle.module.url(forResource: "Fixtures/images/\(name)", withExtension: nil)))
    }

    func testLabelsFollowImageFolderOrderAndEveryImageIsConvertedAndResized() throws {
        try write("zebra/b.png", try png(width: 4, height: 4, channels: 3) { $0 % 3 == 0 ? 200 : 0 })    // red
        try write("zebra/a.PNG", try png(width: 2, height: 2, channels: 1) { _ in 90 })                   // gray, grown
        try write("cat/deep/x.jpg", try fixture("photo.jpg"))                                              // 24x16 JPEG, shrunk
        try write("cat/y.jpeg", try fixture("gray.jpg"))
        try write("cat/broken.png", Data("not a png".utf8))
        try write("cat/notes.txt", Data("ignored".utf8))
        try write("Dog/z.png", try png(width: 8, height: 8, channels: 1) { _ in 7 })
        try write(".hidden/h.png", try png(width: 4, height: 4, channels: 1) { _ in 1 })
        try write("cat/.ds.png", try png(width: 4, height: 4, channels: 1) { _ in 1 })
        try write("empty/readme.md", Data())
        try write("loose.png", try png(width: 4, height: 4, channels: 1) { _ in 1 })

        let listing = try ImageFolderDataset.list(scratch)
        // Python's sorted(): upper case before lower case; a class's files by folder, then name.
        XCTAssertEqual(listing.classNames, ["Dog", "cat", "zebra"])
        XCTAssertEqual(listing.files, ["Dog/z.png", "cat/broken.png", "cat/y.jpeg", "cat/deep/x.jpg", "zebra/a.PNG", "zebra/b.png"])
        XCTAssertEqual(listing.labels, [0, 1, 1, 1, 2, 2])

        let set = try ImageFolderDataset.load(listing, channels: 3, height: 4, width: 4)
        XCTAssertEqual(set.images.shape, [5, 3, 4, 4])
        XCTAssertEqual(set.images.labels, [0, 1, 1, 2, 2])
        XCTAssertEqual(set.files, ["Dog/z.png", "cat/y.jpeg", "cat/deep/x.jpg", "zebra/a.PNG", "zebra/b.png"])
        XCTAssertEqual(set.skipped.map { ($0.path as NSString).lastPathComponent }, ["broken.png"])
        XCTAssertTrue(set.skipped[0].reason.contains("is neither PNG nor JPEG data (it starts with 6E 6F 74"), set.skipped[0].reason)
        let plane = 16, image = 48
        XCTAssertEqual(Array(set.images.pixels[0..<image]), [UInt8](repeating: 7, count: image), "gray to RGB, 8x8 to 4x4")
        XCTAssertEqual(Array(set.images.pixels[(3 * image)..<(4 * image)]), [UInt8](repeating: 90, count: image), "2x2 grown")
        let red = Array(set.images.pixels[(4 * image)..<(5 * image)])
        XCTAssertEqual(Array(red[0..<plane]), [UInt8](repeating: 200, count: plane), "planar: the red plane first")
        XCTAssertEqual(Array(red[plane...]), [UInt8](repeating: 0, count: 2 * plane))
        // The 24x16 JPEG shrunk to 4x4 as Pillow's BILINEAR would (checked on the decoder's own pixels).
        let photo = try JPEGImage.read(from: scratch.appendingPathComponent("cat/deep/x.jpg"), channels: 3)
        let shrunk = ImageResize.resized(photo, width: 4, height: 4)
        let planar = (0..<48).map { shrunk.pixels[($0 % 16) * 3 + $0 / 16] }
        XCTAssertEqual(Array(set.images.pixels[(2 * image)..<(3 * image)]), planar)

        let gray = try ImageFolderDataset.load(listing, channels: 1, height: 2, width: 3)
        XCTAssertEqual(gray.images.shape, [5, 1, 2, 3])
        XCTAssertEqual(Array(gray.images.pixels[(4 * 6)..<(5 * 6)]), [UInt8](repeating: 60, count: 6),
                       "red 200 is luma 60, as Pillow's convert(\"L\") gives")
    }

    func testAlphaIsDroppedAsImageFolderDropsIt() throws {
        // Made by Pillow: (200, 100, 50) opaque, then the same colour at alpha 128.
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/images/rgba.png", withExtension: nil))
        XCTAssertEqual(try ImageFolderDataset.read(url, channels: 3).pixels, [200, 100, 50, 200, 100, 50])
        XCTAssertEqual(try ImageFolderDataset.read(url, channels: 1).pixels, [124, 124], "Pillow's convert(\"L\")")
        XCTAssertEqual(try PNGImage.read(from: url, channels: 3).pixels, [200, 100, 50, 148, 73, 34],
                       "PNGImage.read still composites on black in linear light for its other callers")
    }

    func testATestSplitIsLabelledWithItsTrainingSplitsClasses() throws {
        try write("train/a/1.png", try png(width: 2, height: 2, channels: 1) { _ in 1 })
        try write("train/b/1.png", try png(width: 2, height: 2, channels: 1) { _ in 2 })
        try write("test/b/1.png", try png(width: 2, height: 2, channels: 1) { _ in 2 })
        let train = try ImageFolderDataset.list(scratch.appendingPathComponent("train"))
        let test = try ImageFolderDataset.list(scratch.appendingPathComponent("test"), classNames: train.classNames)
        XCTAssertEqual(test.labels, [1], "b is class 1 in training, though the only class of the test folder")
        try write("test/c/1.png", try png(width: 2, height: 2, channels: 1) { _ in 3 })
        XCTAssertThrowsError(try ImageFolderDataset.list(scratch.appendingPathComponent("test"), classNames: train.classNames)) { error in
            XCTAssertTrue("\(error)".contains("test/c: is a class the training split lacks"), "\(error)")
        }
    }

    func testFoldersWithoutUsableImagesAreErrorsNamingThem() throws {
        XCTAssertThrowsError(try ImageFolderDataset.list(scratch.appendingPathComponent("missing"))) { error in
            XCTAssertTrue("\(error)".contains("missing: image folder does not exist"), "\(error)")
        }
        try write("a/readme.txt", Data())
        try write("a/.cache/thumb.png", try png(width: 2, height: 2, channels: 1) { _ in 1 })
        XCTAssertFalse(ImageFolderDataset.holdsClassFolders(scratch), "images in hidden folders do not count")
        XCTAssertThrowsError(try ImageFolderDataset.list(scratch)) { error in
            XCTAssertTrue("\(error)".contains("holds no class folders of PNG or JPEG images"), "\(error)")
        }
        try write("a/x.png", Data("junk".utf8))
        XCTAssertTrue(ImageFolderDataset.holdsClassFolders(scratch))
        XCTAssertThrowsError(try ImageFolderDataset.load(try ImageFolderDataset.list(scratch), channels: 1, height: 2, width: 2)) { error in
            XCTAssertTrue("\(error)".contains("holds 1 image files and none could be decoded (first: "), "\(error)")
        }
    }
}
