import Foundation
import StudioCore
import StudioIO
import StudioModels
import XCTest

/// The committed fixtures: 320 + 64 MNIST images, the tiny GAN recipe and its PyTorch twin's files.
enum Fixtures {
    static var directory: URL {
        get throws {
            try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "the test bundle has no Fixtures")
        }
    }

    static var mnistSmall: URL { get throws { try directory.appendingPathComponent("mnist-small") } }
    static var tinyRecipe: URL { get throws { try directory.appendingPathComponent("tiny-gan.toml") } }
    static var torchWeights: URL { get throws { try directory.appendingPathComponent("torch-twin.safetensors") } }
    static var torchExpected: URL { get throws { try directory.appendingPathComponent("torch-twin-expected.safetensors") } }

    /// `--set` overrides that point the tiny recipe at the fixture images.
    static var dataOverride: String { get throws { "data.path=\(try mnistSmall.path)" } }
}

/// A UNet small enough for debug builds, for 8x8 images: the config of StudioModelsTests' UNetTwinTests,
/// whose PyTorch fixture fixes its names and forward pass.
enum TinyUNet {
    static let config = UNetConfig(baseChannels: 8, channelMultipliers: [1, 2], blocksPerLevel: 1, attentionResolutions: [4],
                                   middleAttention: true, dropout: 0, groups: 4)
}

/// A tensor in a golden-value JSON fixture: float32 values printed as float64, and their shape.
struct FixtureTensor: Decodable {
    let shape: [Int]
    let values: [Double]
    var tensor: Tensor { Tensor(shape: Shape(shape), scalars: values.map { Float($0) }) }
}

/// A fresh directory under /tmp; the caller removes it.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("genstudio-training-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Bytes of a file, failing the test when it cannot be read.
func contents(of url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> Data {
    try XCTUnwrap(FileManager.default.contents(atPath: url.path), "cannot read \(url.path)", file: file, line: line)
}

/// Names in a directory, hidden ones included, sorted; empty when it does not exist.
func listing(_ url: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
}

// MARK: - Running the genstudio executable

/// How a `genstudio` process ended and what it printed.
struct ProcessResult {
    var status: Int32
    var reason: Process.TerminationReason
    var stdout: String
    var stderr: String

    var output: String { stdout + stderr }
}

/// The `genstudio` executable that `swift build --build-tests` puts beside the test bundle.
enum GenStudioExecutable {
    static func url() throws -> URL {
        let fm = FileManager.default
        var candidates: [URL] = []
        // The resource bundle and the test binary both live in the build products directory.
        candidates.append(Bundle.module.bundleURL.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for directory in candidates {
            let binary = directory.appendingPathComponent("genstudio")
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: binary.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               fm.isExecutableFile(atPath: binary.path) {
                return binary
            }
        }
        throw XCTSkip("the genstudio executable is not built (looked in \(candidates.map(\.path))); run swift build --build-tests")
    }

    /// Starts `genstudio arguments` with its output going to files in `logs`, as `ranks` MPI ranks
    /// under `mpirun` when given; the caller waits.
    static func launch(_ arguments: [String], logs: URL, ranks: Int? = nil) throws -> (Process, stdout: URL, stderr: URL) {
        let process = Process()
        if let ranks {
            process.executableURL = try MPIRun.url()
            process.arguments = MPIRun.arguments(ranks: ranks) + [try url().path] + arguments
        } else {
            process.executableURL = try url()
            process.arguments = arguments
        }
        // The same BLAS kernels as this test process, so that byte comparisons with in-process results hold.
        var environment = ProcessInfo.processInfo.environment
        environment["GENSTUDIO_BLAS_CORE"] = "inherit"
        // Containers often forbid the cross-process memory copies Open MPI tries first.
        environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        process.environment = environment
        let id = UUID().uuidString
        let out = logs.appendingPathComponent("stdout-\(id).txt"), err = logs.appendingPathComponent("stderr-\(id).txt")
        guard FileManager.default.createFile(atPath: out.path, contents: nil),
              FileManager.default.createFile(atPath: err.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: logs.path])
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, out, err)
    }

    /// Waits for `process`, killing it and failing after `timeout` seconds so that a hang cannot stall the suite.
    static func wait(_ process: Process, stdout: URL, stderr: URL, timeout: TimeInterval = 120,
                     file: StaticString = #filePath, line: UInt = #line) -> ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning {
            XCTFail("genstudio \(process.arguments ?? []) did not finish in \(timeout) s", file: file, line: line)
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        let text = { (url: URL) in String(decoding: FileManager.default.contents(atPath: url.path) ?? Data(), as: UTF8.self) }
        return ProcessResult(status: process.terminationStatus, reason: process.terminationReason,
                             stdout: text(stdout), stderr: text(stderr))
    }

    /// Runs `genstudio arguments` to completion, as `ranks` MPI ranks when given.
    static func run(_ arguments: [String], logs: URL, ranks: Int? = nil,
                    file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        let (process, out, err) = try launch(arguments, logs: logs, ranks: ranks)
        return wait(process, stdout: out, stderr: err, file: file, line: line)
    }
}

