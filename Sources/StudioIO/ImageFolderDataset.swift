import Foundation
import StudioCore

/// A folder of class folders of PNG or JPEG images, torchvision's `ImageFolder` layout
/// (`ROOT/<class>/**/<image>`), read as labelled images of one channel count and size.
///
/// Classes are the top-level folders that hold at least one image, sorted by name, so labels
/// match `ImageFolder`'s `class_to_idx` (as strings: "10" sorts before "2"). Hidden entries,
/// files beside the class folders and folders without images (the `blocks/` of an older
/// `genstudio augment` output) are ignored.
public struct ImageFolderDataset: Sendable {
    /// The extensions read as images, lowercased.
    public static let extensions: Set<String> = JPEGImage.extensions.union(["png"])

    /// What a folder holds, before any image is decoded.
    public struct Listing: Sendable {
        /// The root folder.
        public let directory: URL
        /// Class folder names, sorted; label `i` is `classNames[i]`.
        public let classNames: [String]
        /// Each image's path relative to `directory`, class by class, in ImageFolder's order.
        public let files: [String]
        /// One label per file.
        public let labels: [Int]
    }

    /// The images: `[N, C, H, W]` bytes and their labels.
    public let images: ImageDataset
    /// Class folder names; label `i` is `classNames[i]`.
    public let classNames: [String]
    /// Each image's path relative to the root, in image order.
    public let files: [String]
    /// Image files that could not be decoded.
    public let skipped: [SkippedFile]

    /// Whether `directory` holds at least one class folder with a PNG or JPEG image in it.
    public static func holdsClassFolders(_ directory: URL) -> Bool {
        ((try? classFolders(in: directory)) ?? []).contains { containsImage(directory.appendingPathComponent($0)) }
    }

