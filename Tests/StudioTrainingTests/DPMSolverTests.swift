import Foundation
import StudioCore
import StudioIO
import StudioModels
import XCTest
@testable import StudioTraining

/// DPM-Solver++(2M): timestep spacings, single steps and whole runs of a toy network against a numpy
/// implementation written from the paper (Fixtures/diffusion/make_dpm_solver_fixture.py); determinism
/// and batching-independence through the generator seam.
final class DPMSolverTests: XCTestCase {
    private var fixtures: [String: Any] = [:]
    private var shape: Shape = []

    override func setUpWithError() throws {
        let url = try Fixtures.directory.appendingPathComponent("diffusion/dpm_solver.json")
        fixtures = try XCTUnwrap(JSONSerialization.jsonObject(with: contents(of: url)) as? [String: Any])
        shape = Shape(try XCTUnwrap(fixtures["shape"] as? [Int]))
    }

    private func value<T>(_ object: [String: Any], _ key: String, as type: T.Type = T.self) throws -> T {
        try XCTUnwrap(object[key] as? T, "fixture key \(key)")
    }

    private func tensor(_ object: [String: Any], _ key: String) throws -> Tensor {
        Tensor(shape: shape, scalars: try value(object, key, as: [Double].self).map { Float($0) })
    }

    private func assertClose(_ actual: Tensor, _ expected: [Double], _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.elementCount, expected.count, what, file: file, line: line)
        let worst = zip(actual.scalars, expected).map { Swift.abs(Double($0) - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-5, what, file: file, line: line)
    }

    private func schedule(_ name: String) throws -> NoiseSchedule {
        let schedules = try value(fixtures, "schedules", as: [String: [String: Double]].self)
        let entry = try XCTUnwrap(schedules[name], "schedule \(name)")
        return .linear(timesteps: Int(try XCTUnwrap(entry["timesteps"])), betaStart: try XCTUnwrap(entry["beta_start"]),
                       betaEnd: try XCTUnwrap(entry["beta_end"]))
    }

    /// The fixture's toy network: out = σ_t (x M^T) + 0.1 cos(0.05 t + d) over each sample's 4 values.
    private func toy(_ key: String, schedule: NoiseSchedule) throws -> (Tensor, Int) -> Tensor {
        let toy = try value(fixtures, "toy", as: [String: Any].self)
        let matrix = Tensor(shape: [4, 4], scalars: try value(toy, key, as: [Double].self).map { Float($0) })
        return { x, t in
            let n = x.shape[0]
            let sigma = Float((1 - schedule.alphasCumulative[t]).squareRoot())
            let bias = (0..<(n * 4)).map { Float(0.1 * cos(0.05 * Double(t) + Double($0 % 4))) }
            let linear = Tensor.matmul(x.reshaped(to: [n, 4]), matrix, transposeB: true) * sigma
            return (linear + Tensor(shape: [n, 4], scalars: bias)).reshaped(to: x.shape)
        }
    }

    // MARK: - Against the reference

    func testSpacingsMatchTheReference() throws {
        let cases = try value(fixtures, "spacings", as: [[String: Any]].self)
        XCTAssertEqual(cases.count, 24)
        for c in cases {
            let spacing = try XCTUnwrap(TimestepSpacing(rawValue: try value(c, "spacing")))
            let steps: Int = try value(c, "steps")
            let schedule = NoiseSchedule.linear(timesteps: try value(c, "timesteps"))
            XCTAssertEqual(schedule.timesteps(count: steps, spacing: spacing), try value(c, "expected"), "\(spacing) \(steps) of \(schedule.count)")
        }
        XCTAssertEqual(DiffusionSampleOptions(sampler: .ddim).resolvedSpacing, .uniform, "DDIM keeps its spacing")
        XCTAssertEqual(DiffusionSampleOptions(sampler: .ddpm).resolvedSpacing, .uniform, "DDPM keeps its spacing")
        XCTAssertEqual(DiffusionSampleOptions(sampler: .dpmSolverPlusPlus2M).resolvedSpacing, .trailing)
        XCTAssertEqual(DiffusionSampleOptions(sampler: .dpmSolverPlusPlus2M).resolvedSteps(timesteps: 1000), 20)
    }

