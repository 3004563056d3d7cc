import Foundation
import StudioIO

extension AugmentationJob {
    /// Merges the complete shard directories of one job into `directory`, which then holds exactly
    /// what the job run as a single shard writes. Fails, writing nothing, when the manifests disagree,
    /// a shard is missing, repeated or unfinished.
    @discardableResult
    public static func merge(_ directories: [URL], into directory: URL) throws -> AugmentationManifest {
        guard !directories.isEmpty else { throw SampleError("augment merge needs at least one shard directory") }
        var manifests: [AugmentationManifest] = []
        for shardDirectory in directories {
            guard let manifest = try AugmentationManifest.read(in: shardDirectory) else {
                throw SampleError("\(shardDirectory.path) has no \(AugmentationManifest.fileName): not an augmentation job directory")
            }
            guard manifest.complete else {
                throw SampleError("\(shardDirectory.path): shard \(manifest.job.shard) is not finished; resume it with the same augment command first")
            }
            manifests.append(manifest)
        }
        let first = manifests[0]
        for (manifest, shardDirectory) in zip(manifests, directories).dropFirst() {
            var job = manifest.job
            job.shard = first.job.shard
            guard job == first.job else {
                throw SampleError("\(shardDirectory.path) and \(directories[0].path) are different jobs (\(difference(manifest.job, first.job)))")
            }
            guard manifest.job.shard.count == first.job.shard.count else {
                throw SampleError("\(shardDirectory.path) is shard \(manifest.job.shard), but \(directories[0].path) is shard \(first.job.shard): shard counts differ")
            }
        }
        let count = first.job.shard.count
        var home: [Int: URL] = [:]
        for (manifest, shardDirectory) in zip(manifests, directories) {
            if let other = home[manifest.job.shard.index] {
                throw SampleError("shard \(manifest.job.shard) is given twice: \(other.path) and \(shardDirectory.path)")
            }
            home[manifest.job.shard.index] = shardDirectory
        }
        if let missing = (0..<count).first(where: { home[$0] == nil }) {
            throw SampleError("shard \(missing)/\(count) is missing; merge needs all \(count) shard directories")
        }

        var merged = first
        merged.job.shard = .whole
        merged.complete = false
        merged.counts = [:]
        merged.rejected = [:]
        merged.files = []
        try claim(directory, for: merged)
        let spec = first.job.spec
        let imageShape = first.job.model.imageShape
        for block in spec.blocks {
            let source = BlockStore.existingURL(of: block, in: home[block.ordinal % count]!)
            let target = BlockStore.url(of: block, in: directory)
            // A shard merged into its own folder already holds its blocks, in either layout.
            guard source.deletingLastPathComponent().standardizedFileURL != directory.standardizedFileURL,
                  BlockStore.legacyURL(of: block, in: directory).standardizedFileURL != source.standardizedFileURL else { continue }
            let data: Data
            do { data = try Data(contentsOf: source) } catch {
                throw FileFormatError(path: source.path, "is missing or unreadable: \(error.localizedDescription)")
            }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(data, to: target)
        }
        return try BlockStore.finish(merged, blocks: spec.blocks.map { ($0, directory) }, imageShape: imageShape, in: directory)
    }
}
