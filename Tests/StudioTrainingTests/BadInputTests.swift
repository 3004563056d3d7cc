import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// Issue 3's "bad input": each case through the genstudio process gets a clear message naming the
/// file (or key), a non-zero exit, no crash, and no half-written output.
final class BadInputTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func genstudio(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        try GenStudioExecutable.run(arguments, logs: scratch, file: file, line: line)
    }

    /// A copy of the fixture data set whose training images are replaced by `images` (raw IDX bytes,
    /// written as `name`).
    private func dataSet(replacingImagesWith images: Data, named name: String = "train-images-idx3-ubyte") throws -> URL {
        let directory = scratch.appendingPathComponent("data-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: try Fixtures.mnistSmall, to: directory)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("train-images-idx3-ubyte.gz"))
        try images.write(to: directory.appendingPathComponent(name))
        return directory
    }

    private var fixtureImagesIDX: Data {
        get throws {
            let gz = try contents(of: try Fixtures.mnistSmall.appendingPathComponent("train-images-idx3-ubyte.gz"))
            return try Gzip.decompress(gz, path: "fixture")
        }
    }

    /// Trains the tiny recipe on `data` into a run directory that must not appear.
    private func assertTrainingRefused(data: URL, extra: [String] = [], mentions phrases: [String],
                                       file: StaticString = #filePath, line: UInt = #line) throws {
        let out = scratch.appendingPathComponent("run-\(UUID().uuidString)")
        let result = try genstudio(["train", try Fixtures.tinyRecipe.path, "--set", "data.path=\(data.path)", "--out", out.path] + extra,
                                   file: file, line: line)
        assertCleanFailure(result, mentions: phrases, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "a refused run left \(out.path)", file: file, line: line)
    }

    // MARK: - Data

    func testTruncatedIDXFilesAreRefused() throws {
        let gz = try contents(of: try Fixtures.mnistSmall.appendingPathComponent("train-images-idx3-ubyte.gz"))
        let cutGzip = try dataSet(replacingImagesWith: gz.prefix(gz.count / 2), named: "train-images-idx3-ubyte.gz")
        try assertTrainingRefused(data: cutGzip, mentions: [cutGzip.appendingPathComponent("train-images-idx3-ubyte.gz").path, "truncated"])

        let cutRaw = try dataSet(replacingImagesWith: try fixtureImagesIDX.prefix(5000))
        try assertTrainingRefused(data: cutRaw, mentions: [cutRaw.appendingPathComponent("train-images-idx3-ubyte").path,
                                                            "need 250880 bytes", "only 4984", "truncated"])
    }

    func testCorruptIDXFilesAreRefused() throws {
        var badMagic = try fixtureImagesIDX
        badMagic[0] = 0x01
        let magic = try dataSet(replacingImagesWith: badMagic)
        try assertTrainingRefused(data: magic, mentions: [magic.appendingPathComponent("train-images-idx3-ubyte").path, "not the IDX magic"])

        var badType = try fixtureImagesIDX
        badType[2] = 0x07
        let type = try dataSet(replacingImagesWith: badType)
        try assertTrainingRefused(data: type, mentions: ["train-images-idx3-ubyte", "byte 2: unknown IDX element type 0x07"])

        // Dimensions whose product overflows Int: once a trap, now a message.
        let huge = try dataSet(replacingImagesWith: Data([0, 0, 8, 4] + [UInt8](repeating: 0xFF, count: 16) + [UInt8](repeating: 0, count: 64)))
        try assertTrainingRefused(data: huge, mentions: ["train-images-idx3-ubyte", "corrupt header"])

        var corruptGzip = try contents(of: try Fixtures.mnistSmall.appendingPathComponent("train-images-idx3-ubyte.gz"))
        for i in 100..<140 { corruptGzip[i] ^= 0x5A }
        let scrambled = try dataSet(replacingImagesWith: corruptGzip, named: "train-images-idx3-ubyte.gz")
        try assertTrainingRefused(data: scrambled, mentions: ["train-images-idx3-ubyte.gz", "corrupt gzip data"])
    }

    func testImagesThatDoNotFitTheModelAreRefused() throws {
        // 16x16 images against the recipe's 28x28 model: the recipe itself is fine, the data is not.
        let small = IDXFile(elementType: .uint8, shape: [32, 16, 16], values: [Float](repeating: 7, count: 32 * 256))
        let directory = try dataSet(replacingImagesWith: small.encoded())
        let labels = IDXFile(elementType: .uint8, shape: [32], values: [Float](repeating: 1, count: 32))
        try FileManager.default.removeItem(at: directory.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        try labels.write(to: directory.appendingPathComponent("train-labels-idx1-ubyte"))
        try assertTrainingRefused(data: directory, mentions: ["examples in \(directory.path) are [1, 16, 16]",
                                                              "model.image_shape in \(try Fixtures.tinyRecipe.path) is [1, 28, 28]"])

        // A model for 32x32 images: the recipe loader sees that the generator cannot make them.
        try assertTrainingRefused(data: try Fixtures.mnistSmall, extra: ["--set", "model.image_shape=[1, 32, 32]"],
                                  mentions: [try Fixtures.tinyRecipe.path, "generator makes [1, 1, 28, 28]", "[1, 32, 32]"])
    }

    func testMissingDataDirectorySaysHowToGetIt() throws {
        let missing = scratch.appendingPathComponent("no-mnist-here")
        try assertTrainingRefused(data: missing, mentions: [missing.path, "does not exist", try Fixtures.tinyRecipe.path,
                                                            "genstudio data mnist --out \(missing.path)"])
        // A directory without the files is the same story.
        let empty = scratch.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try assertTrainingRefused(data: empty, mentions: [empty.path, "train-images-idx3-ubyte", "genstudio data mnist"])
    }

    func testRecipeErrorsReachTheCommandLineWithoutARunDirectory() throws {
        // The loader's messages are tested in RecipeLoaderTests; this checks the process around them.
        try assertTrainingRefused(data: try Fixtures.mnistSmall, extra: ["--set", "train.batch=\"eight\""],
                                  mentions: [try Fixtures.tinyRecipe.path, "train.batch", "expected an integer"])
        try assertTrainingRefused(data: try Fixtures.mnistSmall, extra: ["--set", "train.bacth=8"],
                                  mentions: [try Fixtures.tinyRecipe.path, "unknown key 'bacth'"])
    }

    // MARK: - Weights

    /// A tiny checkpoint to corrupt.
    private func trainedModelFile() throws -> URL {
        let run = scratch.appendingPathComponent("trained")
        let session = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=1"],
                                            outputs: scratch, runDirectory: run)
        _ = try session.run()
        return try Checkpoint.resolve(run).appendingPathComponent(Checkpoint.modelFile)
    }

    /// `sample` and `inspect` on `file` both refuse it, and `sample` writes nothing.
    private func assertWeightsRefused(_ file: URL, mentions phrases: [String], file sourceFile: StaticString = #filePath, line: UInt = #line) throws {
        let out = scratch.appendingPathComponent("out-\(UUID().uuidString).png")
        let sampled = try genstudio(["sample", file.path, "--out", out.path], file: sourceFile, line: line)
        assertCleanFailure(sampled, mentions: [file.path] + phrases, file: sourceFile, line: line)
        let foreign = try genstudio(["sample", "--recipe", try Fixtures.tinyRecipe.path, "--weights", file.path, "--out", out.path],
                                    file: sourceFile, line: line)
        assertCleanFailure(foreign, mentions: [file.path] + phrases, file: sourceFile, line: line)
        let inspected = try genstudio(["inspect", file.path], file: sourceFile, line: line)
        assertCleanFailure(inspected, mentions: [file.path] + phrases, file: sourceFile, line: line)
        XCTAssertEqual(listing(scratch).filter { $0.hasPrefix("out-") || $0.hasPrefix(".out-") }, [],
                       "nothing written", file: sourceFile, line: line)
    }

    func testTruncatedSafeTensorsIsRefused() throws {
        let model = try contents(of: try trainedModelFile())
        let cut = scratch.appendingPathComponent("cut.safetensors")
        try model.prefix(model.count - 100).write(to: cut)
        try assertWeightsRefused(cut, mentions: ["run past the end of the data", "truncated file"])

        let headerOnly = scratch.appendingPathComponent("header-cut.safetensors")
        try model.prefix(200).write(to: headerOnly)
        try assertWeightsRefused(headerOnly, mentions: ["header length", "runs past the end of the file"])

        let tiny = scratch.appendingPathComponent("tiny.safetensors")
        try Data([1, 2, 3]).write(to: tiny)
        try assertWeightsRefused(tiny, mentions: ["too short for the 8-byte header length"])
    }

    func testSafeTensorsHeadersWithBadOffsetsAreRefused() throws {
        let overlap = scratch.appendingPathComponent("overlap.safetensors")
        try rawSafeTensors(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#,
                           dataLength: 24).write(to: overlap)
        try assertWeightsRefused(overlap, mentions: ["tensors 'a' and 'b' overlap at data byte 8"])

        let past = scratch.appendingPathComponent("past.safetensors")
        try rawSafeTensors(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}"#,
                           dataLength: 24).write(to: past)
        try assertWeightsRefused(past, mentions: ["tensor 'b': data_offsets [16, 32] run past the end of the data (24 bytes"])

        let backwards = scratch.appendingPathComponent("backwards.safetensors")
        try rawSafeTensors(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}"#, dataLength: 16).write(to: backwards)
        try assertWeightsRefused(backwards, mentions: ["not an increasing pair"])

        // A shape whose byte count overflows Int: once a trap, now a message.
        let huge = scratch.appendingPathComponent("huge.safetensors")
        try rawSafeTensors(header: #"{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,16]}}"#,
                           dataLength: 16).write(to: huge)
        try assertWeightsRefused(huge, mentions: ["tensor 'a'", "needs more bytes than any file holds"])

        // Offsets and dimensions that are not exact integers were once truncated into plausible values.
        let wrapped = scratch.appendingPathComponent("wrapped.safetensors")
        try rawSafeTensors(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,1180591620717411303424]}}"#,
                           dataLength: 16).write(to: wrapped)
        try assertWeightsRefused(wrapped, mentions: ["tensor 'a': data_offsets is not a pair of integers"])
        let fractional = scratch.appendingPathComponent("fractional.safetensors")
        try rawSafeTensors(header: #"{"a":{"dtype":"F32","shape":[4.5],"data_offsets":[0,16]}}"#, dataLength: 16).write(to: fractional)
        try assertWeightsRefused(fractional, mentions: ["tensor 'a': shape is not a list of non-negative integers"])

        let gap = scratch.appendingPathComponent("gap.safetensors")
        try rawSafeTensors(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, dataLength: 16).write(to: gap)
        try assertWeightsRefused(gap, mentions: ["data bytes 0..<8 after 'the header' belong to no tensor"])
    }

    func testWeightsThatDoNotMatchTheRecipeListEveryDifference() throws {
        // The recipe differs from the PyTorch twin's weights in three ways: generator.0 gains a bias,
        // generator.7 loses one, and the discriminator's first convolution has six channels, not four.
        var recipe = try String(contentsOf: try Fixtures.tinyRecipe, encoding: .utf8)
        for (old, new) in [("in = 8, out = 392, bias = false", "in = 8, out = 392, bias = true"),
                           ("in = 4, out = 1, kernel = 4, stride = 2, padding = 1 }", "in = 4, out = 1, kernel = 4, stride = 2, padding = 1, bias = false }"),
                           ("conv2d\", in = 1, out = 4", "conv2d\", in = 1, out = 6"),
                           ("conv2d\", in = 4, out = 8", "conv2d\", in = 6, out = 8")] {
            XCTAssertTrue(recipe.contains(old), old)
            recipe = recipe.replacingOccurrences(of: old, with: new)
        }
        let recipeURL = scratch.appendingPathComponent("changed.toml")
        try Data(recipe.utf8).write(to: recipeURL)
        let out = scratch.appendingPathComponent("samples.png")
        let result = try genstudio(["sample", "--recipe", recipeURL.path, "--weights", try Fixtures.torchWeights.path, "--out", out.path])
        assertCleanFailure(result, mentions: [
            try Fixtures.torchWeights.path, "weights do not match the model",
            "missing keys: generator.0.bias",
            "unexpected keys: generator.7.bias",
            "shape mismatch for discriminator.0.weight: module has [6, 1, 4, 4], tensors have [4, 1, 4, 4]",
            "shape mismatch for discriminator.0.bias: module has [6], tensors have [4]",
            "shape mismatch for discriminator.3.weight: module has [8, 6, 4, 4], tensors have [8, 4, 4, 4]",
        ])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testLatentsOfTheWrongShapeNameTheFile() throws {
        let model = try trainedModelFile()
        let out = scratch.appendingPathComponent("samples.png")
        for (name, shape) in [("narrow", [3, 5]), ("empty", [0, 8]), ("flat", [8])] {
            let latents = scratch.appendingPathComponent("\(name).safetensors")
            let count = shape.reduce(1, *)
            try SafeTensors(entries: [.init(name: "latents", tensor: Tensor(shape: Shape(shape), scalars: [Float](repeating: 0.5, count: count)))])
                .write(to: latents)
            let result = try genstudio(["sample", model.path, "--latents", latents.path, "--out", out.path])
            assertCleanFailure(result, mentions: [latents.path, "tensor 'latents' is \(Shape(shape))", "needs [N, 8]"])
        }
        let unnamed = scratch.appendingPathComponent("unnamed.safetensors")
        try SafeTensors(entries: [.init(name: "z", tensor: Tensor(zeros: [2, 8]))]).write(to: unnamed)
        let result = try genstudio(["sample", model.path, "--latents", unnamed.path, "--out", out.path])
        assertCleanFailure(result, mentions: [unnamed.path, "no tensor named 'latents'", "found: z"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testMissingCheckpointIsRefused() throws {
        let nowhere = scratch.appendingPathComponent("no-such-run")
        let result = try genstudio(["sample", nowhere.path, "--out", scratch.appendingPathComponent("x.png").path])
        assertCleanFailure(result, mentions: [nowhere.path, "no such checkpoint"])
        let emptyRun = scratch.appendingPathComponent("empty-run")
        try FileManager.default.createDirectory(at: emptyRun, withIntermediateDirectories: true)
        assertCleanFailure(try genstudio(["inspect", emptyRun.path]), mentions: [emptyRun.path, "neither a checkpoint"])
        assertCleanFailure(try genstudio(["train", "--resume", emptyRun.path]), mentions: [emptyRun.path, "not a run directory"])
    }
}

/// Values that parse and then could not work (issue "Hardening" items 1, 3 and 4): clean errors
/// naming the file, key or flag, before anything is allocated.
final class ImpossibleValueTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func trainTiny(_ name: String, steps: Int = 2) throws -> URL {
        let run = scratch.appendingPathComponent(name)
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=\(steps)",
                                                                             "checkpoint.interval=1"],
                                  outputs: scratch, runDirectory: run).run(maxSteps: 1)
        return run
    }

    func testImpossibleTrainingStatesAreRefusedOnResume() throws {
        let run = try trainTiny("run")
        let stateURL = try Checkpoint.resolve(run).appendingPathComponent(Checkpoint.stateFile)
        let original = try String(contentsOf: stateURL, encoding: .utf8)
        for (key, bad, phrase) in [("cursor", "-1", "\"cursor\" is -1"), ("epoch", "-3", "\"epoch\" is -3"),
                                   ("cursor", "9223372036854775000", "cursor 9223372036854775000"),
                                   ("epoch", "4611686018427387904", "epoch 4611686018427387904")] {
            let edited = original.replacingOccurrences(of: "\"\(key)\" : [0-9-]+", with: "\"\(key)\" : \(bad)", options: .regularExpression)
            XCTAssertNotEqual(edited, original, "the test must change \(key)")
            try Data(edited.utf8).write(to: stateURL)
            let result = try GenStudioExecutable.run(["train", "--resume", run.path], logs: scratch)
            assertCleanFailure(result, mentions: [phrase])
        }
    }

    func testHugeCountsAreRefusedBeforeAllocating() throws {
        let run = try trainTiny("gan")
        let out = scratch.appendingPathComponent("x.safetensors").path
        for (arguments, phrase) in [(["--count", "1000000000000"], "--count 1000000000000"),
                                    (["--grid", "1000000x1000000", "--out", scratch.appendingPathComponent("g.png").path], "--grid"),
                                    (["--interpolate", "1000000000", "--count", "4"], "--interpolate 1000000000"),
                                    (["--grid", "99999999999x99999999999"], "--grid must look like")] {
            let full = ["sample", run.path] + arguments + (arguments.contains("--out") ? [] : ["--out", out])
            assertCleanFailure(try GenStudioExecutable.run(full, logs: scratch), mentions: [phrase])
        }
        let cgan = scratch.appendingPathComponent("cgan")
        _ = try TrainingJob.start(recipe: try Fixtures.directory.appendingPathComponent("tiny-cgan.toml"),
                                  overrides: [try Fixtures.dataOverride, "train.steps=1"], outputs: scratch, runDirectory: cgan).run()
        assertCleanFailure(try GenStudioExecutable.run(["augment", cgan.path, "--per-class", "1000000000000", "--out",
                                                        scratch.appendingPathComponent("aug").path], logs: scratch),
                           mentions: ["--per-class 1000000000000"])
    }

    func testImpossibleManifestsAreRefusedByMerge() throws {
        let cgan = scratch.appendingPathComponent("cgan")
        _ = try TrainingJob.start(recipe: try Fixtures.directory.appendingPathComponent("tiny-cgan.toml"),
                                  overrides: [try Fixtures.dataOverride, "train.steps=1"], outputs: scratch, runDirectory: cgan).run()
        let job = scratch.appendingPathComponent("job")
        assertSuccess(try GenStudioExecutable.run(["augment", cgan.path, "--per-class", "2", "--classes", "0,1", "--block-size", "1",
                                                   "--out", job.path], logs: scratch))
        let manifestURL = job.appendingPathComponent(AugmentationManifest.fileName)
        let original = try String(contentsOf: manifestURL, encoding: .utf8)
        let cases: [(String, String, String)] = [
            ("\"block_size\" : 1", "\"block_size\" : 0", "--block-size must be at least 1"),
            ("\"block_size\" : 1", "\"block_size\" : -2", "--block-size must be at least 1"),
            ("\"per_class\" : 2", "\"per_class\" : -5", "--per-class must be at least 1"),
            ("\"per_class\" : 2", "\"per_class\" : 99999999999999", "more than the"),
            ("\"count\" : 1", "\"count\" : 0", "job.shard is 0/0"),
        ]
        for (from, to, phrase) in cases {
            let edited = original.replacingOccurrences(of: from, with: to)
            XCTAssertNotEqual(edited, original, "the test must change \(from)")
            try Data(edited.utf8).write(to: manifestURL)
            let result = try GenStudioExecutable.run(["augment", "merge", job.path, "--out", scratch.appendingPathComponent("merged").path],
                                                     logs: scratch)
            assertCleanFailure(result, mentions: [manifestURL.path, phrase])
        }
        var classes = original
        if let range = classes.range(of: "\"classes\" : \\[[^\\]]*\\]", options: .regularExpression) {
            classes.replaceSubrange(range, with: "\"classes\" : [1, 1]")
        }
        try Data(classes.utf8).write(to: manifestURL)
        assertCleanFailure(try GenStudioExecutable.run(["augment", "merge", job.path, "--out", scratch.appendingPathComponent("m2").path],
                                                       logs: scratch), mentions: ["repeats a class"])
    }
}

