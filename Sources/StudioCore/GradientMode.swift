#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether operations on this thread record a graph; per thread so that concurrent jobs do not
/// switch each other's mode.
enum GradientMode {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// A non-nil value under the key means recording is off.
    private static let offMarker = UnsafeMutableRawPointer(bitPattern: 1)!

    static var isEnabled: Bool {
        get { pthread_getspecific(key) == nil }
        set { pthread_setspecific(key, newValue ? nil : offMarker) }
    }

    static func with<R>(enabled: Bool, _ body: () throws -> R) rethrows -> R {
        let saved = isEnabled
        isEnabled = enabled
        defer { isEnabled = saved }
        return try body()
    }
}

/// Runs `body` without recording a graph: inference, optimizer updates, metrics.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.with(enabled: false, body)
}

/// Runs `body` recording a graph even inside `withoutGradients`.
public func withGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.with(enabled: true, body)
}

/// Whether operations on the current thread are recorded for differentiation.
public var isRecordingGradients: Bool { GradientMode.isEnabled }
