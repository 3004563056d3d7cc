import Foundation
import Synchronization

/// Set by SIGINT/SIGTERM; the training loop polls it between steps, so a step is never cut in half.
enum StopSignal {
    private static let flag = Atomic<Bool>(false)

    static var isRaised: Bool { flag.load(ordering: .relaxed) }

    /// Routes SIGINT and SIGTERM to the flag; a second signal exits at once.
    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { _ in
                if StopSignal.flag.exchange(true, ordering: .relaxed) { _exit(130) }
            }
        }
    }
}
