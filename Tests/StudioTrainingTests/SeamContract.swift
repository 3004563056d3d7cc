import Foundation
import StudioCore
import StudioIO
import XCTest

/// What a set of `genstudio` commands wrote, reduced to numbers and normalised text, and compared
/// with a recording under `Fixtures/seam-contract/`: the outputs of `sample`, `augment` and `eval`
/// that users already have, kept while the code behind them changes.
///
/// Numbers are compared with a tolerance, since other CPUs round BLAS sums differently; text (file
/// names, messages, manifests with hashes and times masked) is compared exactly.
/// `GENSTUDIO_RECORD_CONTRACT=1 swift test --filter SeamContractTests` rewrites the recordings: do that
/// only on the code whose behaviour is the contract.
struct SeamContract {
    /// The recording's name: `Fixtures/seam-contract/<name>.safetensors` and `.json`.
    let name: String
    /// The temporary root whose path is masked in text.
    let root: URL
    private(set) var tensors: [String: Tensor] = [:]
    private(set) var texts: [String: String] = [:]
    /// Keys read from 8-bit files, which a rounding difference moves by a whole step.
    private var quantised: Set<String> = []

    init(name: String, root: URL) {
        self.name = name
        self.root = root
    }

    static var isRecording: Bool { ProcessInfo.processInfo.environment["GENSTUDIO_RECORD_CONTRACT"] == "1" }

