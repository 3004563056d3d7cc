import Foundation
import StudioTraining

/// Shows training progress: one self-overwriting line on a terminal, plain lines at intervals otherwise.
final class ProgressPrinter {
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastPlainLine = Date.distantPast
    private var lineOpen = false
    /// Prints nothing: the ranks of a data-parallel run other than rank 0.
    private let quiet: Bool

    init(quiet: Bool = false) {
        self.quiet = quiet
        // A pipe or file would otherwise hold plain progress lines back until the buffer fills.
        setvbuf(stdout, nil, _IOLBF, 0)
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case let .step(number, target, epoch, metrics, imagesPerSecond, secondsLeft):
            let values = metrics.map { "\($0.0) \(String(format: "%.4f", $0.1))" }.joined(separator: "  ")
            let line = "step \(number)/\(target)  epoch \(epoch)  \(values)  \(String(format: "%.0f", imagesPerSecond)) img/s  ETA \(Self.duration(secondsLeft))"
            progress(line, force: number == target || number == 1)
        case let .samples(url, step):
            message("samples at step \(step): \(url.path)")
        case let .checkpoint(url, step):
            message("checkpoint at step \(step): \(url.path)")
        }
    }

    /// The progress line: rewritten in place on a terminal; otherwise printed every 10 s, or when `force`d.
    func progress(_ line: String, force: Bool = false) {
        if quiet { return }
        if isTerminal {
            print("\r\(line)\u{1B}[K", terminator: "")
            lineOpen = true
            fflush(stdout)
        } else if Date().timeIntervalSince(lastPlainLine) >= 10 || force {
            print(line)
            lastPlainLine = Date()
        }
    }

    /// A line that stays on screen above the progress line.
    func message(_ text: String) {
        if quiet { return }
        if lineOpen {
            print("\r\u{1B}[K", terminator: "")
            lineOpen = false
        }
        print(text)
        fflush(stdout)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }
}
