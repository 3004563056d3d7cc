import Foundation
import StudioModels

/// `[audio]`: the recipe trains on sound. Clips are read from `data.path` at `sample_rate`, centred
/// in `clip_length` samples, and the model sees either the waveform `[1, clip_length]` or its
/// log-magnitude spectrogram `[1, fft_size / 2, 1 + clip_length / hop_length]` (values in -1...1),
/// turned back into sound by Griffin-Lim. Stored in checkpoints so that sampling and evaluation
/// know how to make and read clips.
public struct AudioSettings: Codable, Equatable, Sendable {
    /// What the model sees of a clip.
    public enum Representation: String, Codable, Sendable, CaseIterable {
        case waveform, spectrogram
    }

    /// Samples per second every clip is converted to.
    public var sampleRate = 16_000
    /// Samples per clip.
    public var clipLength = 16_384
    /// The waveform itself or its log-magnitude spectrogram.
    public var representation = Representation.waveform
    /// Spectrograms: the STFT's window length (a power of two; its Nyquist row is dropped).
    public var fftSize = 256
    /// Spectrograms: samples between frames.
    public var hopLength = 128
    /// Spectrograms: Griffin-Lim iterations when turning a generated spectrogram into sound.
    public var griffinLimIterations = 32

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sampleRate = "sample_rate", clipLength = "clip_length", representation
        case fftSize = "fft_size", hopLength = "hop_length", griffinLimIterations = "griffin_lim_iterations"
    }

    /// Waveform clips of `clipLength` samples at `sampleRate`.
    public init(sampleRate: Int = 16_000, clipLength: Int = 16_384, representation: Representation = .waveform,
                fftSize: Int = 256, hopLength: Int = 128, griffinLimIterations: Int = 32) {
        self.sampleRate = sampleRate
        self.clipLength = clipLength
        self.representation = representation
        self.fftSize = fftSize
        self.hopLength = hopLength
        self.griffinLimIterations = griffinLimIterations
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sampleRate = try c.decodeIfPresent(Int.self, forKey: .sampleRate) ?? sampleRate
        clipLength = try c.decodeIfPresent(Int.self, forKey: .clipLength) ?? clipLength
        if let name = try c.decodeIfPresent(String.self, forKey: .representation) {
            guard let value = Representation(rawValue: name) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.representation],
                    debugDescription: "unknown audio.representation '\(name)'; expected waveform or spectrogram"))
            }
            representation = value
        }
        fftSize = try c.decodeIfPresent(Int.self, forKey: .fftSize) ?? fftSize
        hopLength = try c.decodeIfPresent(Int.self, forKey: .hopLength) ?? hopLength
        griffinLimIterations = try c.decodeIfPresent(Int.self, forKey: .griffinLimIterations) ?? griffinLimIterations
    }

    /// The shape of one example the model reads and generates: `[1, clip_length]` or `[1, F, T]`.
    public var exampleShape: [Int] {
        switch representation {
        case .waveform: [1, clipLength]
        case .spectrogram: [1, fftSize / 2, 1 + clipLength / hopLength]
        }
    }

    /// The settings as compact JSON with sorted keys, for checkpoint metadata.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Values that decode but cannot work, each naming its key.
    func problems() -> [String] {
        var problems: [String] = []
        func require(_ ok: Bool, _ message: String) { if !ok { problems.append(message) } }
        require(sampleRate >= 1000 && sampleRate <= 192_000, "audio.sample_rate must lie in 1000...192000 Hz, got \(sampleRate)")
        require(clipLength > 0, "audio.clip_length must be positive, got \(clipLength)")
        if representation == .spectrogram {
            require(fftSize >= 16 && fftSize & (fftSize - 1) == 0, "audio.fft_size must be a power of two of at least 16, got \(fftSize)")
            require(hopLength > 0 && hopLength <= fftSize / 2,
                    "audio.hop_length must lie in 1...fft_size / 2 = \(fftSize / 2) for Griffin-Lim to invert it, got \(hopLength)")
            require(clipLength > fftSize, "audio.clip_length \(clipLength) must exceed audio.fft_size \(fftSize)")
            require(griffinLimIterations >= 0, "audio.griffin_lim_iterations must not be negative, got \(griffinLimIterations)")
        }
        return problems
    }
}
