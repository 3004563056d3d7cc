import Foundation
import XCTest
@testable import StudioIO

final class TensorBoardWriterTests: XCTestCase {
    func testCRC32CMatchesTheCastagnoliCheckValue() {
        XCTAssertEqual(CRC32C.checksum(Data("123456789".utf8)), 0xE306_9283)
    }

    /// Reads the TFRecord frames back, checking both checksums of each.
    private func records(_ data: Data) throws -> [Data] {
        var result: [Data] = []
        var offset = 0
        while offset < data.count {
            let lengthBytes = data.subdata(in: offset..<offset + 8)
            let length = lengthBytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            let lengthCRC = data.subdata(in: offset + 8..<offset + 12).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            XCTAssertEqual(lengthCRC, CRC32C.masked(lengthBytes))
            let payload = data.subdata(in: offset + 12..<offset + 12 + Int(length))
            let payloadCRC = data.subdata(in: offset + 12 + Int(length)..<offset + 16 + Int(length))
                .withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            XCTAssertEqual(payloadCRC, CRC32C.masked(payload))
            result.append(payload)
            offset += 16 + Int(length)
        }
        return result
    }

    func testEventsAreFramedAndEncoded() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try TensorBoardWriter(directory: directory, wallTime: 1000)
        try writer.addScalar("loss/D", 0.5, step: 7, wallTime: 1001)
        let png = try PNGImage(width: 1, height: 1, channels: 1, pixels: [200]).encoded()
        try writer.addImage("samples", png: png, width: 1, height: 1, channels: 1, step: 7, wallTime: 1002)
        try writer.flush()
        XCTAssertTrue(writer.url.lastPathComponent.hasPrefix("events.out.tfevents.1000."))
        let frames = try records(try Data(contentsOf: writer.url))
        XCTAssertEqual(frames.count, 3)
        // wall_time 1000.0 as field 1 (double), step 0, file_version "brain.Event:2".
        XCTAssertEqual([UInt8](frames[0].prefix(9)), [0x09, 0, 0, 0, 0, 0, 0x40, 0x8F, 0x40])
        XCTAssertTrue(String(decoding: frames[0], as: UTF8.self).hasSuffix("brain.Event:2"))
        // The scalar event: step 7, then summary { value { tag "loss/D", simple_value 0.5 } }.
        let scalar = [UInt8](frames[1].dropFirst(9))
        XCTAssertEqual(scalar, [0x10, 7, 0x2A, 15, 0x0A, 13, 0x0A, 6] + Array("loss/D".utf8) + [0x15, 0, 0, 0, 0x3F])
        XCTAssertTrue(frames[2].range(of: png) != nil, "the PNG bytes are embedded")
    }

    /// `hex` as bytes.
    private func bytes(hex: String) -> Data {
        var data = Data()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            data.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return data
    }

    func testHyperparametersMatchTensorBoardsOwnHParamsProtos() throws {
        // Made by Fixtures/make_hparams_fixture.py with TensorBoard's HParams protos.
        let url = try XCTUnwrap(Bundle.module.resourceURL).appendingPathComponent("Fixtures/hparams.json")
        let fixture = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try TensorBoardWriter(directory: directory, wallTime: 1000)
        let values: [String: HyperparameterValue] = [
            "train.lr": .number(0.0002), "model.family": .string("dcgan"), "model.ema": .bool(false), "train.batch": .number(64),
        ]
        try writer.addHyperparameters(values, metrics: ["loss_d", "test_accuracy"], wallTime: 1234.5)
        try writer.flush()
        let frames = try records(try Data(contentsOf: writer.url))
        XCTAssertEqual(frames.count, 3)
        for (frame, key) in zip(frames.dropFirst(), ["experiment_summary", "session_start_summary"]) {
            let summary = bytes(hex: try XCTUnwrap(fixture[key] as? String))
            // Event { wall_time, step 0, summary (field 5) }: the summary is the frame's last field.
            XCTAssertEqual([UInt8](frame.prefix(11)), [0x09, 0, 0, 0, 0, 0, 0x4A, 0x93, 0x40, 0x10, 0], key)
            XCTAssertEqual(frame.count, 11 + 1 + (summary.count < 128 ? 1 : 2) + summary.count, key)
            XCTAssertEqual(frame.suffix(summary.count), summary, key)
        }
    }
}
