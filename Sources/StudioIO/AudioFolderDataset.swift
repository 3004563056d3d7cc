import Foundation
import StudioCore

/// Labelled mono clips of one length and rate, read from a folder of audio files: `[N, 1, L]`
/// samples and one label per clip, the label being the clip's class folder.
public struct AudioFolderDataset: Sendable {
    /// A file that was found but could not be used, and why.
    public typealias SkippedFile = StudioIO.SkippedFile

    /// Samples, row-major `[count, clipLength]`.
    public let samples: [Float]
    /// The length of every clip in samples.
    public let clipLength: Int
    /// The rate every clip was converted to.
    public let sampleRate: Int
    /// One label per clip (an index into `classNames`), or empty when the folder has no class folders.
    public let labels: [Int]
    /// Class folder names, sorted; label `i` is `classNames[i]`.
    public let classNames: [String]
    /// Each clip's path relative to the root folder, in clip order.
    public let files: [String]
    /// Files with an audio extension that could not be decoded or held NaN or infinite samples, for the run's log.
    public let skipped: [SkippedFile]

    /// The number of clips.
    public var count: Int { files.count }

    /// All clips as `[N, 1, L]`.
    public var tensor: Tensor { Tensor(shape: [count, 1, clipLength], scalars: samples) }

    /// The clips at `indices` as `[indices.count, 1, L]`.
    public func batch(_ indices: [Int]) -> Tensor {
        var values = [Float](repeating: 0, count: indices.count * clipLength)
        for (row, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "AudioFolderDataset.batch: index \(index) outside 0..<\(count)")
            values.replaceSubrange(row * clipLength..<(row + 1) * clipLength,
                                   with: samples[index * clipLength..<(index + 1) * clipLength])
        }
        return Tensor(shape: [indices.count, 1, clipLength], scalars: values)
    }

    /// Reads every file with an extension libsndfile knows under `directory` (recursively, in
    /// sorted path order), mixes each to mono, converts it to `sampleRate` and centres it in
    /// `clipLength` samples (zero-padded on both sides, or trimmed on both sides).
    ///
    /// Labels come from the first folder level: `directory/seven/a.wav` is class "seven". When no
    /// file lies in a subfolder the set is unlabelled; a file beside class folders is an error.
    /// Undecodable files, and files with a NaN or infinite sample, are skipped and listed in
    /// `skipped`; a folder without one usable
    /// file, or a missing folder, is a `FileFormatError` naming it.
    public static func load(from directory: URL, sampleRate: Int, clipLength: Int,
                            quality: Resampler.Quality = .medium) throws -> AudioFolderDataset {
        guard clipLength > 0 else { throw AudioError("clip length \(clipLength) must be positive") }
        guard sampleRate > 0 else { throw AudioError("sample rate \(sampleRate) must be positive") }
        let candidates = try audioFiles(under: directory)
        let nested = candidates.filter { $0.contains("/") }
        if !nested.isEmpty, let loose = candidates.first(where: { !$0.contains("/") }) {
            throw FileFormatError(path: directory.appendingPathComponent(loose).path,
                                  "lies beside class folders; move it into one (labels come from folder names)")
        }
        let classOf: (String) -> String? = { nested.isEmpty ? nil : String($0.split(separator: "/")[0]) }
        let classNames = Array(Set(candidates.compactMap(classOf))).sorted()
        let classIndex = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })

        var samples: [Float] = []
        var labels: [Int] = []
        var files: [String] = []
        var skipped: [SkippedFile] = []
        for relative in candidates {
            let url = directory.appendingPathComponent(relative)
            do {
                let decoded = try AudioFile.read(from: url)
                // A float file can hold NaN or infinity; one such sample would poison every weight it reaches.
                if let index = decoded.samples.firstIndex(where: { !$0.isFinite }) {
                    skipped.append(SkippedFile(path: url.path, reason: "sample \(index) is \(decoded.samples[index]); only finite samples can be trained on"))
                    continue
                }
                let clip = try decoded.resampled(to: sampleRate, quality: quality)
                samples.append(contentsOf: centred(clip.samples, length: clipLength))
            } catch {
                skipped.append(SkippedFile(path: url.path, error: error))
                continue
            }
            files.append(relative)
            if let name = classOf(relative) { labels.append(classIndex[name]!) }
        }
        guard !files.isEmpty else {
            let detail = candidates.isEmpty ? "holds no audio files (extensions: \(AudioFile.readableExtensions.sorted().joined(separator: ", ")))"
                : "holds \(candidates.count) audio files and none could be decoded or used (first: \(skipped[0]))"
            throw FileFormatError(path: directory.path, detail)
        }
        return AudioFolderDataset(samples: samples, clipLength: clipLength, sampleRate: sampleRate,
                                  labels: labels, classNames: labels.isEmpty ? [] : classNames,
                                  files: files, skipped: skipped)
    }

    /// `samples` centred in `length`: zeros added equally on both sides (the extra one at the end),
    /// or the middle `length` samples kept.
    public static func centred(_ samples: [Float], length: Int) -> [Float] {
        if samples.count >= length {
            let start = (samples.count - length) / 2
            return Array(samples[start..<start + length])
        }
        var out = [Float](repeating: 0, count: length)
        let start = (length - samples.count) / 2
        out.replaceSubrange(start..<start + samples.count, with: samples)
        return out
    }

    /// Paths relative to `directory` of regular, non-hidden files whose extension libsndfile
    /// knows, sorted so that the order never depends on the file system.
    static func audioFiles(under directory: URL) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileFormatError(path: directory.path, "audio folder does not exist")
        }
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else {
            throw FileFormatError(path: directory.path, "cannot list the folder")
        }
        var found: [String] = []
        for case let relative as String in enumerator {
            guard !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }),
                  AudioFile.readableExtensions.contains((relative as NSString).pathExtension.lowercased()) else { continue }
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: directory.appendingPathComponent(relative).path, isDirectory: &isFolder)
            if exists && !isFolder.boolValue { found.append(relative) }
        }
        return found.sorted()
    }
}
