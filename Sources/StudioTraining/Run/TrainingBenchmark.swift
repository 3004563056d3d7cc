import Foundation
import StudioCore
import StudioIO
import StudioModels

/// A recipe's training task on random examples of the recipe's shape, built by the code
/// `genstudio train` uses, so that `genstudio bench` times any recipe's step without its data set.
/// It measures; the caller prints.
public final class TrainingBenchmark {
    /// The recipe the task was built from, overrides applied.
    public let recipe: Recipe
    /// The task `genstudio train` builds for the recipe.
    public let task: any TrainingTask
    /// One step's examples, `[train.batch · task.batchesPerStep] + exampleShape` (a GAN's critic
    /// batches stacked along axis 0), random values in the task's pixel range.
    public let batch: Tensor
    /// One label per example of `batch`, cycling through the model's classes; empty when it has none.
    public let labels: [Int]

    init(recipe: Recipe, task: any TrainingTask, batch: Tensor, labels: [Int]) {
        self.recipe = recipe
        self.task = task
        self.batch = batch
        self.labels = labels
    }

    /// Examples in the random held-out split given to the families that need one (VAE, classifier);
    /// the benchmark never evaluates it.
    static let heldOutCount = 16

    /// The seed of the random examples and of the sampling inputs.
    static let seed: UInt64 = 99

    /// Runs one task step on `batch` for each step index in `steps`; returns the last step's metrics
    /// (empty when `steps` is empty).
    @discardableResult
    public func runSteps(_ steps: Range<Int>) -> [Double] {
        var metrics: [Double] = []
        for step in steps { metrics = task.step(batch: batch, labels: labels, step: step) }
        return metrics
    }

    /// Seconds that `count` steps take after `warmUp` untimed ones; step indices run on from the warm-up.
    public func timeSteps(warmUp: Int, count: Int) -> Double {
        runSteps(0..<warmUp)
        return Self.seconds { runSteps(warmUp..<(warmUp + count)) }
    }

    /// Wall-clock seconds of `work`.
    static func seconds(_ work: () throws -> Void) rethrows -> Double {
        let elapsed = try ContinuousClock().measure(work)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}

extension TrainingJob {
    /// The benchmark of the recipe at `recipeURL` with `overrides` (`train.batch=16`) applied.
    public static func benchmarkTask(recipe recipeURL: URL, overrides: [String] = []) throws -> TrainingBenchmark {
        let (parsed, _) = try RecipeLoader.load(recipeURL, overrides: overrides)
        return try benchmarkTask(parsed, recipePath: recipeURL.path)
    }

    /// The benchmark of a recipe already decoded or made in code, checked as a recipe file is;
    /// `recipePath` names it in errors. Sets the compute threads from `train.threads`, as training does.
    public static func benchmarkTask(_ recipe: Recipe, recipePath: String) throws -> TrainingBenchmark {
        try RecipeLoader.check(recipe, path: recipePath)
        var generator = RandomGenerator(seed: TrainingBenchmark.seed)
        // A semi-supervised GAN or VAE draws its labelled examples from the data: K of each class at least.
        let labelled = (recipe.data.labelledPerClass ?? 0) * classCount(of: recipe.model)
        let data = randomExamples(of: recipe, count: Swift.max(recipe.train.batch, labelled), using: &generator)
        let test = randomExamples(of: recipe, count: TrainingBenchmark.heldOutCount, using: &generator)
        let task = try makeTask(recipe, data: data, test: test, recipePath: recipePath)
        // A GAN's critic steps each take a batch; repeating the random ones costs the same as fresh ones.
        let indices = (0..<(recipe.train.batch * task.batchesPerStep)).map { $0 % data.count }
        let labels = data.labels.isEmpty ? [] : indices.map { data.labels[$0] }
        return TrainingBenchmark(recipe: recipe, task: task, batch: data.batch(indices, range: task.valueRange), labels: labels)
    }

    /// `count` examples of the recipe's shape (the audio settings' for an audio recipe) with values
    /// uniform in -1...1, labelled `i mod classes` when the model has classes.
    static func randomExamples(of recipe: Recipe, count: Int, using generator: inout RandomGenerator) -> SignalDataset {
        let shape = Shape([count] + (recipe.audio?.exampleShape ?? recipe.model.imageShape))
        let values = Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator).scalars
        let classes = classCount(of: recipe.model)
        return SignalDataset(shape: shape, values: values, labels: classes > 0 ? (0..<count).map { $0 % classes } : [])
    }

    /// The classes a model is conditioned on or predicts (a semi-supervised discriminator's too); 0
    /// for an unconditional generator.
    static func classCount(of model: ModelConfig) -> Int {
        switch model {
        case .gan(let config): config.isSemiSupervised ? config.discriminatorClasses : config.classCount
        case .vae(let config): config.classCount
        case .diffusion(let config): config.classes
        case .classifier(let config): config.classCount
        }
    }
}
