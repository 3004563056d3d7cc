import Foundation
import XCTest
import StudioCore
@testable import StudioIO

final class SafeTensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func sample() -> SafeTensors {
        SafeTensors(entries: [
            .init(name: "generator.0.weight", tensor: Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, 1e-7, -0])),
            .init(name: "generator.1.num_batches_tracked", tensor: Tensor(7), dtype: .int64),
            .init(name: "empty", tensor: Tensor(zeros: [0, 4])),
        ], metadata: ["config": "{\"kind\": \"dcgan\"}", "step": "500"])
    }

    func testRoundTripKeepsNamesShapesTypesAndMetadata() throws {
        let url = directory.appendingPathComponent("model.safetensors")
        try sample().write(to: url)
        let back = try SafeTensors.read(from: url)
        XCTAssertEqual(back.metadata, sample().metadata)
        XCTAssertEqual(back.entries.map(\.name), ["generator.0.weight", "generator.1.num_batches_tracked", "empty"])
        XCTAssertEqual(back["generator.0.weight"]?.scalars, [1, -2, 3.5, 0, 1e-7, -0])
        XCTAssertEqual(back.entries[1].dtype, .int64)
        XCTAssertEqual(back["generator.1.num_batches_tracked"]?.item, 7)
        XCTAssertEqual(back["empty"]?.shape, [0, 4])
        let bytes = try Data(contentsOf: url)
        XCTAssertEqual(Int(bytes[0]) % 8, 0, "header is padded to 8 bytes")
    }

    func testBytesRoundToTheNearestValueAndClamp() throws {
        let url = directory.appendingPathComponent("images.safetensors")
        try SafeTensors(entries: [.init(name: "images", tensor: Tensor(shape: [5], scalars: [0, 254.6, 300, -3, 17.4]), dtype: .uint8)])
            .write(to: url)
        let back = try SafeTensors.read(from: url)
        XCTAssertEqual(back.entries[0].dtype, .uint8)
        XCTAssertEqual(back["images"]?.scalars, [0, 255, 255, 0, 17])
    }

    func testReadsHalfAndBrainFloat() throws {
        // 1.0, -2.0 and the smallest subnormal in F16; 1.0 and -0.5 in BF16.
        let header = #"{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[6,10]}}"#
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x80, 0x3F, 0x00, 0xBF])
        let file = try SafeTensors.decode(data, path: "half.safetensors")
        XCTAssertEqual(file["h"]?.scalars, [1, -2, 0x1p-24])
        XCTAssertEqual(file["b"]?.scalars, [1, -0.5])
    }

    private func assertRejected(_ data: Data, mentioning phrase: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.decode(data, path: "bad.safetensors"), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("bad.safetensors: "), text, file: file, line: line)
            XCTAssertTrue(text.contains(phrase), "\(text) should mention \(phrase)", file: file, line: line)
        }
    }

    private func file(header: String, payload: Int) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: payload))
        return data
    }

    func testTruncatedFilesAreNamed() {
        let whole = sample().encoded()
        assertRejected(whole.prefix(5), mentioning: "too short")
        assertRejected(whole.prefix(40), mentioning: "runs past the end of the file")
        assertRejected(whole.prefix(whole.count - 4), mentioning: "truncated")
    }

    func testBadHeadersAreNamed() {
        assertRejected(file(header: "{not json", payload: 0), mentioning: "not valid JSON")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, payload: 12),
                       mentioning: "overlap")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, payload: 4),
                       mentioning: "run past the end")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, payload: 8),
                       mentioning: "needs 12 bytes")
        assertRejected(file(header: #"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, payload: 8),
                       mentioning: "unknown dtype")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, payload: 8),
                       mentioning: "belong to no tensor")
    }

    func testFailedWriteKeepsThePreviousFile() throws {
        let url = directory.appendingPathComponent("keep.safetensors")
        try sample().write(to: url)
        let before = try Data(contentsOf: url)
        let missing = directory.appendingPathComponent("no-such-dir/keep.safetensors")
        XCTAssertThrowsError(try sample().write(to: missing)) { error in
            XCTAssertTrue("\(error)".contains("no-such-dir"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: url), before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(leftovers, ["keep.safetensors"])
    }
}
