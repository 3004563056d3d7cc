import FuzzSupport
import StudioIO

// An audio file (WAV, FLAC, OGG, whatever libsndfile recognises) decoded from memory.
FuzzInput.run { data in
    let name = "fuzz/clip.wav"
    FuzzInput.expectCleanFailure(naming: name) {
        let clip = try AudioFile.decode(data, name: name)
        precondition(!clip.samples.isEmpty && clip.sampleRate > 0, "AudioFile: an empty clip or a rate of \(clip.sampleRate) Hz was accepted")
    }
}
