import Foundation
import StudioAudio
import StudioIO
import XCTest

final class AudioPreviewTests: XCTestCase {
    private func pixel(_ image: PNGImage, _ x: Int, _ y: Int) -> [UInt8] {
        let i = (y * image.width + x) * 3
        return Array(image.pixels[i..<i + 3])
    }

    private func brightness(_ image: PNGImage, rows: Range<Int>) -> Double {
        var sum = 0.0
        for y in rows { for x in 0..<image.width { sum += pixel(image, x, y).reduce(0.0) { $0 + Double($1) } } }
        return sum / Double(rows.count * image.width)
    }

    func testOneRowPerClipWaveformAboveSpectrogram() throws {
        let stft = try STFT(fftSize: 32, hopLength: 8)
        let scale = SpectrogramScale.standard(fftSize: 32)
        let silence = [Float](repeating: 0, count: 400)
        let low = (0..<400).map { 0.9 * Float(sin(2 * Double.pi * 300 * Double($0) / 8000)) }
        let image = try AudioPreview.image(clips: [silence, low, [0.5]], stft: stft, scale: scale,
                                           width: 40, waveformHeight: 9, spectrogramHeight: 16)
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.width, 40)
        XCTAssertEqual(image.height, 3 * (9 + 1 + 16) + 2 * 4)
        // Silence: white waveform panel apart from the zero line, black spectrogram.
        XCTAssertEqual(pixel(image, 10, 0), [255, 255, 255])
        XCTAssertNotEqual(pixel(image, 10, 4), [255, 255, 255])
        XCTAssertEqual(pixel(image, 10, 15), [0, 0, 4])
        // The loud tone reaches the top of its waveform panel.
        let second = 26 + 4
        XCTAssertTrue((0..<40).contains { pixel(image, $0, second) != [255, 255, 255] })
        // A 300 Hz tone at 8 kHz lights the bottom rows of its spectrogram, not the top ones.
        let spectrogramTop = second + 10
        XCTAssertGreaterThan(brightness(image, rows: spectrogramTop + 12..<spectrogramTop + 16),
                             brightness(image, rows: spectrogramTop..<spectrogramTop + 4) + 100)
        // It writes and reads back as a PNG.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("genstudio-preview-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("preview.png")
        try image.write(to: url)
        XCTAssertEqual(try PNGImage.read(from: url, channels: 3), image)
    }

    /// Issue 20 item 6: NaN and infinite samples (a diverged generator, a bad file) draw, never trap.
    func testNaNAndInfiniteSamplesDrawWithoutCrashing() throws {
        let stft = try STFT(fftSize: 16, hopLength: 4)
        let allNaN = [Float](repeating: .nan, count: 100)
        var someNaN = (0..<100).map { Float(sin(Double($0) / 3)) }
        someNaN[10] = .nan
        someNaN[50] = .infinity
        someNaN[60] = -.infinity
        let image = try AudioPreview.image(clips: [allNaN, someNaN, [.nan]], stft: stft, scale: .standard(fftSize: 16),
                                           width: 20, waveformHeight: 9, spectrogramHeight: 8)
        XCTAssertEqual(image.height, 3 * (9 + 1 + 8) + 2 * 4)
        // The all-NaN clip leaves its waveform panel white apart from the zero line.
        XCTAssertEqual(image.pixels[0..<(20 * 3)].allSatisfy { $0 == 255 }, true)
    }

    func testNoClipsIsAnError() throws {
        let stft = try STFT(fftSize: 16, hopLength: 4)
        XCTAssertThrowsError(try AudioPreview.image(clips: [], stft: stft, scale: .standard(fftSize: 16)))
    }
}
