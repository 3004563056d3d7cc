import Foundation
import StudioCore
import StudioModels
import XCTest
@testable import StudioTraining

/// Schedules, the loss, one DDPM and one DDIM step, and guidance against PyTorch
/// (Fixtures/diffusion/make_diffusion_fixtures.py, torch 1.13).
final class DiffusionGoldenTests: XCTestCase {
    private var fixtures: [String: Any] = [:]

    override func setUpWithError() throws {
        let url = try Fixtures.directory.appendingPathComponent("diffusion/diffusion.json")
        fixtures = try XCTUnwrap(JSONSerialization.jsonObject(with: contents(of: url)) as? [String: Any])
    }

    private func table(_ key: String) throws -> [String: Any] {
        try XCTUnwrap(fixtures[key] as? [String: Any], "fixture \(key)")
    }

    private func numbers(_ object: [String: Any], _ key: String) throws -> [Double] {
        try XCTUnwrap(object[key] as? [Double], "fixture key \(key)")
    }

    private func tensor(_ object: [String: Any], _ key: String, shape: Shape) throws -> Tensor {
        Tensor(shape: shape, scalars: try numbers(object, key).map { Float($0) })
    }

    private func assertClose(_ a: [Double], _ b: [Double], tolerance: Double, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let worst = zip(a, b).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, tolerance, what, file: file, line: line)
    }

    private var shortProcess: NoiseSchedule { NoiseSchedule.linear(timesteps: 20, betaStart: 1e-3, betaEnd: 0.2) }

    func testLinearAndCosineSchedulesMatchPyTorch() throws {
        let linear = NoiseSchedule.linear(timesteps: 1000, betaStart: 1e-4, betaEnd: 0.02)
        assertClose(linear.betas, try numbers(table("linear_1000"), "betas"), tolerance: 1e-12, "linear betas")
        assertClose(linear.alphasCumulative, try numbers(table("linear_1000"), "alphas_cumulative"), tolerance: 1e-12, "linear ᾱ")
        let cosine = NoiseSchedule.cosine(timesteps: 1000)
        assertClose(cosine.betas, try numbers(table("cosine_1000"), "betas"), tolerance: 1e-12, "cosine betas")
        assertClose(cosine.alphasCumulative, try numbers(table("cosine_1000"), "alphas_cumulative"), tolerance: 1e-12, "cosine ᾱ")
        XCTAssertEqual(cosine.betas.max(), 0.999, "the cosine schedule caps β at 0.999")
    }

    func testNoisingAndLossMatchPyTorch() throws {
        let loss = try table("loss")
        let shape = Shape(try XCTUnwrap(loss["shape"] as? [Int]))
        let timesteps = try XCTUnwrap(loss["timesteps"] as? [Int])
        let clean = try tensor(loss, "clean", shape: shape), noise = try tensor(loss, "noise", shape: shape)
        let output = try tensor(loss, "output", shape: shape)
        let epsilon = DiffusionProcess(schedule: shortProcess, prediction: .epsilon)
        XCTAssertTrue(epsilon.noised(clean, noise: noise, timesteps: timesteps).isClose(to: try tensor(loss, "noisy", shape: shape)))
        let expectedEpsilon = try XCTUnwrap(loss["epsilon"] as? Double), expectedV = try XCTUnwrap(loss["v"] as? Double)
        XCTAssertEqual(Double(epsilon.loss(output: output, clean: clean, noise: noise, timesteps: timesteps).item),
                       expectedEpsilon, accuracy: 1e-5 * expectedEpsilon)
        let v = DiffusionProcess(schedule: shortProcess, prediction: .v)
        XCTAssertEqual(Double(v.loss(output: output, clean: clean, noise: noise, timesteps: timesteps).item),
                       expectedV, accuracy: 1e-5 * expectedV)
    }

    func testDDPMAndDDIMStepsMatchPyTorch() throws {
        let steps = try table("steps")
        let shape = Shape(try XCTUnwrap(steps["shape"] as? [Int]))
        let x = try tensor(steps, "x", shape: shape), output = try tensor(steps, "output", shape: shape)
        let noise = try tensor(steps, "noise", shape: shape)
        let cases = try XCTUnwrap(steps["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 12)
        for c in cases {
            let prediction = try XCTUnwrap(DiffusionConfig.Prediction(rawValue: try XCTUnwrap(c["prediction"] as? String)))
            let clip = try XCTUnwrap(c["clip"] as? Bool)
            let t = try XCTUnwrap(c["t"] as? Int), previous = try XCTUnwrap(c["previous"] as? Int)
            let process = DiffusionProcess(schedule: shortProcess, prediction: prediction)
            let label = "\(prediction) clip \(clip) \(t) -> \(previous)"
            let ddpm = process.ddpmStep(x: x, output: output, t: t, previous: previous, noise: noise, clip: clip)
            XCTAssertTrue(ddpm.isClose(to: try tensor(c, "ddpm", shape: shape), absolute: 1e-5), "DDPM \(label)")
            for eta in [0.0, 0.5, 1.0] {
                let ddim = process.ddimStep(x: x, output: output, t: t, previous: previous, eta: eta, noise: noise, clip: clip)
                XCTAssertTrue(ddim.isClose(to: try tensor(c, "ddim_eta_\(eta == 0 ? "0" : eta == 1 ? "1" : "0.5")", shape: shape), absolute: 1e-5),
                              "DDIM eta \(eta) \(label)")
            }
        }
    }

    /// DDIM with eta 1 is the DDPM posterior, step for step: the two samplers agree in distribution.
    func testDDIMWithEtaOneIsTheDDPMPosterior() throws {
        var generator = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal([3, 1, 5, 5], using: &generator), output = Tensor.randomNormal([3, 1, 5, 5], using: &generator)
        let z = Tensor.randomNormal([3, 1, 5, 5], using: &generator)
        for schedule in [NoiseSchedule.linear(timesteps: 1000), NoiseSchedule.cosine(timesteps: 1000)] {
            for prediction in DiffusionConfig.Prediction.allCases {
                let process = DiffusionProcess(schedule: schedule, prediction: prediction)
                for (t, previous) in [(999, 998), (500, 499), (1, 0), (0, -1), (600, 580)] {
                    let ddpm = process.ddpmStep(x: x, output: output, t: t, previous: previous, noise: z)
                    let ddim = process.ddimStep(x: x, output: output, t: t, previous: previous, eta: 1, noise: z)
                    XCTAssertTrue(ddim.isClose(to: ddpm, absolute: 1e-4, relative: 1e-3), "\(prediction) \(t) -> \(previous)")
                }
            }
        }
    }

    func testGuidanceMatchesPyTorch() throws {
        let guidance = try table("guidance")
        let shape: Shape = [2, 1, 4, 4]
        let guided = DiffusionProcess.guided(unconditional: try tensor(guidance, "unconditional", shape: shape),
                                             conditional: try tensor(guidance, "conditional", shape: shape),
                                             scale: try XCTUnwrap(guidance["scale"] as? Double))
        XCTAssertTrue(guided.isClose(to: try tensor(guidance, "guided", shape: shape)))
    }

    func testTimestepSpacing() {
        let schedule = NoiseSchedule.linear(timesteps: 1000)
        XCTAssertEqual(schedule.timesteps(count: 1000), Array(0..<1000))
        XCTAssertEqual(schedule.timesteps(count: 50).prefix(3), [0, 20, 40])
        XCTAssertEqual(schedule.timesteps(count: 50).last, 980)
        XCTAssertEqual(schedule.timesteps(count: 3), [0, 333, 666])
    }
}
