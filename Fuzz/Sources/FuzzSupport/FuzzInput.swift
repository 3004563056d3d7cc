import CFuzzer
import Foundation

/// What every harness shares: libFuzzer's driver, a scratch file for readers that take a path, and
/// the oracle that a rejected input got a clean error naming the file.
public enum FuzzInput {
    private static var test: ((Data) -> Void)?

    /// Hands the process to libFuzzer, which calls `test` with each input it makes (the command line
    /// is libFuzzer's: corpus directories, `-max_total_time=`, a crasher file to replay).
    public static func run(_ test: @escaping (Data) -> Void) -> Never {
        self.test = test
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, size in fuzzTestOneInput(bytes, size) })
    }

    fileprivate static func runTest(_ bytes: UnsafePointer<UInt8>?, _ size: Int) {
        test!(bytes.map { Data(bytes: $0, count: size) } ?? Data())
    }

    /// A directory of this process's own, made once; readers that take a path read files in it.
    public static let scratch: URL = {
        let base = ProcessInfo.processInfo.environment["FUZZ_SCRATCH"] ?? NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("genstudio-fuzz-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            fatalError("fuzz harness: cannot create the scratch directory \(url.path): \(error)")
        }
        // The directory goes when the fuzzer exits normally; a crash leaves it for inspection.
        atexit { try? FileManager.default.removeItem(at: FuzzInput.scratch) }
        return url
    }()

    /// Writes `data` to `name` in the scratch directory, replacing the previous input, and returns its URL.
    public static func file(_ name: String, holding data: Data) -> URL {
        let url = scratch.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: url.path, contents: data) else {
            fatalError("fuzz harness: cannot write \(url.path)")
        }
        return url
    }

    /// Runs `read`; a thrown error passes when its message names `path` (the file a user would have
    /// to look at), and any other outcome than a value or such an error stops the fuzzer.
    public static func expectCleanFailure(naming path: String, _ read: () throws -> Void) {
        do {
            try read()
        } catch {
            let message = "\(error)"
            guard message.contains(path) else {
                fatalError("fuzz harness: the error does not name \(path): \(message)")
            }
        }
    }
}

/// libFuzzer's usual entry point, which its runtime's own `main` (linked in unless the linker drops
/// unused sections) refers to; the same test as `FuzzInput.run` hands to the driver.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzInput.runTest(bytes, size)
    return 0
}
