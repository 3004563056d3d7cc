import ArgumentParser
import Foundation
import StudioCore
import StudioIO
import StudioTraining

/// Where `genstudio sample` writes: images for an image model, WAV clips and a picture for an audio one.
struct SampleOutput {
    let url: URL
    /// The checkpoint's audio settings; nil for a model trained on images.
    let audio: AudioSettings?
    let wavFormat: AudioFile.SampleFormat
    /// Seeds Griffin-Lim for spectrogram models.
    let seed: UInt64

    /// What the written examples are called in messages.
    var noun: String { audio == nil ? "images" : "clips" }

    /// Writes examples `[N] + exampleShape` in -1...1 and returns the paths written.
    func write(_ examples: Tensor, columns: Int?) throws -> [URL] {
        guard let audio else { return try SampleWriter.write(examples, to: url, columns: columns) }
        return try ClipWriter.write(examples, range: -1...1, audio: audio, seed: seed, to: url, format: wavFormat)
    }

    /// The output as a message names it: the one file, the WAV file (and its picture), or the folder.
    func place(_ written: [URL]) -> String {
        if audio != nil, url.pathExtension.lowercased() == "wav" { return "\(written[0].path) (picture: \(written[1].lastPathComponent))" }
        return written.count == 1 ? written[0].path : url.path
    }
}

extension SampleCommand {
    /// The output for the checkpoint being sampled; fails when PATH or an option does not fit what it makes.
    func makeOutput() throws -> SampleOutput {
        let source = checkpoint ?? recipe!
        let audio = if let recipe { try RecipeLoader.load(URL(fileURLWithPath: recipe)).recipe.audio }
            else { try LoadedModel.audio(checkpoint: URL(fileURLWithPath: checkpoint!)) }
        let url = URL(fileURLWithPath: out)
        let suffix = url.pathExtension.lowercased()
        guard audio != nil else {
            if suffix == "wav" {
                throw SampleError("--out \(out): \(source) holds an image model; WAV output needs a model trained on audio (write .png, .idx, .safetensors or a directory)")
            }
            if wavFormat != nil { throw SampleError("--wav-format applies to audio checkpoints only; \(source) holds an image model") }
            return SampleOutput(url: url, audio: nil, wavFormat: .pcm16, seed: seed)
        }
        if ["png", "idx", "gz", "safetensors"].contains(suffix) {
            throw SampleError("--out \(out): \(source) holds an audio model, which writes a .wav file or a folder of clips, not .\(suffix)")
        }
        let imageOnly = [grid.map { _ in "--grid" }, reconstruct.map { _ in "--reconstruct" }, manifold ? "--manifold" : nil]
            .compactMap { $0 }
        if !imageOnly.isEmpty {
            let verb = imageOnly.count == 1 ? "applies" : "apply"
            throw SampleError("\(imageOnly.joined(separator: ", ")) \(verb) to image models; \(source) holds an audio model (use --count)")
        }
        let format: AudioFile.SampleFormat
        switch wavFormat?.lowercased() ?? "pcm16" {
        case "pcm16": format = .pcm16
        case "float", "float32": format = .float32
        default: throw ValidationError("--wav-format must be pcm16 or float, got '\(wavFormat!)'")
        }
        return SampleOutput(url: url, audio: audio, wavFormat: format, seed: seed)
    }
}