    /// The folder of recordings in the source tree (not the bundle copy), so that recording rewrites them.
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/seam-contract")
    }

    // MARK: - Capturing

    /// Records what `genstudio` printed on standard output, with the root masked and timing lines dropped.
    mutating func captureOutput(_ key: String, _ result: ProcessResult) {
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .flatMap { $0.split(separator: "\r").map(String.init) }
            .filter { line in
                !line.contains("samples/s") && !line.contains("denoising step") && !line.hasPrefix("samples ")
                    && !line.contains("ETA")
            }
        // Printed figures are rounded, so a last digit may differ by machine; the files hold them in full.
        let text = lines.joined(separator: "\n").replacingOccurrences(of: "[0-9]+\\.[0-9]+", with: "#.#", options: .regularExpression)
        texts[key + "#stdout"] = mask(text)
    }

    /// Records a file, or every file under a folder (sorted), by its kind.
    mutating func capture(_ key: String, _ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            texts[key] = "<missing>"
            return
        }
        if isDirectory.boolValue {
            let walker = FileManager.default.enumerator(atPath: url.path)
            var files: [String] = []
            while let relative = walker?.nextObject() as? String {
                var inner: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: url.appendingPathComponent(relative).path, isDirectory: &inner)
                if !inner.boolValue { files.append(relative) }
            }
            files.sort()
            texts[key + "/"] = files.joined(separator: "\n")
            for relative in files { try captureFile(key + "/" + relative, url.appendingPathComponent(relative)) }
        } else {
            try captureFile(key, url)
        }
    }

    private mutating func captureFile(_ key: String, _ url: URL) throws {
        switch url.pathExtension.lowercased() {
        case "png":
            let image = try PNGImage.read(from: url, channels: 1)
            let pixels = Tensor(shape: [image.height, image.width], scalars: image.pixels.map { Float($0) / 255 })
            // Large pictures (audio previews) as their row and column means, which keeps the recording small.
            if image.width * image.height <= 4096 {
                tensors[key] = pixels
                quantised.insert(key)
            } else {
                tensors[key + "#rows"] = pixels.mean(alongAxis: 1)
                tensors[key + "#columns"] = pixels.mean(alongAxis: 0)
                texts[key + "#size"] = "\(image.width)x\(image.height)"
            }
        case "wav":
            let audio = try AudioFile.read(from: url)
            tensors[key] = Tensor(shape: [audio.samples.count], scalars: audio.samples)
            texts[key + "#rate"] = String(audio.sampleRate)
        case "safetensors":
            for entry in try SafeTensors.read(from: url).entries { tensors[key + ":" + entry.name] = entry.tensor }
        case "json":
            try captureJSON(key, try Data(contentsOf: url))
        default:
            if url.lastPathComponent.contains("idx") || url.pathExtension == "idx" || url.pathExtension == "gz" {
                let file = try IDXFile.read(from: url)
                let scale: Float = url.lastPathComponent.contains("labels") ? 1 : 255
                tensors[key] = Tensor(shape: [file.values.count], scalars: file.values.map { $0 / scale })
                quantised.insert(key)
                texts[key + "#shape"] = "\(file.shape)"
            } else {
                texts[key] = mask(String(decoding: try Data(contentsOf: url), as: UTF8.self))
            }
        }
    }

    /// JSON as its structure (numbers replaced by `#`) plus its numbers as one tensor.
    private mutating func captureJSON(_ key: String, _ data: Data) throws {
        let object = try JSONSerialization.jsonObject(with: data)
        var numbers: [Float] = []
        func walk(_ value: Any) -> Any {
            if let dictionary = value as? [String: Any] {
                // Sorted, so that the numbers come in the same order in every process.
                var walked: [String: Any] = [:]
                for key in dictionary.keys.sorted() { walked[key] = walk(dictionary[key]!) }
                return walked
            }
            if let array = value as? [Any] { return array.map(walk) }
            if type(of: value) != Bool.self, let number = value as? NSNumber {
                numbers.append(number.floatValue)
                return "#"
            }
            return value
        }
        let structure = walk(object)
        let text = try JSONSerialization.data(withJSONObject: structure, options: [.sortedKeys])
        texts[key] = mask(String(decoding: text, as: UTF8.self))
        if !numbers.isEmpty { tensors[key + "#numbers"] = Tensor(shape: [numbers.count], scalars: numbers) }
    }

    /// The root path as `$ROOT`, SHA-256 digests as `<sha256>` (they hash float bytes) and ISO times as `<time>`.
    private func mask(_ text: String) -> String {
        var masked = text.replacingOccurrences(of: root.path, with: "$ROOT")
            .replacingOccurrences(of: root.path.replacingOccurrences(of: "/", with: "\\/"), with: "$ROOT")
        masked = masked.replacingOccurrences(of: "out-[0-9A-F-]{36}", with: "out", options: .regularExpression)
        masked = masked.replacingOccurrences(of: "[0-9a-f]{64}", with: "<sha256>", options: .regularExpression)
        masked = masked.replacingOccurrences(of: "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z", with: "<time>", options: .regularExpression)
        return masked
    }

    // MARK: - Comparing

    /// Writes the recording when recording, else compares with it: the same keys, equal texts, and
    /// tensors of the same shape within `tolerance` (absolute, plus that share of the value).
    func verify(tolerance: Float = 2e-3, file: StaticString = #filePath, line: UInt = #line) throws {
        let tensorsURL = Self.directory.appendingPathComponent(name + ".safetensors")
        let textsURL = Self.directory.appendingPathComponent(name + ".json")
        if Self.isRecording {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try SafeTensors(entries: tensors.keys.sorted().map { .init(name: $0, tensor: tensors[$0]!) }).write(to: tensorsURL)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(texts).write(to: textsURL)
            return
        }
        let expectedTensors = try SafeTensors.read(from: tensorsURL).tensorsByName
        let expectedTexts = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: textsURL))
        XCTAssertEqual(tensors.keys.sorted(), expectedTensors.keys.sorted(), "\(name): the numeric outputs differ", file: file, line: line)
        XCTAssertEqual(texts.keys.sorted(), expectedTexts.keys.sorted(), "\(name): the text outputs differ", file: file, line: line)
        for (key, text) in texts.sorted(by: { $0.key < $1.key }) {
            if let expected = expectedTexts[key] { XCTAssertEqual(text, expected, "\(name): \(key)", file: file, line: line) }
        }
        for (key, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
            guard let expected = expectedTensors[key] else { continue }
            XCTAssertEqual(tensor.shape, expected.shape, "\(name): \(key) shape", file: file, line: line)
            guard tensor.shape == expected.shape else { continue }
            // One 8-bit step for 8-bit files; a looser share for evaluation figures, which pass through eigenvalues.
            let allowed = quantised.contains(key) ? Swift.max(tolerance, 1.01 / 255) : tolerance
            let share = key.hasSuffix("#numbers") ? 1e-2 : tolerance
            let worst = zip(tensor.scalars, expected.scalars).map { abs($0 - $1) - share * abs($1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, allowed, "\(name): \(key) differs from the recording by \(worst)", file: file, line: line)
        }
    }
}
