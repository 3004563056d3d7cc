import Foundation
import StudioCore
import StudioModels
import XCTest
@testable import StudioTraining

/// Per-sample diffusion noise: sample i's x_T and step noise depend on (seed, i) only, whatever the batch.
final class DiffusionNoiseTests: XCTestCase {
    func testSampleIIsTheSameAloneOrInABatch() throws {
        var generator = RandomGenerator(seed: 1)
        let unet = try UNet(config: TinyUNet.config, imageShape: [1, 8, 8], classCount: 0, using: &generator)
        let sampler = DiffusionSampler(unet: unet, process: DiffusionProcess(schedule: .linear(timesteps: 10)))
        let options = DiffusionSampleOptions(sampler: .ddpm, steps: 4)

        let all = DiffusionNoise.initial(seed: 3, indices: [0, 1, 2], sampleShape: [1, 8, 8])
        let alone = DiffusionNoise.initial(seed: 3, indices: [2], sampleShape: [1, 8, 8])
        XCTAssertEqual(alone.scalars, all.sliced(alongAxis: 0, 2..<3).scalars)
        XCTAssertNotEqual(all.sliced(alongAxis: 0, 0..<1).scalars, alone.scalars)

        var batchGenerators = DiffusionNoise.stepGenerators(seed: 3, indices: [0, 1, 2])
        var aloneGenerators = DiffusionNoise.stepGenerators(seed: 3, indices: [2])
        let batch = try sampler.sample(noise: all, labels: nil, options: options, sampleGenerators: &batchGenerators).images
        let single = try sampler.sample(noise: alone, labels: nil, options: options, sampleGenerators: &aloneGenerators).images
        XCTAssertTrue(single.isClose(to: batch.sliced(alongAxis: 0, 2..<3), absolute: 1e-5, relative: 1e-5))
        XCTAssertEqual(aloneGenerators[0], batchGenerators[2], "each sample's generator advanced alike")
    }
}