    /// Whether `folder` holds a non-hidden image file at any depth; stops at the first.
    static func containsImage(_ folder: URL) -> Bool {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return false }
        for case let relative as String in walker {
            if (relative as NSString).lastPathComponent.hasPrefix(".") {
                walker.skipDescendants()
                continue
            }
            var isFolder: ObjCBool = false
            if extensions.contains((relative as NSString).pathExtension.lowercased()),
               FileManager.default.fileExists(atPath: folder.appendingPathComponent(relative).path, isDirectory: &isFolder),
               !isFolder.boolValue { return true }
        }
        return false
    }

    /// Lists the class folders and image files of `directory`. With `classNames` (a test split read
    /// against its training split's classes), labels index that list and a class outside it is an error.
    public static func list(_ directory: URL, classNames given: [String]? = nil) throws -> Listing {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileFormatError(path: directory.path, "image folder does not exist")
        }
        var found: [(name: String, files: [String])] = []
        for name in try classFolders(in: directory) {
            let files = images(in: directory.appendingPathComponent(name))
            if !files.isEmpty { found.append((name, files.map { name + "/" + $0 })) }
        }
        guard !found.isEmpty else {
            throw FileFormatError(path: directory.path, "holds no class folders of PNG or JPEG images (expected <class>/<image>.png or .jpg, as torchvision's ImageFolder reads)")
        }
        let classNames = given ?? found.map(\.name)
        var files: [String] = []
        var labels: [Int] = []
        for (name, classFiles) in found {
            guard let label = classNames.firstIndex(of: name) else {
                throw FileFormatError(path: directory.appendingPathComponent(name).path,
                                      "is a class the training split lacks (its classes: \(classNames.joined(separator: ", ")))")
            }
            files += classFiles
            labels += [Int](repeating: label, count: classFiles.count)
        }
        return Listing(directory: directory, classNames: classNames, files: files, labels: labels)
    }

    /// Decodes every listed image as `channels` (1: grayscale, 3: RGB; a PNG's alpha dropped, as ImageFolder drops it)
    /// and resizes it to `height` x `width` with `filter` (antialiased, as Pillow's resize). Files
    /// that cannot be decoded are left out and listed in `skipped`; when none can, the error names the first.
    public static func load(_ listing: Listing, channels: Int, height: Int, width: Int,
                            filter: ImageResize.Filter = .bilinear) throws -> ImageFolderDataset {
        precondition(channels == 1 || channels == 3, "ImageFolderDataset.load: \(channels) channels; expected 1 or 3")
        let plane = height * width
        var pixels: [UInt8] = []
        pixels.reserveCapacity(listing.files.count * channels * plane)
        var labels: [Int] = []
        var files: [String] = []
        var skipped: [SkippedFile] = []
        for (relative, label) in zip(listing.files, listing.labels) {
            let url = listing.directory.appendingPathComponent(relative)
            let image: PNGImage
            do {
                image = ImageResize.resized(try read(url, channels: channels), width: width, height: height, filter: filter)
            } catch {
                skipped.append(SkippedFile(path: url.path, error: error))
                continue
            }
            // Interleaved HWC bytes to planar CHW.
            var planar = [UInt8](repeating: 0, count: channels * plane)
            for (i, byte) in image.pixels.enumerated() { planar[(i % channels) * plane + i / channels] = byte }
            pixels += planar
            labels.append(label)
            files.append(relative)
        }
        guard !files.isEmpty else {
            throw FileFormatError(path: listing.directory.path, "holds \(listing.files.count) image files and none could be decoded (first: \(skipped[0]))")
        }
        return ImageFolderDataset(images: ImageDataset(shape: [files.count, channels, height, width], pixels: pixels, labels: labels),
                                  classNames: listing.classNames, files: files, skipped: skipped)
    }

    /// Decodes a PNG or JPEG (by its first bytes, whatever its extension says). Colour becomes gray
    /// as Pillow's `convert("L")` makes it (ITU-R 601 weights on the stored values), which a JPEG's
    /// own luma already is, rather than libpng's linear-light mix.
    public static func read(_ url: URL, channels: Int) throws -> PNGImage {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw FileFormatError(path: url.path, "cannot be opened")
        }
        let magic = [UInt8](handle.readData(ofLength: 8))
        try? handle.close()
        if magic.starts(with: [0xFF, 0xD8, 0xFF]) { return try JPEGImage.read(from: url, channels: channels) }
        guard magic == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            let shown = magic.isEmpty ? "the file is empty" : "it starts with " + magic.map { String(format: "%02X", $0) }.joined(separator: " ")
            throw FileFormatError(path: url.path, "is neither PNG nor JPEG data (\(shown))")
        }
        let rgb = try PNGImage.read(from: url, channels: 3, droppingAlpha: true)
        return channels == 3 ? rgb : luma(of: rgb)
    }

    /// Pillow's RGB to L conversion: `(19595 R + 38470 G + 7471 B + 2^15) >> 16`, exact on gray pixels.
    static func luma(of image: PNGImage) -> PNGImage {
        let p = image.pixels
        let gray = (0..<(image.width * image.height)).map { i -> UInt8 in
            let sum = 19595 * Int(p[3 * i]) + 38470 * Int(p[3 * i + 1]) + 7471 * Int(p[3 * i + 2])
            return UInt8((sum + 0x8000) >> 16)
        }
        return PNGImage(width: image.width, height: image.height, channels: 1, pixels: gray)
    }

    /// The non-hidden folders directly in `directory`, sorted.
    static func classFolders(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { name in
            var isFolder: ObjCBool = false
            return !name.hasPrefix(".")
                && FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &isFolder)
                && isFolder.boolValue
        }.sorted()
    }

    /// Paths relative to `folder` of its non-hidden image files at any depth, ordered as
    /// ImageFolder's sorted walk orders them: by folder, then by name.
    static func images(in folder: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var found: [(folder: String, name: String)] = []
        for case let relative as String in walker {
            let parts = relative.split(separator: "/")
            guard !parts.contains(where: { $0.hasPrefix(".") }),
                  extensions.contains((relative as NSString).pathExtension.lowercased()) else { continue }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(relative).path, isDirectory: &isFolder),
                  !isFolder.boolValue else { continue }
            found.append(((relative as NSString).deletingLastPathComponent, (relative as NSString).lastPathComponent))
        }
        return found.sorted { ($0.folder, $0.name) < ($1.folder, $1.name) }
            .map { $0.folder.isEmpty ? $0.name : $0.folder + "/" + $0.name }
    }
}
