import Foundation
import XCTest
import StudioCore
import StudioOptim

/// Schedules against `torch.optim.lr_scheduler`: `rate(atStep: k)` is the rate PyTorch gives the
/// optimizer step that follows `k` calls of `scheduler.step()`.
final class LearningRateScheduleTests: XCTestCase {
    private func schedule(_ c: OptimizerFixture.ScheduleCase) -> LearningRateSchedule {
        let decay: LearningRateSchedule.Decay
        switch c.decay {
        case "step": decay = .step(size: c.stepSize!, gamma: Float(c.gamma!))
        case "cosine": decay = .cosine(steps: c.steps!, minimumRate: Float(c.minimumRate!))
        case "linear": decay = .linear(steps: c.steps!, finalRate: Float(c.minimumRate!))
        default: decay = .constant
        }
        return LearningRateSchedule(baseRate: Float(c.base), decay: decay, warmupSteps: c.warmupSteps,
                                    warmupStartFactor: Float(c.warmupStartFactor))
    }

    func testSchedulesMatchPyTorch() throws {
        let fixture = try OptimizerFixture.load()
        XCTAssertEqual(fixture.schedules.map(\.name), ["step", "cosine", "warmup", "warmup_cosine", "warmup_step", "linear", "warmup_linear"])
        for c in fixture.schedules {
            let s = schedule(c)
            for (step, expected) in c.rates.enumerated() {
                XCTAssertEqual(s.rate(atStep: step), Float(expected), accuracy: Float(expected) * 1e-6,
                               "\(c.name) at step \(step)")
            }
        }
    }

    func testCosineHoldsItsMinimumAfterItsSteps() {
        let s = LearningRateSchedule(baseRate: 1, decay: .cosine(steps: 4, minimumRate: 0.1), warmupSteps: 2)
        XCTAssertEqual(s.rate(atStep: 3), Float(0.1 + 0.9 * (1 + cos(Double.pi / 4)) / 2), accuracy: 1e-6)
        XCTAssertEqual(s.rate(atStep: 4), 0.55, accuracy: 1e-6)
        XCTAssertEqual(s.rate(atStep: 6), 0.1)
        XCTAssertEqual(s.rate(atStep: 1000), 0.1)
    }

    func testWarmupStartsAtItsFactorAndConstantStaysPut() {
        let s = LearningRateSchedule(baseRate: 0.2, warmupSteps: 4)
        XCTAssertEqual((0..<6).map { s.rate(atStep: $0) }, [0, 0.05, 0.1, 0.15, 0.2, 0.2].map(Float.init))
        XCTAssertEqual(LearningRateSchedule.constant(3e-4).rate(atStep: 12345), 3e-4)
    }

    func testApplyScheduleSetsTheOptimizerRate() {
        let optimizer = SGD(parameters: [Parameter(Tensor([1]))], learningRate: 1)
        optimizer.applySchedule(LearningRateSchedule(baseRate: 0.5, decay: .step(size: 2, gamma: 0.1)), atStep: 3)
        XCTAssertEqual(optimizer.learningRate, 0.05, accuracy: 1e-8)
    }

    func testScheduleRoundTripsThroughJSON() throws {
        let s = LearningRateSchedule(baseRate: 1e-3, decay: .cosine(steps: 100, minimumRate: 1e-5),
                                     warmupSteps: 10, warmupStartFactor: 0.1)
        let decoded = try JSONDecoder().decode(LearningRateSchedule.self, from: JSONEncoder().encode(s))
        XCTAssertEqual(decoded, s)
    }

    func testDecodingRejectsUnusableSchedules() throws {
        let decoded = try JSONDecoder().decode(LearningRateSchedule.self, from: Data(#"{"baseRate": 0.1}"#.utf8))
        XCTAssertEqual(decoded, .constant(0.1), "decay and warm-up default to none")
        let bad = [#"{"baseRate": 0.1, "decay": {"step": {"size": 0, "gamma": 0.5}}}"#,
                   #"{"baseRate": 0.1, "decay": {"cosine": {"steps": -3, "minimumRate": 0}}}"#,
                   #"{"baseRate": 0.1, "warmupSteps": -1}"#,
                   #"{"baseRate": 0.1, "warmupSteps": 5, "warmupStartFactor": 2}"#]
        for json in bad {
            XCTAssertThrowsError(try JSONDecoder().decode(LearningRateSchedule.self, from: Data(json.utf8)), json) { error in
                XCTAssertTrue("\(error)".contains("learning-rate schedule"), "\(error)")
            }
        }
    }
}
