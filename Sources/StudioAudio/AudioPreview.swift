import Foundation
import StudioIO

/// A picture of clips for eyes: one row per clip, its waveform above its log-magnitude
/// spectrogram (low frequencies at the bottom), rows separated by a dark gap.
public enum AudioPreview {
    /// Rows between clips.
    static let gap = 4

    /// An RGB image of `clips` (each any length), `width` pixels wide; each row is
    /// `waveformHeight + 1 + spectrogramHeight` pixels high. The spectrogram uses `stft` and `scale`
    /// and is stretched to the image's size by nearest neighbour.
    public static func image(clips: [[Float]], stft: STFT, scale: SpectrogramScale, width: Int = 512,
                             waveformHeight: Int = 64, spectrogramHeight: Int = 128) throws -> PNGImage {
        guard !clips.isEmpty else { throw AudioError("audio preview of no clips") }
        guard width > 0, waveformHeight > 1, spectrogramHeight > 0 else {
            throw AudioError("audio preview size \(width)x(\(waveformHeight)+\(spectrogramHeight)) is too small")
        }
        let rowHeight = waveformHeight + 1 + spectrogramHeight
        let height = clips.count * rowHeight + (clips.count - 1) * gap
        var pixels = [UInt8](repeating: 24, count: width * height * 3)
        func set(_ x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8)) {
            let i = (y * width + x) * 3
            pixels[i] = color.0; pixels[i + 1] = color.1; pixels[i + 2] = color.2
        }
        for (index, clip) in clips.enumerated() {
            let top = index * (rowHeight + gap)
            drawWaveform(clip, top: top, width: width, height: waveformHeight, set: set)
            for x in 0..<width { set(x, top + waveformHeight, (24, 24, 24)) }
            // Reflect padding needs more than fftSize / 2 samples; silence after a short clip is honest.
            var padded = clip
            if padded.count <= stft.fftSize { padded.append(contentsOf: repeatElement(0, count: stft.fftSize + 1 - padded.count)) }
            let spectrum = try stft.forward(padded)
            let magnitude = spectrum.magnitude
            let specTop = top + waveformHeight + 1
            for y in 0..<spectrogramHeight {
                let bin = (spectrogramHeight - 1 - y) * spectrum.binCount / spectrogramHeight
                for x in 0..<width {
                    let frame = x * spectrum.frameCount / width
                    let value = scale.value(ofMagnitude: magnitude[bin * spectrum.frameCount + frame])
                    set(x, specTop + y, color((value + 1) / 2))
                }
            }
        }
        return PNGImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// Draws the clip's min...max per column on white, with a grey zero line.
    private static func drawWaveform(_ clip: [Float], top: Int, width: Int, height: Int,
                                     set: (Int, Int, (UInt8, UInt8, UInt8)) -> Void) {
        let middle = (height - 1) / 2
        func row(_ v: Float) -> Int { Int(((1 - min(max(v, -1), 1)) / 2 * Float(height - 1)).rounded()) }
        for x in 0..<width {
            for y in 0..<height { set(x, top + y, (255, 255, 255)) }
            set(x, top + middle, (200, 200, 200))
            guard !clip.isEmpty else { continue }
            let low = x * clip.count / width
            let high = max(low + 1, (x + 1) * clip.count / width)
            var least = Float.infinity, most = -Float.infinity
            for v in clip[low..<min(high, clip.count)] where !v.isNaN {
                least = min(least, v)
                most = max(most, v)
            }
            // A column of NaN only (a diverged generator, say) stays blank.
            guard least <= most else { continue }
            for y in row(most)...row(least) { set(x, top + y, (31, 84, 160)) }
        }
    }

    /// A dark-to-bright colour for `t` in 0...1 (black, purple, orange, pale yellow: an inferno-like ramp);
    /// NaN is black.
    static func color(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let stops: [(Float, Float, Float)] = [(0, 0, 4), (87, 16, 110), (188, 55, 84), (249, 142, 9), (252, 255, 164)]
        let position = (t.isNaN ? 0 : min(max(t, 0), 1)) * Float(stops.count - 1)
        let i = min(Int(position), stops.count - 2)
        let f = position - Float(i)
        let a = stops[i], b = stops[i + 1]
        return (UInt8(a.0 + (b.0 - a.0) * f), UInt8(a.1 + (b.1 - a.1) * f), UInt8(a.2 + (b.2 - a.2) * f))
    }
}
