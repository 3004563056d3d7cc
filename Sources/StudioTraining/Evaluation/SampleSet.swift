import Foundation
import StudioCore
import StudioIO

/// Images a user hands to evaluation: an IDX images file (labels from its `labels-idx1` sibling when
/// there), a folder in the MNIST layout (what `genstudio augment --format idx` writes), class folders
/// `<class>/*.png`, or a flat folder of PNGs.
public enum SampleSet {
    /// `[N, C, H, W]` pixels in 0...1 and the labels, when the source has them. A folder whose
    /// augmentation manifest says the job is not finished is refused unless `allowIncomplete`.
    public static func read(_ url: URL, channels: Int, allowIncomplete: Bool = false) throws -> (images: Tensor, labels: [Int]?) {
        if !allowIncomplete, let manifest = try? AugmentationManifest.read(in: url), !manifest.complete {
            throw SampleError("\(url.path) holds an unfinished augmentation job (its \(AugmentationManifest.fileName) says \"complete\": false); finish it by running the same augment command again, or score what is there with --allow-incomplete")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw FileFormatError(path: url.path, "no such checkpoint, IDX file or image folder")
        }
        if !isDirectory.boolValue {
            let (images, _) = try ImageFiles.read(url, channels: channels)
            let name = url.lastPathComponent
            guard name.contains("images-idx3") else { return (images, nil) }
            let sibling = url.deletingLastPathComponent().appendingPathComponent(name.replacingOccurrences(of: "images-idx3", with: "labels-idx1"))
            guard FileManager.default.fileExists(atPath: sibling.path) else { return (images, nil) }
            let labels = try IDXFile.read(from: sibling)
            guard labels.shape.rank == 1, labels.shape[0] == images.shape[0] else {
                throw FileFormatError(path: sibling.path, "has labels \(labels.shape) for \(images.shape[0]) images in \(name)")
            }
            return (images, labels.values.map { Int($0) })
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        if !names.contains(where: { $0.hasPrefix("train-images-idx3-ubyte") }),
           names.contains(where: { $0.lowercased().hasSuffix(".png") }) {
            let (images, _) = try ImageFiles.read(url, channels: channels)
            return (images, nil)
        }
        let set = try labelledFolder(url, channels: channels)
        guard set.count > 0 else { throw FileFormatError(path: url.path, "holds no images") }
        return (set.batch(Array(0..<set.count), range: 0...1), set.labels)
    }

    /// At most `count` of `samples` `[N, ...]` (with their labels): all of them when N <= count, else a
    /// random subset drawn from `seed`, in file order, so that a 60000-sample folder scores as `fid10k`.
    public static func subset(_ samples: Tensor, labels: [Int]?, count: Int, seed: UInt64) -> (samples: Tensor, labels: [Int]?) {
        let total = samples.shape[0]
        guard total > count else { return (samples, labels) }
        let chosen = EpochSampler(count: total, batch: 1, seed: seed).order(epoch: 0).prefix(count).sorted()
        return (samples.indexSelect(chosen, alongAxis: 0), labels.map { all in chosen.map { all[$0] } })
    }

    /// The labelled set in a folder `genstudio augment` writes: its `train-images-idx3-ubyte` and
    /// `train-labels-idx1-ubyte` when there, class folders `<class>/*.png` otherwise.
    public static func labelledFolder(_ url: URL, channels: Int) throws -> ImageDataset {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        if names.contains(where: { $0.hasPrefix("train-images-idx3-ubyte") }) {
            return try ImageDataset.mnistFormat(directory: url, split: .train)
        }
        return try ImageDataset.classFolders(directory: url, channels: channels)
    }
}
