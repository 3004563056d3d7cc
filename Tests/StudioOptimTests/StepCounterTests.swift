import XCTest
import StudioCore
@testable import StudioOptim

/// Float32 step counters: exact up to 2^24, then held there as PyTorch's Float32 `step` is, never a trap.
final class StepCounterTests: XCTestCase {
    func testCountersPastTwoToTheTwentyFourStayThereInsteadOfTrapping() {
        XCTAssertEqual(StepCounter.tensor(7).scalars, [7])
        XCTAssertEqual(StepCounter.tensor(1 << 24).scalars, [16_777_216])
        XCTAssertEqual(StepCounter.tensor((1 << 24) + 1).scalars, [16_777_216])
        XCTAssertEqual(StepCounter.tensor(Int.max).scalars, [16_777_216])
        XCTAssertEqual(StepCounter.count(from: StepCounter.tensor(Int.max)), 1 << 24, "a saved counter loads again")
        XCTAssertNil(StepCounter.count(from: Tensor(16_777_218)))
        XCTAssertNil(StepCounter.count(from: Tensor(.nan)))
    }
}
