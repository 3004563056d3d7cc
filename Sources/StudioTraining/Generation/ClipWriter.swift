import Foundation
import StudioCore
import StudioIO

/// Writes an audio model's generated examples `[N] + exampleShape` as WAV clips with a preview picture.
public enum ClipWriter {
    /// The clips (`N` arrays of `clip_length` samples) of `examples` `[N] + exampleShape` whose values
    /// lie in `range` (a task's pixel range); spectrograms go through Griffin-Lim seeded by `seed`.
    public static func clips(from examples: Tensor, range: ClosedRange<Float>, audio: AudioSettings,
                             seed: UInt64) throws -> [[Float]] {
        let unit = range == -1...1 ? examples
            : (examples - range.lowerBound) * (2 / (range.upperBound - range.lowerBound)) - 1
        return try audio.clips(from: unit, seed: seed)
    }

    /// Writes `clips` at the settings' rate: a `.wav` URL gets one file of the clips with 0.25 s
    /// silences between them plus the preview picture beside it (same name, `.png`); any other URL
    /// is a folder of `clip-000.wav`, `clip-001.wav`, ... and `preview.png`. Every file is encoded
    /// before any is written, and each is written atomically. Returns the paths written.
    @discardableResult
    public static func write(_ clips: [[Float]], audio: AudioSettings, to url: URL,
                             format: AudioFile.SampleFormat = .pcm16) throws -> [URL] {
        var files: [(URL, Data)] = []
        let preview = try audio.preview(of: clips).encoded()
        if url.pathExtension.lowercased() == "wav" {
            let joined = AudioFile.concatenating(clips, sampleRate: audio.sampleRate)
            files.append((url, try joined.encodedWAV(format: format)))
            files.append((url.deletingPathExtension().appendingPathExtension("png"), preview))
            try SampleWriter.ensureDirectory(url.deletingLastPathComponent())
        } else {
            let digits = Swift.max(3, String(Swift.max(clips.count - 1, 0)).count)
            for (index, clip) in clips.enumerated() {
                let name = String(format: "clip-%0\(digits)d.wav", index)
                let wav = try AudioFile(samples: clip, sampleRate: audio.sampleRate).encodedWAV(format: format)
                files.append((url.appendingPathComponent(name), wav))
            }
            files.append((url.appendingPathComponent("preview.png"), preview))
            try SampleWriter.ensureDirectory(url)
        }
        for (file, data) in files { try AtomicFile.write(data, to: file) }
        return files.map(\.0)
    }

    /// `clips(from:range:audio:seed:)` then `write(_:audio:to:format:)`.
    @discardableResult
    public static func write(_ examples: Tensor, range: ClosedRange<Float>, audio: AudioSettings, seed: UInt64,
                             to url: URL, format: AudioFile.SampleFormat = .pcm16) throws -> [URL] {
        try write(try clips(from: examples, range: range, audio: audio, seed: seed), audio: audio, to: url, format: format)
    }
}