/// Hardening items 5 to 7: huge image headers, NaN and infinite values, and leftovers of killed work.
final class LeftoverAndNonFiniteTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    func testAPNGDeclaringAHugeImageIsRefusedBeforeAllocating() throws {
        var bytes = [UInt8](try PNGImage(width: 1, height: 1, channels: 1, pixels: [7]).encoded())
        // IHDR's data starts at byte 16: width, height (big endian); its CRC follows the 13 data bytes.
        for (offset, value) in [(16, UInt32(1_000_000)), (20, UInt32(1_000_000))] {
            withUnsafeBytes(of: value.bigEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
        }
        let crc = crc32(Array(bytes[12..<29]))
        withUnsafeBytes(of: crc.bigEndian) { for (i, b) in $0.enumerated() { bytes[29 + i] = b } }
        let url = scratch.appendingPathComponent("huge.png")
        try Data(bytes).write(to: url)
        XCTAssertThrowsError(try PNGImage.read(from: url)) { error in
            XCTAssertTrue("\(error)".contains("declares 1000000 x 1000000 pixels"), "\(error)")
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        }
    }

    private func tinyRun(_ name: String) throws -> URL {
        let run = scratch.appendingPathComponent(name)
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=2", "checkpoint.interval=1"],
                                  outputs: scratch, runDirectory: run).run(maxSteps: 1)
        return run
    }

    /// `file` rewritten with one value of tensor `name` set to `value`.
    private func poison(_ file: URL, tensor name: String, with value: Float) throws {
        var tensors = try SafeTensors.read(from: file)
        let index = try XCTUnwrap(tensors.entries.firstIndex { $0.name == name })
        // An integer tensor cannot hold NaN; a file can still declare the counter as a float.
        if !value.isFinite { tensors.entries[index].dtype = .float32 }
        let old = tensors.entries[index].tensor
        var values = old.scalars
        values[0] = value
        tensors.entries[index].tensor = Tensor(shape: old.shape, scalars: values)
        try tensors.write(to: file)
    }

    /// Issue 20 item 2: impossible counters are refused on resume naming the file, tensor and value,
    /// instead of loading and trapping at the next checkpoint write.
    func testImpossibleCountersAreRefusedOnResume() throws {
        let run = try tinyRun("run")
        let checkpoint = try Checkpoint.resolve(run)
        let modelURL = checkpoint.appendingPathComponent(Checkpoint.modelFile)
        let optimizerURL = checkpoint.appendingPathComponent(Checkpoint.optimizerFile)
        let (model, optimizer) = (try contents(of: modelURL), try contents(of: optimizerURL))
        for (url, tensor, value, phrase) in [
            (optimizerURL, "generator.0.weight.step", Float(1 << 24), "counter 'generator.0.weight.step' is 16777216"),
            (optimizerURL, "discriminator.0.bias.step", 2, "counter 'discriminator.0.bias.step' is 2; expected a whole number in 0...1"),
            (optimizerURL, "generator.0.weight.step", 0.5, "counter 'generator.0.weight.step' is 0.5"),
            (modelURL, "generator.1.num_batches_tracked", .nan, "tensor 'generator.1.num_batches_tracked' holds 1 NaN"),
            (modelURL, "generator.1.num_batches_tracked", 1_099_511_627_776, "counter 'generator.1.num_batches_tracked' is 1099511627776"),
            (modelURL, "generator.1.num_batches_tracked", -1, "counter 'generator.1.num_batches_tracked' is -1"),
        ] {
            try model.write(to: modelURL)
            try optimizer.write(to: optimizerURL)
            try poison(url, tensor: tensor, with: value)
            assertCleanFailure(try GenStudioExecutable.run(["train", "--resume", run.path], logs: scratch),
                               mentions: [url.path, phrase])
        }
        try model.write(to: modelURL)
        try optimizer.write(to: optimizerURL)
        assertSuccess(try GenStudioExecutable.run(["train", "--resume", run.path], logs: scratch))
    }

    func testNaNAndInfiniteValuesInWeightsLatentsAndOptimizerStateAreRefused() throws {
        let run = try tinyRun("run")
        let checkpoint = try Checkpoint.resolve(run)
        let out = scratch.appendingPathComponent("x.png").path
        let latents = scratch.appendingPathComponent("z.safetensors")
        try SafeTensors(entries: [.init(name: "latents", tensor: Tensor(shape: [1, 8], scalars: [0, 1, .infinity, 0, 0, 0, 0, 0]))]).write(to: latents)
        assertCleanFailure(try GenStudioExecutable.run(["sample", run.path, "--latents", latents.path, "--out", out], logs: scratch),
                           mentions: [latents.path, "tensor 'latents' holds 1 NaN or infinite values"])

        try poison(checkpoint.appendingPathComponent(Checkpoint.optimizerFile), tensor: "generator.0.weight.exp_avg", with: .nan)
        assertCleanFailure(try GenStudioExecutable.run(["train", "--resume", run.path], logs: scratch),
                           mentions: [Checkpoint.optimizerFile, "generator.0.weight.exp_avg", "NaN"])
        try poison(checkpoint.appendingPathComponent(Checkpoint.modelFile), tensor: "generator.0.weight", with: .nan)
        assertCleanFailure(try GenStudioExecutable.run(["sample", run.path, "--out", out], logs: scratch),
                           mentions: [Checkpoint.modelFile, "tensor 'generator.0.weight' holds 1 NaN"])
    }

    func testARunStoppedBeforeItsFirstCheckpointStartsAgain() throws {
        let run = scratch.appendingPathComponent("early")
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride], outputs: scratch, runDirectory: run)
        XCTAssertThrowsError(try Checkpoint.resolve(run), "no checkpoint yet")
        let again = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=1"],
                                          outputs: scratch, runDirectory: run)
        XCTAssertEqual(try again.run(), .finished)
        XCTAssertThrowsError(try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride],
                                                   outputs: scratch, runDirectory: run)) { error in
            XCTAssertTrue("\(error)".contains("already holds a run"), "\(error)")
        }
    }

    func testAugmentLeftoversAreRemovedAndUnfinishedSetsAreNotScored() throws {
        let cgan = scratch.appendingPathComponent("cgan")
        _ = try TrainingJob.start(recipe: try Fixtures.directory.appendingPathComponent("tiny-cgan.toml"),
                                  overrides: [try Fixtures.dataOverride, "train.steps=1"], outputs: scratch, runDirectory: cgan).run()
        let job = scratch.appendingPathComponent("job")
        let arguments = ["augment", cgan.path, "--per-class", "2", "--classes", "0", "--format", "png", "--out", job.path]
        assertSuccess(try GenStudioExecutable.run(arguments, logs: scratch))
        let leftover = job.appendingPathComponent("0/.000001.png.tmp-12345")
        try Data([1, 2, 3]).write(to: leftover)
        var manifest = try XCTUnwrap(try AugmentationManifest.read(in: job))
        manifest.complete = false
        try manifest.write(in: job)
        XCTAssertThrowsError(try SampleSet.read(job, channels: 1)) { error in
            XCTAssertTrue("\(error)".contains("unfinished augmentation job"), "\(error)")
            XCTAssertTrue("\(error)".contains("--allow-incomplete"), "\(error)")
        }
        XCTAssertEqual(try SampleSet.read(job, channels: 1, allowIncomplete: true).images.shape[0], 2)
        assertSuccess(try GenStudioExecutable.run(arguments, logs: scratch))
        XCTAssertFalse(FileManager.default.fileExists(atPath: leftover.path), "the rerun removes what a killed writer left")
        XCTAssertTrue(try XCTUnwrap(try AugmentationManifest.read(in: job)).complete)
    }
}
