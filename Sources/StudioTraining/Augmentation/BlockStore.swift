import Foundation
import StudioCore
import StudioIO

/// The block files of an augmentation job (pixels as bytes, or for audio the examples' floats, which
/// 8 bits would audibly quantise) and the output files made from them.
///
/// Blocks are hidden files beside the output, `.block-C-K.safetensors`: torchvision's `ImageFolder`
/// takes every folder, hidden or not, for a class, so the job folder holds no folder but the class
/// folders. Jobs written before this layout keep theirs, `blocks/class-C/block-K.safetensors`, and
/// are read (resumed, merged) from there.
enum BlockStore {
    /// Where a block is written: `directory/.block-C-K.safetensors`.
    static func url(of block: AugmentationBlock, in directory: URL) -> URL {
        directory.appendingPathComponent(String(format: ".block-%d-%06d.safetensors", block.label, block.index))
    }

    /// Where the layout of earlier versions kept a block: `directory/blocks/class-C/block-K.safetensors`.
    static func legacyURL(of block: AugmentationBlock, in directory: URL) -> URL {
        directory.appendingPathComponent("blocks/class-\(block.label)")
            .appendingPathComponent(String(format: "block-%06d.safetensors", block.index))
    }

    /// The block's file as found on disk: the current layout's, else an earlier version's when that
    /// one is there, else where it will be written.
    static func existingURL(of block: AugmentationBlock, in directory: URL) -> URL {
        let current = url(of: block, in: directory)
        let legacy = legacyURL(of: block, in: directory)
        let fm = FileManager.default
        return !fm.fileExists(atPath: current.path) && fm.fileExists(atPath: legacy.path) ? legacy : current
    }

    /// Whether the block's file is there, whole and of the expected shape.
    static func isFinished(_ block: AugmentationBlock, in directory: URL, imageShape: [Int]) throws -> Bool {
        let url = existingURL(of: block, in: directory)
        guard FileManager.default.fileExists(atPath: url.path) else { return false }
        guard let images = try? SafeTensors.read(from: url)["images"] else { return false }
        return images.shape.dimensions == [block.count] + imageShape
    }

    /// Stores a block's images `[count, C, H, W]` in 0...1 atomically: as bytes 0...255, or for the
    /// `.wav` format as they are (Float32).
    static func write(images: Tensor, tried: Int, block: AugmentationBlock, format: AugmentationFormat,
                      in directory: URL) throws {
        let url = url(of: block, in: directory)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw SampleError("cannot create \(url.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        let entry: SafeTensors.Entry = format == .wav ? .init(name: "images", tensor: images)
            : .init(name: "images", tensor: images * 255, dtype: .uint8)
        let file = SafeTensors(entries: [entry],
                               metadata: ["class": String(block.label), "first": String(block.first),
                                          "tried": String(tried), "rejected": String(tried - block.count)])
        try file.write(to: url)
    }

    /// Reads the blocks (each from its own directory), writes the output files in the job's format
    /// and the completed manifest into `directory`, and returns that manifest.
    static func finish(_ manifest: AugmentationManifest, blocks: [(AugmentationBlock, URL)], imageShape: [Int],
                       in directory: URL) throws -> AugmentationManifest {
        var result = manifest
        var images: [Float] = []
        var labels: [Float] = []
        var files: [AugmentationManifest.File] = []
        for (block, home) in blocks {
            let url = existingURL(of: block, in: home)
            let file = try SafeTensors.read(from: url)
            guard let pixels = file["images"], pixels.shape.dimensions == [block.count] + imageShape else {
                throw FileFormatError(path: url.path, "is not a block of \(block.count) images \(imageShape)")
            }
            let key = String(block.label)
            result.counts[key, default: 0] += block.count
            result.rejected[key, default: 0] += Int(file.metadata["rejected"] ?? "0") ?? 0
            switch manifest.job.spec.format {
            case .idx:
                images += pixels.scalars
                labels += [Float](repeating: Float(block.label), count: block.count)
            case .png:
                for i in 0..<block.count {
                    let relative = "\(block.label)/" + String(format: "%06d.png", block.first + i)
                    files.append(try writePNG(pixels.sliced(alongAxis: 0, i..<(i + 1)), to: relative, in: directory))
                }
            case .wav:
                guard let audio = manifest.job.audio else {
                    throw FileFormatError(path: directory.appendingPathComponent(AugmentationManifest.fileName).path,
                                          "asks for WAV output but records no audio settings")
                }
                let clips = try AugmentationJob.clips(of: pixels, audio: audio, seed: manifest.job.spec.seed,
                                                      label: block.label, first: block.first)
                for (i, clip) in clips.enumerated() {
                    let relative = "\(block.label)/" + String(format: "%06d.wav", block.first + i)
                    let data = try AudioFile(samples: clip, sampleRate: audio.sampleRate).encodedWAV()
                    files.append(try write(data, to: relative, in: directory))
                }
            }
        }
        if manifest.job.spec.format == .idx {
            let n = labels.count
            let shape = imageShape[0] == 1 ? [n, imageShape[1], imageShape[2]] : [n] + imageShape
            files.append(try write(IDXFile(elementType: .uint8, shape: Shape(shape), values: images).encoded(),
                                   to: "train-images-idx3-ubyte", in: directory))
            files.append(try write(IDXFile(elementType: .uint8, shape: [n], values: labels).encoded(),
                                   to: "train-labels-idx1-ubyte", in: directory))
        }
        result.files = files
        result.complete = true
        try result.write(in: directory)
        return result
    }

    /// Writes `data` atomically at `relative` (creating its folder) and returns its manifest entry.
    private static func write(_ data: Data, to relative: String, in directory: URL) throws -> AugmentationManifest.File {
        let url = directory.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(data, to: url)
        return .init(path: relative, sha256: AugmentationManifest.sha256(of: data))
    }

    /// One `[1, C, H, W]` byte-valued image as a PNG at `relative`.
    private static func writePNG(_ image: Tensor, to relative: String, in directory: URL) throws -> AugmentationManifest.File {
        let (c, h, w) = (image.shape[1], image.shape[2], image.shape[3])
        let planar = image.scalars
        var pixels = [UInt8](repeating: 0, count: c * h * w)
        // Planar CHW bytes to the interleaved HWC order PNG rows use.
        for channel in 0..<c {
            for p in 0..<(h * w) { pixels[p * c + channel] = UInt8(planar[channel * h * w + p]) }
        }
        return try write(try PNGImage(width: w, height: h, channels: c, pixels: pixels).encoded(), to: relative, in: directory)
    }
}
