import Foundation
import StudioIO
@testable import StudioTraining
import XCTest

final class SpokenDigitsTests: XCTestCase {
    func testPlanIsLargeBalancedUniqueAndSplitBySpeaker() {
        let plan = SpokenDigitsMaker.plan()
        XCTAssertGreaterThanOrEqual(plan.count, 2000)
        XCTAssertEqual(Set(plan.map(\.relativePath)).count, plan.count)
        XCTAssertEqual(plan, SpokenDigitsMaker.plan())
        for split in ["train", "test"] {
            let counts = (0..<10).map { d in plan.filter { $0.split == split && $0.digit == d }.count }
            XCTAssertEqual(Set(counts).count, 1, "\(split) is unbalanced: \(counts)")
            XCTAssertGreaterThan(counts[0], 0)
        }
        let trainVoices = Set(plan.filter { $0.split == "train" }.map(\.voice))
        let testVoices = Set(plan.filter { $0.split == "test" }.map(\.voice))
        XCTAssertTrue(trainVoices.isDisjoint(with: testVoices))
        XCTAssertGreaterThan(Set(plan.map(\.pitch)).count, 3)
        XCTAssertGreaterThan(Set(plan.map(\.speed)).count, 3)
    }

    func testSynthesisesOneCentredSecondAt16kHz() throws {
        guard (try? ExternalCommand(executable: "espeak-ng", arguments: ["--version"]).run().status) == 0 else {
            throw XCTSkip("espeak-ng is not installed")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("genstudio-digits-test-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let utterance = SpokenDigitsMaker.Utterance(digit: 7, voice: "en-us+f2", pitch: 55, speed: 170, split: "train")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("train/7"), withIntermediateDirectories: true)
        let shortened = try SpokenDigitsMaker.synthesise(utterance, scratch: directory.appendingPathComponent("scratch.wav"), into: directory)
        XCTAssertFalse(shortened)
        let clip = try AudioFile.read(from: directory.appendingPathComponent(utterance.relativePath))
        XCTAssertEqual(clip.sampleRate, 16000)
        XCTAssertEqual(clip.samples.count, 16000)
        XCTAssertGreaterThan(clip.samples.map(abs).max()!, 0.1)
        // Trimmed and centred: silence at both ends, speech in the middle.
        XCTAssertEqual(clip.samples[0..<800].map(abs).max()!, 0)
        XCTAssertEqual(clip.samples[15200...].map(abs).max()!, 0)
        XCTAssertGreaterThan(clip.samples[7000..<9000].map(abs).max()!, 0.05)
    }

    func testAMissingEspeakNamesTheAptPackage() {
        XCTAssertThrowsError(try SpokenDigitsMaker.checkEspeak(program: "espeak-ng-not-here")) { error in
            XCTAssertTrue("\(error)".contains("apt-get install espeak-ng"), "\(error)")
        }
    }

    func testAnIncompleteDirectoryIsNotTakenForAFinishedSet() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("genstudio-digits-test-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = Array(SpokenDigitsMaker.plan().prefix(2))
        XCTAssertFalse(SpokenDigitsMaker.isComplete(directory, plan: plan))
        let manifest = "path,digit\n" + plan.map { "\($0.relativePath),\($0.digit)\n" }.joined()
        try Data(manifest.utf8).write(to: directory.appendingPathComponent("manifest.csv"))
        XCTAssertFalse(SpokenDigitsMaker.isComplete(directory, plan: plan))
        for u in plan {
            let url = directory.appendingPathComponent(u.relativePath)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AudioFile(samples: [0], sampleRate: 16000).writeWAV(to: url)
        }
        XCTAssertTrue(SpokenDigitsMaker.isComplete(directory, plan: plan))
        XCTAssertFalse(SpokenDigitsMaker.isComplete(directory, plan: SpokenDigitsMaker.plan()))
    }
}