/// Open MPI's launcher, which `scripts/install-deps` installs.
enum MPIRun {
    static func url() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw XCTSkip("mpirun is not installed (scripts/install-deps installs openmpi-bin)")
    }

    /// `ranks` processes on this machine, whatever its core count, as root too (CI runs as root).
    static func arguments(ranks: Int) -> [String] {
        ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", String(ranks)]
    }
}

/// Asserts that `result` is a clean refusal: a normal non-zero exit, every phrase in the message,
/// and no crash report (a trap prints "Fatal error" and a backtrace).
func assertCleanFailure(_ result: ProcessResult, mentions phrases: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(result.reason, .exit, "killed by signal \(result.status): \(result.output)", file: file, line: line)
    XCTAssertNotEqual(result.status, 0, "should have failed: \(result.output)", file: file, line: line)
    for crashSign in ["Fatal error", "Backtrace", "Stack dump", "Current stack trace"] {
        XCTAssertFalse(result.output.contains(crashSign), "crashed: \(result.output)", file: file, line: line)
    }
    for phrase in phrases {
        XCTAssertTrue(result.stderr.contains(phrase), "'\(result.stderr)' should mention '\(phrase)'", file: file, line: line)
    }
}

/// Asserts that `result` is a successful run.
func assertSuccess(_ result: ProcessResult, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(result.reason, .exit, "killed by signal \(result.status): \(result.output)", file: file, line: line)
    XCTAssertEqual(result.status, 0, "failed: \(result.output)", file: file, line: line)
}

// MARK: - Hand-made safetensors files

/// The bytes of a safetensors file with `header` (JSON text) followed by `dataLength` zero bytes,
/// for headers no well-behaved writer would produce.
func rawSafeTensors(header: String, dataLength: Int) -> Data {
    var data = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array(header.utf8))
    data.append(Data(count: dataLength))
    return data
}

/// Runs trained once for a whole test class: `train` fills a temporary root in the class's `setUp`,
/// every test rethrows its failure through `check()`, and `remove()` deletes the root in `tearDown`.
final class SharedRuns {
    private(set) var root: URL!
    private var failure: Error?

    init(training train: (URL) throws -> Void) {
        do {
            root = try makeTemporaryDirectory()
            try train(root)
        } catch {
            failure = error
        }
    }

    /// Rethrows the training failure, if any, so that each dependent test fails with its cause.
    func check() throws {
        if let failure { throw failure }
    }

    func remove() {
        if let root { try? FileManager.default.removeItem(at: root) }
    }
}

/// Every regular file under `root` by relative path, with its bytes.
func files(in root: URL) throws -> [String: Data] {
    var result: [String: Data] = [:]
    let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
    for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
        result[String(url.path.dropFirst(root.path.count + 1))] = try Data(contentsOf: url)
    }
    return result
}