    func testSingleStepsMatchTheReference() throws {
        let steps = try value(fixtures, "steps", as: [String: Any].self)
        let process = DiffusionProcess(schedule: try schedule(try value(steps, "schedule")))
        let x = try tensor(steps, "x"), clean = try tensor(steps, "clean"), earlier = try tensor(steps, "earlier_clean")
        let cases = try value(steps, "cases", as: [[String: Any]].self)
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            let t: Int = try value(c, "t"), previous: Int = try value(c, "previous")
            let earlierStep = c["earlier"] as? Int
            let result = process.dpmSolverStep(x: x, clean: clean, t: t, previous: previous,
                                               earlier: earlierStep.map { (earlier, $0) })
            assertClose(result, try value(c, "expected"), "\(t) -> \(previous) after \(earlierStep.map(String.init) ?? "none")")
        }
    }

    func testWholeRunsOfAToyNetworkMatchTheReference() throws {
        let runs = try value(fixtures, "runs", as: [[String: Any]].self)
        XCTAssertEqual(runs.count, 8)
        let noise = try tensor(fixtures, "noise")
        for run in runs {
            let schedule = try schedule(try value(run, "schedule"))
            let prediction = try XCTUnwrap(DiffusionConfig.Prediction(rawValue: try value(run, "prediction")))
            let process = DiffusionProcess(schedule: schedule, prediction: prediction)
            let steps: Int = try value(run, "steps")
            let spacing = try XCTUnwrap(TimestepSpacing(rawValue: try value(run, "spacing")))
            XCTAssertEqual(schedule.timesteps(count: steps, spacing: spacing), try value(run, "timesteps"))
            let guidance = run["guidance"] as? Double
            let options = DiffusionSampleOptions(sampler: .dpmSolverPlusPlus2M, steps: steps, spacing: spacing,
                                                 guidance: guidance ?? 1, clip: try value(run, "clip"), trajectorySteps: Array(0..<steps))
            let conditional = try toy("conditional", schedule: schedule), unconditional = try toy("unconditional", schedule: schedule)
            var calls = 0
            let result = DiffusionSampler.denoise(noise: noise, process: process, options: options, progress: { _, _ in },
                                                  draw: { shape in XCTFail("DPM-Solver++ draws no noise"); return Tensor(zeros: shape) }) { x, t in
                calls += 1
                XCTAssertFalse(isRecordingGradients, "sampling records no graph")
                guard let guidance else { return conditional(x, t) }
                return DiffusionProcess.guided(unconditional: unconditional(x, t), conditional: conditional(x, t), scale: guidance)
            }
            let label = "\(run["schedule"]!) \(steps) \(spacing) \(prediction) clip \(options.clip) guidance \(guidance ?? 1)"
            XCTAssertEqual(calls, steps, "one network call per step: \(label)")
            let states = try value(run, "states", as: [[Double]].self)
            XCTAssertEqual(result.trajectory.count, states.count, label)
            for (step, (state, expected)) in zip(result.trajectory, states).enumerated() {
                assertClose(state, expected, "\(label), step \(step)")
            }
            assertClose(result.images, states.last!.map { Swift.min(1, Swift.max(-1, $0)) }, "\(label), images")
        }
    }

    // MARK: - Through the generator seam

    /// A freshly initialised conditional UNet (8x8, T = 10, 3 classes) loaded for DPM-Solver++ at 4 steps.
    private func model(in directory: URL, guidance: Double = 2) throws -> any GenerativeModel {
        let checkpoint = directory.appendingPathComponent("model.safetensors")
        if !FileManager.default.fileExists(atPath: checkpoint.path) { try AugmentationTests.writeCheckpoint(classes: 3, to: checkpoint) }
        var options = SamplingOptions()
        options.sampler = .dpmSolverPlusPlus2M
        options.steps = 4
        options.guidance = guidance
        return try GeneratorLoader.load(checkpoint: checkpoint, options: options)
    }

    func testSamplesAreDeterministicForASeedAndDrawNoStepNoise() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try model(in: directory)
        XCTAssertEqual(model.settings["sampler"], "dpm++2m")
        XCTAssertEqual(model.settings["spacing"], "trailing", "the manifest records the spacing DPM-Solver++ ran with")
        let labels = [0, 1, 2, 1]
        func draw(seed: UInt64, stepSeed: UInt64) throws -> (Tensor, RandomGenerator) {
            var stepNoise = RandomStream.noise.generator(seed: stepSeed)
            let images = try model.draw(noise: model.initialNoise(seed: seed, first: 0, count: 4), labels: labels,
                                        stepNoise: &stepNoise, progress: { _, _ in })
            return (images, stepNoise)
        }
        let (a, generator) = try draw(seed: 3, stepSeed: 3)
        let (b, _) = try draw(seed: 3, stepSeed: 9)
        let (c, _) = try draw(seed: 4, stepSeed: 3)
        XCTAssertEqual(a.shape, [4, 1, 8, 8])
        XCTAssertTrue(a.scalars.allSatisfy { $0.isFinite && $0 >= -1 && $0 <= 1 })
        XCTAssertEqual(a.scalars, b.scalars, "the same x_T gives the same bytes, whatever the step-noise generator")
        XCTAssertEqual(generator, RandomStream.noise.generator(seed: 3), "no step noise is drawn")
        XCTAssertNotEqual(a.scalars, c.scalars, "the seed matters")
        XCTAssertEqual(try model.drawSamples(count: 3, seed: 5).examples.scalars, try model.drawSamples(count: 3, seed: 5).examples.scalars)
    }

    func testSampleIDependsOnlyOnSeedClassAndIndex() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try model(in: directory)
        // Per-sample x_T (as augmentation jobs draw it), drawn in one batch and in two of other sizes.
        let indices = Array(0..<5), labels = [2, 0, 1, 2, 0]
        var unused = RandomStream.noise.generator(seed: 0)
        func draw(_ range: Range<Int>) throws -> Tensor {
            try model.draw(noise: DiffusionNoise.initial(seed: 7, indices: Array(indices[range]), sampleShape: model.noiseShape),
                           labels: Array(labels[range]), stepNoise: &unused, progress: { _, _ in })
        }
        let whole = try draw(0..<5)
        let split = Tensor.concatenate([try draw(0..<2), try draw(2..<5)], alongAxis: 0)
        XCTAssertTrue(split.isClose(to: whole, absolute: 1e-5, relative: 1e-5), "batching changes no sample")
        let alone = try draw(3..<4)
        XCTAssertTrue(alone.isClose(to: whole.sliced(alongAxis: 0, 3..<4), absolute: 1e-5, relative: 1e-5))

        // An augmentation job in blocks of 2 and of 5 writes the same images (IDX bytes, up to rounding).
        func augment(blockSize: Int) throws -> [Float] {
            let spec = AugmentationSpec(perClass: 5, classes: [1, 2], seed: 11, format: .idx, blockSize: blockSize)
            let out = directory.appendingPathComponent("blocks-\(blockSize)")
            try AugmentationJob(source: model, spec: spec, directory: out).run()
            let manifest = try XCTUnwrap(try AugmentationManifest.read(in: out))
            XCTAssertEqual(manifest.job.sampler["sampler"], "dpm++2m")
            XCTAssertEqual(manifest.job.sampler["spacing"], "trailing")
            return try IDXFile.read(from: out.appendingPathComponent("train-images-idx3-ubyte")).values
        }
        let small = try augment(blockSize: 2), large = try augment(blockSize: 5)
        XCTAssertEqual(small.count, large.count)
        XCTAssertLessThanOrEqual(zip(small, large).map { Swift.abs($0 - $1) }.max() ?? 0, 1)
    }
}
