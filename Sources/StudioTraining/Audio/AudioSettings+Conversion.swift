import Foundation
import StudioAudio
import StudioCore
import StudioIO

extension AudioSettings {
    /// The STFT of the spectrogram representation.
    func stft() throws -> STFT { try STFT(fftSize: fftSize, hopLength: hopLength) }

    /// Where image values meet decibels: the fixed scale of `fft_size`, so that a generated
    /// spectrogram maps back to magnitudes with nothing but the recipe's settings.
    var spectrogramScale: SpectrogramScale { .standard(fftSize: fftSize) }

    /// The clips of `folder` as the model's examples, `[N] + exampleShape` in -1...1, with its labels.
    public func examples(of folder: AudioFolderDataset) throws -> SignalDataset {
        precondition(folder.clipLength == clipLength, "AudioSettings.examples: clips of \(folder.clipLength) samples, settings say \(clipLength)")
        return try examples(ofClips: folder.samples, labels: folder.labels)
    }

    /// Clips of `clip_length` samples at `sample_rate`, row-major `[N * clip_length]`, as the
    /// model's examples `[N] + exampleShape` in -1...1 with `labels` (empty or one per clip).
    public func examples(ofClips samples: [Float], labels: [Int]) throws -> SignalDataset {
        precondition(samples.count % clipLength == 0, "AudioSettings.examples: \(samples.count) samples are not whole clips of \(clipLength)")
        let count = samples.count / clipLength
        let shape = Shape([count] + exampleShape)
        switch representation {
        case .waveform:
            // Decoded PCM may overshoot full scale by a hair after resampling; the model's range is -1...1.
            return SignalDataset(shape: shape, values: samples.map { min(max($0, -1), 1) }, labels: labels)
        case .spectrogram:
            let stft = try stft()
            var values: [Float] = []
            values.reserveCapacity(shape.elementCount)
            for n in 0..<count {
                let clip = Array(samples[n * clipLength..<(n + 1) * clipLength])
                values += try stft.logMagnitudeImage(of: clip, scale: spectrogramScale, dropsNyquist: true).scalars
            }
            return SignalDataset(shape: shape, values: values, labels: labels)
        }
    }

    /// Generated examples `[N] + exampleShape` (values in -1...1) as clips of `clip_length`
    /// samples; spectrograms go through Griffin-Lim with initial phases from `seed` (clip i uses
    /// `seed + i`), so the same seed gives the same bytes.
    public func clips(from examples: Tensor, seed: UInt64) throws -> [[Float]] {
        guard Array(examples.shape.dimensions.dropFirst()) == exampleShape else {
            throw AudioError("generated examples are \(examples.shape); this audio model makes \(exampleShape) per clip")
        }
        let count = examples.shape[0], size = exampleShape.reduce(1, *)
        let scalars = examples.scalars
        switch representation {
        case .waveform:
            return (0..<count).map { Array(scalars[$0 * size..<($0 + 1) * size]) }
        case .spectrogram:
            let griffinLim = GriffinLim(stft: try stft(), iterations: griffinLimIterations)
            return try (0..<count).map { n in
                let image = Tensor(shape: Shape(exampleShape), scalars: Array(scalars[n * size..<(n + 1) * size]))
                return try griffinLim.waveform(fromImage: image, scale: spectrogramScale, length: clipLength,
                                               seed: seed &+ UInt64(n))
            }
        }
    }

    /// The preview picture of `clips`: each clip's waveform above its spectrogram.
    public func preview(of clips: [[Float]]) throws -> PNGImage {
        let fft = min(256, max(16, fftSize))
        let previewSTFT = try STFT(fftSize: fft, hopLength: fft / 4)
        return try AudioPreview.image(clips: clips, stft: previewSTFT, scale: .standard(fftSize: fft))
    }
}
