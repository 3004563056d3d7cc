import Foundation

/// Shows the denoising steps: one self-overwriting line on a terminal, a line per tenth otherwise.
final class DenoisingProgress {
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastTenth = -1
    private var shown = false
    private let start = Date()
    private let label: String

    init(label: String = "denoising step") { self.label = label }

    func update(_ done: Int, _ total: Int) {
        shown = true
        let elapsed = Date().timeIntervalSince(start)
        let line = "\(label) \(done)/\(total)  \(String(format: "%.1f", elapsed)) s"
        if isTerminal {
            print("\r\(line)\u{1B}[K", terminator: "")
            fflush(stdout)
        } else if done * 10 / total > lastTenth {
            lastTenth = done * 10 / total
            print(line)
        }
    }

    func finish() {
        if isTerminal && shown { print("") }
    }
}
