import XCTest
import StudioCore
import StudioNN

/// What layers do beyond their gradients: modes, randomness, shapes.
final class LayerBehaviourTests: XCTestCase {
    func testDropoutZeroesAFractionAndRescalesTheRest() {
        let input = Tensor(ones: [100, 100])
        let context = ForwardContext(training: true, generator: RandomGenerator(seed: 1))
        let dropout = Dropout(probability: 0.3)
        let first = dropout(input, context: context)
        let zeros = first.scalars.filter { $0 == 0 }.count
        XCTAssertEqual(Double(zeros) / 10_000, 0.3, accuracy: 0.02)
        XCTAssertTrue(first.scalars.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.7) < 1e-6 })
        let second = dropout(input, context: context)
        XCTAssertNotEqual(first.scalars, second.scalars, "each call draws a new mask from the context")
        let replay = dropout(input, context: ForwardContext(training: true, generator: RandomGenerator(seed: 1)))
        XCTAssertEqual(first.scalars, replay.scalars, "the same generator state gives the same mask")
        XCTAssertEqual(dropout(input).scalars, input.scalars, "evaluation is the identity")
        XCTAssertEqual(Dropout(probability: 1)(input, context: context).scalars, [Float](repeating: 0, count: 10_000))
    }

    func testGaussianNoiseAddsNoiseOfItsDeviationInTrainingOnly() {
        let input = Tensor(ones: [100, 100]).requiringGradient()
        let context = ForwardContext(training: true, generator: RandomGenerator(seed: 2))
        let noise = GaussianNoise(standardDeviation: 0.5)
        let first = noise(input, context: context)
        let added = first.scalars.map { Double($0 - 1) }
        let mean = added.reduce(0, +) / 10_000
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual((added.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 10_000).squareRoot(), 0.5, accuracy: 0.02)
        XCTAssertNotEqual(first.scalars, noise(input, context: context).scalars, "each call draws new noise from the context")
        XCTAssertEqual(first.scalars, noise(input, context: ForwardContext(training: true, generator: RandomGenerator(seed: 2))).scalars)
        XCTAssertEqual(gradients(of: first.sum(), withRespectTo: [input])[0]?.scalars, [Float](repeating: 1, count: 10_000),
                       "the gradient passes unchanged")
        XCTAssertEqual(noise(input).scalars, input.scalars, "evaluation is the identity")
    }

    func testReshapingLayers() {
        let x = Tensor(shape: [2, 3, 2, 2], scalars: (0..<24).map(Float.init))
        XCTAssertEqual(Flatten()(x).shape, [2, 12])
        XCTAssertEqual(Flatten(startAxis: 2)(x).shape, [2, 3, 4])
        let restored = Unflatten(axis: 1, shape: [3, 2, 2])(Flatten()(x))
        XCTAssertEqual(restored.shape, x.shape)
        XCTAssertEqual(restored.scalars, x.scalars)
    }

    func testBatchNormTrainingUsesBatchStatisticsAndEvaluationRunningOnes() {
        let norm = BatchNorm1d(featureCount: 2)
        let x = Tensor(shape: [4, 2], scalars: [1, 10, 2, 20, 3, 30, 4, 40])
        let trained = norm(x, context: ForwardContext(training: true))
        // Batch mean (2.5, 25); biased variance (1.25, 125).
        let epsilon: Float = 1e-5
        XCTAssertEqual(trained[0, 0], -1.5 / (1.25 + epsilon).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(trained[3, 1], 15 / (125 + epsilon).squareRoot(), accuracy: 1e-5)
        // Running: 0.9·init + 0.1·batch, with the unbiased variance (5/3, 500/3).
        XCTAssertEqual(norm.runningMean.value.scalars[1], 2.5, accuracy: 1e-5)
        let runningVariance: [Float] = [0.9 + 0.1 * 5 / 3, 0.9 + 0.1 * 500 / 3]
        XCTAssertEqual(norm.runningVariance.value.scalars[0], runningVariance[0], accuracy: 1e-5)
        XCTAssertEqual(norm.runningVariance.value.scalars[1], runningVariance[1], accuracy: 1e-3)
        XCTAssertEqual(norm.batchesTracked.value.item, 1)
        let evaluated = norm(x)
        XCTAssertEqual(evaluated[0, 1], 7.5 / (runningVariance[1] + epsilon).squareRoot(), accuracy: 1e-4)
        XCTAssertEqual(norm.batchesTracked.value.item, 1, "evaluation does not count batches")
    }

    func testActivationLayersApplyTheirFunctions() {
        let x = Tensor([-2, -0.5, 0.5, 2])
        XCTAssertEqual(ReLU()(x).scalars, [0, 0, 0.5, 2])
        XCTAssertEqual(LeakyReLU(slope: 0.2)(x).scalars, [-0.4, -0.1, 0.5, 2])
        XCTAssertEqual(Tanh()(x).scalars, x.tanh().scalars)
        XCTAssertEqual(Sigmoid()(x).scalars, x.sigmoid().scalars)
        XCTAssertEqual(SiLU()(x).scalars, x.silu().scalars)
        XCTAssertEqual(GELU()(x).scalars, x.gelu().scalars)
        XCTAssertEqual(Softplus()(x).scalars, x.softplus().scalars)
    }

    func testPhaseShuffleShiftsEachExampleWithReflectionAndIsTheIdentityInEvaluation() {
        // PyTorch's WaveGAN: F.pad(x[..., :-2], (2, 0), mode="reflect") and F.pad(x[..., 2:], (0, 2), mode="reflect").
        let row: [Float] = [0, 1, 2, 3, 4, 5]
        let x = Tensor(shape: [3, 1, 6], scalars: row + row + row)
        XCTAssertEqual(x.phaseShuffled(shifts: [2, -2, 0]).scalars, [2, 1, 0, 1, 2, 3] + [2, 3, 4, 5, 4, 3] + row)

        let layer = PhaseShuffle(radius: 2)
        let batch = Tensor(shape: [64, 2, 6], scalars: (0..<(64 * 12)).map { Float($0 % 6) })
        XCTAssertEqual(layer(batch).scalars, batch.scalars, "evaluation is the identity")
        let context = ForwardContext(training: true, generator: RandomGenerator(seed: 3))
        let shuffled = layer(batch, context: context)
        let firstElements = Set((0..<64).map { shuffled.scalars[$0 * 12] })
        XCTAssertEqual(firstElements, [0, 1, 2], "shifts -2...2 start a row at x[2], x[1], x[0], x[1] or x[2]")
        for example in 0..<64 {
            XCTAssertEqual(Array(shuffled.scalars[(example * 12)..<(example * 12 + 6)]),
                           Array(shuffled.scalars[(example * 12 + 6)..<(example * 12 + 12)]), "one shift per example, all channels")
        }
        let replay = layer(batch, context: ForwardContext(training: true, generator: RandomGenerator(seed: 3)))
        XCTAssertEqual(replay.scalars, shuffled.scalars, "the same generator state gives the same shifts")
        XCTAssertNotEqual(layer(batch, context: context).scalars, shuffled.scalars, "the context's generator advances")
    }
}
