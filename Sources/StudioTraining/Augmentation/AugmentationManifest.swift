import Crypto
import Foundation
import StudioIO
import StudioModels

/// `DIR/manifest.json`: what an augmentation job is (checkpoint, model, sampler, spec, shard) and,
/// once complete, what it wrote.
public struct AugmentationManifest: Codable, Equatable {
    /// What decides the bytes; two directories with equal jobs (shard aside) hold parts of one data set.
    public struct Job: Codable, Equatable {
        public var checkpointSHA256: String
        public var model: ModelConfig
        public var sampler: [String: String]
        public var spec: AugmentationSpec
        /// The SHA-256 of the filtering classifier's weights, when filtered.
        public var classifierSHA256: String?
        public var shard: Shard
        /// How an audio model's examples become clips (absent for image models).
        public var audio: AudioSettings? = nil

        enum CodingKeys: String, CodingKey {
            case checkpointSHA256 = "checkpoint_sha256", model, sampler, spec
            case classifierSHA256 = "classifier_sha256", shard, audio
        }
    }

    /// One written file, relative to the job directory.
    public struct File: Codable, Equatable {
        public var path: String
        public var sha256: String
    }

    public static let fileName = "manifest.json"
    public static let formatName = "genstudio-augment/1"

    public var format = AugmentationManifest.formatName
    public var job: Job
    /// The checkpoint as the user named it (informational; the hash identifies it).
    public var checkpointPath: String
    /// False until every block of the shard is generated and the output files are written.
    public var complete: Bool
    /// Samples kept per class, keyed by class.
    public var counts: [String: Int]
    /// Candidates the filter rejected per class.
    public var rejected: [String: Int]
    public var files: [File]

    enum CodingKeys: String, CodingKey {
        case format, job, checkpointPath = "checkpoint_path", complete, counts, rejected, files
    }

    /// The manifest in `directory`, or nil when it has none.
    public static func read(in directory: URL) throws -> AugmentationManifest? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let manifest = try JSONDecoder().decode(AugmentationManifest.self, from: Data(contentsOf: url))
            guard manifest.format == formatName else {
                throw FileFormatError(path: url.path, "is a '\(manifest.format)' manifest; expected '\(formatName)'")
            }
            // Values that decode but cannot describe a job (a zero block size, shard 0 of 0) are refused here,
            // before a merge or resume divides by them or allocates for them.
            let shard = manifest.job.shard
            guard shard.count >= 1, (0..<shard.count).contains(shard.index) else {
                throw FileFormatError(path: url.path, "job.shard is \(shard.index)/\(shard.count); expected I/N with 0 <= I < N")
            }
            do {
                try manifest.job.spec.validate(classCount: manifest.job.model.sampledClassCount)
            } catch let error as SampleError {
                throw FileFormatError(path: url.path, "job.spec does not describe a job: \(error.message)")
            }
            return manifest
        } catch let error as FileFormatError {
            throw error
        } catch {
            throw FileFormatError(path: url.path, "is not an augmentation manifest: \(error)")
        }
    }

    /// Writes the manifest atomically, keys sorted, so equal jobs give equal bytes.
    public func write(in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self) + Data("\n".utf8), to: directory.appendingPathComponent(Self.fileName))
    }

    /// The lowercase hex SHA-256 of a file's bytes.
    public static func sha256(of url: URL) throws -> String {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw FileFormatError(path: url.path, "cannot be read: \(error.localizedDescription)") }
        return sha256(of: data)
    }

    /// The lowercase hex SHA-256 of `data`.
    public static func sha256(of data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
