import Foundation
import StudioIO

/// Makes a stand-in for the SC09 spoken-digit set on a machine without internet (DESIGN section 8):
/// "zero" to "nine" spoken by Debian's espeak-ng with many voices, pitches and speeds, as 16 kHz
/// mono one-second WAV files in `<out>/{train,test}/<digit>/`, plus `manifest.csv`.
public enum SpokenDigitsMaker {
    /// The spoken words, index = digit = class folder name.
    public static let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    /// espeak-ng's English voices (accents) that need no extra data package.
    public static let accents = ["en", "en-029", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
                                 "en-gb-x-rp", "en-us", "en-us-nyc"]
    /// espeak-ng voice variants: the "speakers" within an accent.
    public static let variants = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8",
                                  "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3"]
    /// espeak-ng pitches (0...99) and speeds (words per minute) the settings are drawn from.
    static let pitches = [25, 40, 55, 70, 85]
    static let speeds = [130, 150, 170, 190]
    /// Settings per speaker and word.
    static let settingsPerSpeaker = 3
    /// Every `testEvery`-th speaker goes to the test split, so that test voices are unseen in training.
    static let testEvery = 8

    /// The sample rate of the written clips.
    public static let sampleRate = 16000
    /// The length of every written clip in samples (one second).
    public static let clipLength = 16000

    /// One clip to synthesise.
    public struct Utterance: Equatable, Sendable {
        /// 0...9.
        public var digit: Int
        /// The espeak-ng voice, `accent+variant`.
        public var voice: String
        /// espeak-ng `-p`.
        public var pitch: Int
        /// espeak-ng `-s`.
        public var speed: Int
        /// "train" or "test".
        public var split: String

        /// `<split>/<digit>/<voice>_p<pitch>_s<speed>.wav`.
        public var relativePath: String { "\(split)/\(digit)/\(voice)_p\(pitch)_s\(speed).wav" }
    }

    /// Every clip of the set, in a fixed order: speakers (accent x variant) in the listed order,
    /// three (pitch, speed) settings each, ten words each. 8 x 16 x 3 x 10 = 3840 clips.
    public static func plan() -> [Utterance] {
        var plan: [Utterance] = []
        var speaker = 0
        for accent in accents {
            for variant in variants {
                let split = speaker % testEvery == testEvery - 1 ? "test" : "train"
                for k in 0..<settingsPerSpeaker {
                    let pitch = pitches[(speaker + 2 * k) % pitches.count]
                    let speed = speeds[(speaker * 3 + k) % speeds.count]
                    for digit in 0..<10 {
                        plan.append(Utterance(digit: digit, voice: "\(accent)+\(variant)", pitch: pitch, speed: speed, split: split))
                    }
                }
                speaker += 1
            }
        }
        return plan
    }

    /// What `make` did.
    public struct Summary: Sendable {
        /// Clips written (0 when a complete set was already there).
        public var written: Int
        /// Clips in the set.
        public var total: Int
        /// Clips whose trimmed speech was longer than a second and lost its ends.
        public var shortened: Int
    }

    /// Writes the set into `directory` with `workers` (1 or 2) espeak-ng processes at a time,
    /// unless `manifest.csv` and every clip it lists are already there. `progress(done, total)` is
    /// called, serially, after each clip. A missing espeak-ng is a `DatasetError` naming the package.
    public static func make(into directory: URL, workers: Int = 2,
                            progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let plan = plan()
        let manifestURL = directory.appendingPathComponent("manifest.csv")
        if isComplete(directory, plan: plan) { return Summary(written: 0, total: plan.count, shortened: 0) }
        try checkEspeak()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("genstudio-digits-\(getpid())")
        try? FileManager.default.removeItem(at: work)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        for split in ["train", "test"] {
            for digit in 0..<10 {
                try FileManager.default.createDirectory(at: directory.appendingPathComponent("\(split)/\(digit)"),
                                                        withIntermediateDirectories: true)
            }
        }
        // Old manifest out first: an interrupted run must not look complete.
        try? FileManager.default.removeItem(at: manifestURL)

        let state = SharedProgress()
        let workerCount = max(1, min(workers, 2))
        DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
            let scratch = work.appendingPathComponent("worker-\(worker).wav")
            for index in stride(from: worker, to: plan.count, by: workerCount) {
                if state.failed { return }
                do {
                    let shortened = try synthesise(plan[index], scratch: scratch, into: directory)
                    state.finish(shortened: shortened, total: plan.count, progress: progress)
                } catch {
                    state.fail(error)
                    return
                }
            }
        }
        if let error = state.error { throw error }
        var manifest = "path,digit,word,split,voice,pitch,speed\n"
        for u in plan {
            manifest += "\(u.relativePath),\(u.digit),\(words[u.digit]),\(u.split),\(u.voice),\(u.pitch),\(u.speed)\n"
        }
        try AtomicFile.write(Data(manifest.utf8), to: manifestURL)
        return Summary(written: plan.count, total: plan.count, shortened: state.shortened)
    }

    /// Speaks one word, converts it to 16 kHz, trims the silence around it and centres it in one
    /// second; returns whether the speech itself was longer than a second.
    static func synthesise(_ u: Utterance, scratch: URL, into directory: URL) throws -> Bool {
        let result = try ExternalCommand(executable: "espeak-ng", arguments: [
            "-v", u.voice, "-p", String(u.pitch), "-s", String(u.speed), "-w", scratch.path, words[u.digit],
        ]).run()
        guard result.status == 0 else {
            throw DatasetError("espeak-ng failed for \(u.relativePath) (status \(result.status)): \(result.output)")
        }
        let speech = try AudioFile.read(from: scratch).resampled(to: sampleRate).trimmingSilence(thresholdDecibels: 40)
        guard !speech.samples.isEmpty else { throw DatasetError("espeak-ng produced silence for \(u.relativePath)") }
        let clip = AudioFile(samples: AudioFolderDataset.centred(speech.samples, length: clipLength), sampleRate: sampleRate)
        // Not flushed one by one: the manifest, written durably last, is what marks the set complete.
        try clip.writeWAV(to: directory.appendingPathComponent(u.relativePath), format: .pcm16, durable: false)
        return speech.samples.count > clipLength
    }

    /// Fails with the apt package to install when espeak-ng cannot be run.
    static func checkEspeak(program: String = "espeak-ng") throws {
        let missing = DatasetError("""
            espeak-ng is not installed, and it speaks the digits. Install Debian's package first: \
            sudo apt-get install espeak-ng
            """)
        guard let result = try? ExternalCommand(executable: program, arguments: ["--version"]).run() else { throw missing }
        // /usr/bin/env exits with 127 when the program is not on PATH.
        guard result.status == 0 else { throw result.status == 127 ? missing : DatasetError("\(program) --version failed: \(result.output)") }
    }

    /// Whether `manifest.csv` is there and lists exactly the planned clips, all present.
    static func isComplete(_ directory: URL, plan: [Utterance]) -> Bool {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("manifest.csv"), encoding: .utf8) else { return false }
        let listed = text.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        guard listed == plan.map(\.relativePath) else { return false }
        return listed.allSatisfy { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
    }
}

/// Progress and the first error shared by the generating threads.
private final class SharedProgress: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var done = 0
    private(set) var shortened = 0
    private(set) var error: Error?

    var failed: Bool { lock.withLock { error != nil } }

    func finish(shortened wasShortened: Bool, total: Int, progress: (Int, Int) -> Void) {
        lock.withLock {
            done += 1
            if wasShortened { shortened += 1 }
            progress(done, total)
        }
    }

    func fail(_ error: Error) {
        lock.withLock { if self.error == nil { self.error = error } }
    }
}
