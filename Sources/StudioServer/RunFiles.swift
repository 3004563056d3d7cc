import Foundation
import StudioIO
import StudioTraining
import TOMLKit

/// The files of one run directory, read for display; each reader throws a message naming the file.
public struct RunFiles: Sendable {
    /// The run directory.
    public let url: URL

    /// The files of the run directory at `url`.
    public init(_ url: URL) { self.url = url }

    /// One row of metrics.jsonl: its step and every number in it but the step.
    public struct MetricsRow: Codable, Sendable {
        /// The step the row was logged at.
        public var step: Int
        /// Each metric of the row by name; metrics not measured at this step are absent.
        public var values: [String: Double]
    }

    /// What the pages show of recipe.toml.
    public struct RecipeFacts: Sendable {
        /// The file's text.
        public var text: String
        /// `model.family` (gan when absent, as recipes default).
        public var family: String
        /// `data.path`.
        public var data: String
        /// `train.steps`.
        public var steps: Int?
        /// Audio runs: samples per clip (`audio.clip_length`); nil for images.
        public var clipLength: Int?
    }

    /// The newest modification among the files that grow while a run trains.
    public var modified: Date {
        let names = ["metrics.jsonl", "recipe.toml", "checkpoints"]
        return names.compactMap {
            (try? FileManager.default.attributesOfItem(atPath: url.appendingPathComponent($0).path))?[.modificationDate] as? Date
        }.max() ?? .distantPast
    }

    /// recipe.toml's facts; throws naming the file when it is unreadable or not TOML.
    public func recipe() throws -> RecipeFacts {
        let file = url.appendingPathComponent("recipe.toml")
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw StudioError("\(file.path): cannot be read")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch {
            throw StudioError("\(file.path): not valid TOML (\(error))")
        }
        let model = table["model"]?.table, data = table["data"]?.table, train = table["train"]?.table
        return RecipeFacts(text: text, family: model?["family"]?.string ?? "gan", data: data?["path"]?.string ?? "data/mnist",
                           steps: train?["steps"]?.int, clipLength: table["audio"]?.table?["clip_length"]?.int)
    }

    /// The clips of a training preview `samples/step-N.wav`, which holds them one after another with
    /// `AudioFile.concatenating`'s silences, each at the file's own sample rate.
    public func clips(in wav: URL) throws -> [AudioFile] {
        guard let length = try recipe().clipLength, length > 0 else {
            throw StudioError("\(url.path): the recipe has no audio.clip_length, so its previews are not clips")
        }
        let joined = try AudioFile.read(from: wav)
        guard let clips = joined.splittingClips(length: length) else {
            throw StudioError("\(wav.path): \(joined.samples.count) samples are not clips of \(length) with \(AudioFile.clipSilence) s silences")
        }
        return clips
    }

    /// Every complete row of metrics.jsonl; a half-written last line (a run writing it now) is left
    /// out, any other unreadable line is an error naming the line.
    public func metrics() throws -> [MetricsRow] {
        let file = url.appendingPathComponent("metrics.jsonl")
        guard let data = FileManager.default.contents(atPath: file.path) else { return [] }
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var rows: [MetricsRow] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let step = object["step"] as? Int else {
                if index == lines.count - 1 { break }
                throw StudioError("\(file.path): line \(index + 1) is not a metrics row")
            }
            var values: [String: Double] = [:]
            for (key, value) in object where key != "step" {
                if let number = value as? Double { values[key] = number }
            }
            rows.append(MetricsRow(step: step, values: values))
        }
        return rows
    }

    /// The sample grids `samples/step-NNNNNN.png` (for audio runs the picture of the clips beside
    /// `step-NNNNNN.wav`), by step; a task's further grids (`<name>-step-N.png`) are not listed.
    public func grids() -> [(step: Int, url: URL, audio: URL?)] {
        let samples = url.appendingPathComponent("samples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: samples.path)) ?? []
        return names.compactMap { name -> (Int, URL, URL?)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".png"), let step = Int(name.dropFirst(5).dropLast(4)) else { return nil }
            let wav = samples.appendingPathComponent("step-\(name.dropFirst(5).dropLast(4)).wav")
            return (step, samples.appendingPathComponent(name), FileManager.default.fileExists(atPath: wav.path) ? wav : nil)
        }.sorted { $0.0 < $1.0 }.map { (step: $0.0, url: $0.1, audio: $0.2) }
    }

    /// The steps of the checkpoints `checkpoints/step-N`, from their names alone.
    public func checkpointSteps() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.appendingPathComponent("checkpoints").path)) ?? []
        return names.compactMap { $0.hasPrefix("step-") ? Int($0.dropFirst(5)) : nil }.sorted()
    }

    /// The checkpoints `checkpoints/step-N` with their steps and total size in bytes.
    public func checkpoints() -> [(step: Int, url: URL, bytes: Int)] {
        let folder = url.appendingPathComponent("checkpoints")
        return checkpointSteps().map { step in
            let checkpoint = folder.appendingPathComponent(Checkpoint.name(step: step))
            let files = (try? FileManager.default.contentsOfDirectory(atPath: checkpoint.path)) ?? []
            let bytes = files.reduce(0) {
                $0 + (((try? FileManager.default.attributesOfItem(atPath: checkpoint.appendingPathComponent($1).path))?[.size] as? Int) ?? 0)
            }
            return (step, checkpoint, bytes)
        }
    }

    /// data.log's lines (files the data loader left out), empty without one.
    public func dataProblems() -> [String] {
        let text = (try? String(contentsOf: url.appendingPathComponent("data.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }
}
