import Foundation
import StudioCore
import StudioIO

/// Where a sample job writes: images for an image model, WAV clips and a picture for an audio one.
public struct SampleOutput {
    public let url: URL
    /// The model's audio settings; nil for a model trained on images.
    public let audio: AudioSettings?
    public let wavFormat: AudioFile.SampleFormat
    /// Seeds Griffin-Lim for spectrogram models.
    public let seed: UInt64

    /// The output at `url` for `model`; fails when the path, `wavFormat` (pcm16 or float) or one of
    /// `imageOnly` (the image-only options given) does not fit what the model makes.
    public init(url: URL, model: any GenerativeModel, wavFormat: String?, imageOnly: [String], seed: UInt64) throws {
        let source = model.source.path
        let suffix = url.pathExtension.lowercased()
        self.url = url
        self.seed = seed
        audio = model.audio
        guard model.audio != nil else {
            if suffix == "wav" {
                throw SampleError("--out \(url.relativePath): \(source) holds an image model; WAV output needs a model trained on audio (write .png, .idx, .safetensors or a directory)")
            }
            if wavFormat != nil { throw SampleError("--wav-format applies to audio checkpoints only; \(source) holds an image model") }
            if Self.unwrittenImageSuffixes.contains(suffix) {
                throw SampleError("--out \(url.relativePath): genstudio writes .png grids, not .\(suffix); give a .png, .idx or .safetensors path, or a directory for one PNG per image")
            }
            self.wavFormat = .pcm16
            return
        }
        if ["png", "idx", "gz", "safetensors"].contains(suffix) {
            throw SampleError("--out \(url.relativePath): \(source) holds an audio model, which writes a .wav file or a folder of clips, not .\(suffix)")
        }
        if !imageOnly.isEmpty {
            let verb = imageOnly.count == 1 ? "applies" : "apply"
            throw SampleError("\(imageOnly.joined(separator: ", ")) \(verb) to image models; \(source) holds an audio model (use --count)")
        }
        switch wavFormat?.lowercased() ?? "pcm16" {
        case "pcm16": self.wavFormat = .pcm16
        case "float", "float32": self.wavFormat = .float32
        default: throw SampleError("--wav-format must be pcm16 or float, got '\(wavFormat!)'")
        }
    }

    /// Picture formats a user may type that genstudio does not write; without this check the path
    /// would become a folder of PNGs named like a file.
    static let unwrittenImageSuffixes: Set<String> = ["jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"]

    /// What the written examples are called in messages.
    public var noun: String { audio == nil ? "images" : "clips" }

    /// Whether the output is one picture (a `.png` grid).
    public var isGrid: Bool { audio == nil && url.pathExtension.lowercased() == "png" }

    /// Writes examples `[N] + exampleShape` in -1...1 and returns the paths written.
    public func write(_ examples: Tensor, columns: Int?) throws -> [URL] {
        guard let audio else { return try SampleWriter.write(examples, to: url, columns: columns) }
        return try ClipWriter.write(examples, range: -1...1, audio: audio, seed: seed, to: url, format: wavFormat)
    }

    /// The output as a message names it: the one file, the WAV file (and its picture), or the folder.
    public func place(_ written: [URL]) -> String {
        if audio != nil, url.pathExtension.lowercased() == "wav" { return "\(written[0].path) (picture: \(written[1].lastPathComponent))" }
        return written.count == 1 ? written[0].path : url.path
    }
}
