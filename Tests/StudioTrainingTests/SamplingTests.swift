import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// `genstudio sample` and `inspect` from a checkpoint alone, in every output format and latent mode.
final class SamplingTests: XCTestCase {
    /// One tiny run shared by the tests (6 steps, so batch-norm running statistics have moved).
    private static var runs: SharedRuns!
    private static var runURL: URL { runs.root.appendingPathComponent("run") }
    private var scratch: URL!

    override class func setUp() {
        super.setUp()
        runs = SharedRuns { root in
            let session = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=6"],
                                                outputs: root, runDirectory: root.appendingPathComponent("run"))
            _ = try session.run()
        }
    }

    override class func tearDown() {
        runs?.remove()
        super.tearDown()
    }

    override func setUpWithError() throws {
        try Self.runs.check()
        scratch = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    private var run: URL { Self.runURL }
    private var checkpointDirectory: URL { get throws { try Checkpoint.resolve(run) } }
    private var modelFile: URL { get throws { try checkpointDirectory.appendingPathComponent(Checkpoint.modelFile) } }

    /// Runs `genstudio sample SOURCE ARGS --out OUT` and returns OUT.
    @discardableResult
    private func sample(_ source: URL, _ arguments: [String] = [], out name: String,
                        file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let out = scratch.appendingPathComponent(name)
        let result = try GenStudioExecutable.run(["sample", source.path] + arguments + ["--out", out.path], logs: scratch, file: file, line: line)
        assertSuccess(result, file: file, line: line)
        return out
    }

    private func samples(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> Tensor {
        try XCTUnwrap(try SafeTensors.read(from: url)["samples"], "no tensor 'samples' in \(url.path)", file: file, line: line)
    }

    private func writeLatents(_ tensor: Tensor, _ name: String) throws -> URL {
        let url = scratch.appendingPathComponent(name)
        try SafeTensors(entries: [.init(name: "latents", tensor: tensor)]).write(to: url)
        return url
    }

    private func randomLatents(_ count: Int, seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed, stream: 99)
        return Tensor.randomNormal([count, 8], using: &generator)
    }

    func testGridPNGHasTheRequestedLayoutFromEveryKindOfCheckpointPath() throws {
        let fromRun = try sample(run, ["--grid", "2x3"], out: "run.png")
        let image = try PNGImage.read(from: fromRun)
        // Three 28-pixel columns and two rows, with 2 pixels of padding around every tile.
        XCTAssertEqual(image.width, 3 * 30 + 2)
        XCTAssertEqual(image.height, 2 * 30 + 2)
        let fromDirectory = try sample(try checkpointDirectory, ["--grid", "2x3"], out: "dir.png")
        let fromFile = try sample(try modelFile, ["--grid", "2x3"], out: "file.png")
        XCTAssertEqual(try contents(of: fromRun), try contents(of: fromDirectory))
        XCTAssertEqual(try contents(of: fromRun), try contents(of: fromFile))
    }

    func testSafeTensorsIDXAndDirectoryOutputsHoldTheSameImages() throws {
        let raw = try samples(try sample(run, ["--count", "5", "--seed", "3"], out: "s.safetensors"))
        XCTAssertEqual(raw.shape, [5, 1, 28, 28])
        XCTAssertTrue(raw.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        let bytes = raw.scalars.map { (($0 + 1) * 127.5).rounded() }

        let idx = try IDXFile.read(from: try sample(run, ["--count", "5", "--seed", "3"], out: "s.idx"))
        XCTAssertEqual(idx.elementType, .uint8)
        XCTAssertEqual(idx.shape, [5, 28, 28])
        XCTAssertEqual(idx.values, bytes)

        let directory = try sample(run, ["--count", "5", "--seed", "3"], out: "pngs")
        let names = listing(directory)
        XCTAssertEqual(names, ["0000.png", "0001.png", "0002.png", "0003.png", "0004.png"])
        for (i, name) in names.enumerated() {
            let png = try PNGImage.read(from: directory.appendingPathComponent(name))
            XCTAssertEqual([png.width, png.height], [28, 28])
            XCTAssertEqual(png.pixels.map(Float.init), Array(bytes[(i * 784)..<((i + 1) * 784)]), name)
        }
    }

    func testSeedsAndLatentsDecideTheImages() throws {
        let a = try contents(of: try sample(run, ["--count", "4", "--seed", "11"], out: "a.safetensors"))
        let b = try contents(of: try sample(run, ["--count", "4", "--seed", "11"], out: "b.safetensors"))
        let c = try contents(of: try sample(run, ["--count", "4", "--seed", "12"], out: "c.safetensors"))
        XCTAssertEqual(a, b, "same seed, same bytes")
        XCTAssertNotEqual(a, c, "another seed, other images")

        let latents = try writeLatents(randomLatents(4, seed: 1), "z.safetensors")
        let fromLatents = try contents(of: try sample(run, ["--latents", latents.path, "--seed", "1"], out: "z1.safetensors"))
        let again = try contents(of: try sample(run, ["--latents", latents.path, "--seed", "2"], out: "z2.safetensors"))
        XCTAssertEqual(fromLatents, again, "given latents override the seed")
        let other = try writeLatents(randomLatents(4, seed: 2), "z-other.safetensors")
        XCTAssertNotEqual(fromLatents, try contents(of: try sample(run, ["--latents", other.path], out: "z3.safetensors")))
    }

    func testSamplingUsesRunningStatisticsByDefault() throws {
        let z = randomLatents(6, seed: 5)
        let latents = try writeLatents(z, "z.safetensors")
        let model = try LoadedGAN.load(checkpoint: run)
        XCTAssertEqual(model.step, 6)
        let evaluation = model.generate(latents: z, useBatchStatistics: false)
        let batch = model.generate(latents: z, useBatchStatistics: true)
        XCTAssertGreaterThan(zip(evaluation.scalars, batch.scalars).map { abs($0 - $1) }.max()!, 1e-3,
                             "the fixture run's running statistics should differ from a batch's")

        let byDefault = try samples(try sample(run, ["--latents", latents.path], out: "eval.safetensors"))
        XCTAssertEqual(byDefault.scalars, evaluation.scalars)
        let withBatch = try samples(try sample(run, ["--latents", latents.path, "--batch-statistics"], out: "batch.safetensors"))
        XCTAssertEqual(withBatch.scalars, batch.scalars)
    }

    func testInterpolationRowsRunBetweenTheGivenLatents() throws {
        let z = randomLatents(4, seed: 8)
        let latents = try writeLatents(z, "z.safetensors")
        let walk = try samples(try sample(run, ["--latents", latents.path, "--interpolate", "5"], out: "walk.safetensors"))
        XCTAssertEqual(walk.shape, [10, 1, 28, 28], "two pairs, five points each")
        let ends = try samples(try sample(run, ["--latents", latents.path], out: "ends.safetensors"))
        func image(_ t: Tensor, _ i: Int) -> Tensor { t.sliced(alongAxis: 0, i..<(i + 1)) }
        for (walkIndex, endIndex) in [(0, 0), (4, 1), (5, 2), (9, 3)] {
            XCTAssertTrue(image(walk, walkIndex).isClose(to: image(ends, endIndex), absolute: 1e-5, relative: 0),
                          "point \(walkIndex) is latent \(endIndex)")
        }
        XCTAssertFalse(image(walk, 2).isClose(to: image(ends, 0), absolute: 1e-3, relative: 0), "the middle is somewhere else")

        let grid = try PNGImage.read(from: try sample(run, ["--count", "3", "--interpolate", "4"], out: "walk.png"))
        XCTAssertEqual([grid.width, grid.height], [4 * 30 + 2, 3 * 30 + 2], "one row per pair")
    }

    func testInspectListsTheCheckpoint() throws {
        let result = try GenStudioExecutable.run(["inspect", run.path], logs: scratch)
        assertSuccess(result)
        let model = try SafeTensors.read(from: try modelFile)
        XCTAssertEqual(model.entries.count, 20)
        for entry in model.entries {
            XCTAssertTrue(result.stdout.contains("  \(entry.name) "), "inspect should list \(entry.name):\n\(result.stdout)")
        }
        for line in ["family: gan", "step: 6", "state: step 6, epoch 0, cursor 48, seed 7, threads 1",
                     "generator.1.num_batches_tracked", "I64", "parameters:"] {
            XCTAssertTrue(result.stdout.contains(line), "inspect should print '\(line)':\n\(result.stdout)")
        }
    }
}
