import Foundation
import XCTest
@testable import StudioTraining

final class MetricsLogTests: XCTestCase {
    private var run: RunDirectory!

    override func setUpWithError() throws {
        run = RunDirectory(url: try makeTemporaryDirectory())
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: run.url)
    }

    private func text(_ url: URL) throws -> String {
        String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }

    func testMissingValuesAreEmptyInCSVAndDivergedOnesReadableByPython() throws {
        let log = try MetricsLog(run: run, columns: ["loss", "test_loss"])
        try log.append(step: 1, [0.5, nil])
        try log.append(step: 2, [.nan, 0.25])
        try log.append(step: 3, [.infinity, -.infinity])
        XCTAssertEqual(try text(run.metricsCSV), "step,loss,test_loss\n1,0.5,\n2,nan,0.25\n3,inf,-inf\n")
        XCTAssertEqual(try text(run.metricsJSONL), """
            {"step":1,"loss":0.5,"test_loss":null}
            {"step":2,"loss":null,"test_loss":0.25}
            {"step":3,"loss":null,"test_loss":null}

            """)
    }

    func testReplaceLastRewritesOnlyTheLastRowAndLaterRowsFollowIt() throws {
        let log = try MetricsLog(run: run, columns: ["loss", "test_loss"])
        try log.append(step: 1, [0.5, nil])
        try log.append(step: 2, [0.4, nil])
        try log.replaceLast(step: 2, [0.4, 0.75])
        try log.append(step: 3, [0.3, nil])
        XCTAssertEqual(try text(run.metricsCSV), "step,loss,test_loss\n1,0.5,\n2,0.4,0.75\n3,0.3,\n")
        XCTAssertEqual(try text(run.metricsJSONL).split(separator: "\n")[1], #"{"step":2,"loss":0.4,"test_loss":0.75}"#)
    }

    func testResumingDropsLaterRowsAndClearsTheStopMeasurementOfItsStep() throws {
        var log: MetricsLog? = try MetricsLog(run: run, columns: ["loss", "test_loss"])
        try log?.append(step: 1, [0.5, 0.9])
        try log?.append(step: 2, [0.4, 0.8])
        try log?.append(step: 3, [0.3, nil])
        log = nil
        log = try MetricsLog(run: run, columns: ["loss", "test_loss"], resumingAt: 2, clearing: ["test_loss"])
        XCTAssertEqual(try text(run.metricsCSV), "step,loss,test_loss\n1,0.5,0.9\n2,0.4,\n")
        XCTAssertEqual(try text(run.metricsJSONL), """
            {"step":1,"loss":0.5,"test_loss":0.9}
            {"step":2,"loss":0.4,"test_loss":null}

            """)
    }
}
