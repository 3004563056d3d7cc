import Foundation
import StudioIO
import XCTest
@testable import StudioTraining

/// What a finished semi-supervised run (GAN or VAE) on the mnist-small fixture, two labelled images
/// per class, must show whatever its family.
enum SemiSupervisedRunChecks {
    /// The final `test_accuracy` of the run (the last column of metrics.csv, whose header must be `header`).
    static func finalTestAccuracy(of run: URL, header: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
        let lines = metrics.split(separator: "\n")
        XCTAssertEqual(lines.first.map(String.init), header, file: file, line: line)
        let accuracy = try XCTUnwrap(Double(try XCTUnwrap(lines.last?.split(separator: ",", omittingEmptySubsequences: false).last)),
                                     file: file, line: line)
        XCTAssertTrue((0...1).contains(accuracy), "\(accuracy)", file: file, line: line)
        return accuracy
    }

    /// The run's `labelled.json`, after checking it names two examples of each class, class by class.
    static func labelled(of run: URL, file: StaticString = #filePath, line: UInt = #line) throws -> ClassSubset {
        let labelled = try JSONDecoder().decode(ClassSubset.self, from: try contents(of: run.appendingPathComponent(TrainingJob.labelledFileName)))
        let train = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train)
        XCTAssertEqual(labelled.indices.map { train.labels[$0] }, (0..<10).flatMap { [$0, $0] }, file: file, line: line)
        return labelled
    }

    /// A resumed run must draw the labelled examples it started with: it resumes as it is, and refuses
    /// once `labelled.json` names others.
    static func assertResumeKeepsItsLabelledExamples(_ run: URL, labelled: ClassSubset,
                                                     file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertNoThrow(try TrainingJob.resume(run), file: file, line: line)
        var other = labelled
        other.indices.swapAt(0, 2)
        try JSONEncoder().encode(other).write(to: run.appendingPathComponent(TrainingJob.labelledFileName))
        XCTAssertThrowsError(try TrainingJob.resume(run), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains("now draws other labelled examples"), "\(error)", file: file, line: line)
        }
    }
}
