import Foundation
import StudioCore
import StudioIO
import StudioModels

/// Assembles a training session from a recipe, or from a run directory to resume: the checks a
/// user's input needs happen here, before any tensor is made.
public enum TrainingJob {
    /// A new run of the recipe at `recipeURL` with `overrides` (`train.lr=1e-4`) applied.
    public static func start(recipe recipeURL: URL, overrides: [String], outputs: URL, runDirectory: URL?) throws -> TrainingSession {
        let (parsed, resolved) = try RecipeLoader.load(recipeURL, overrides: overrides)
        let data = try loadData(parsed, recipePath: recipeURL.path)
        let recipe = parsed.resolvingEpochs(trainingCount: data.count)
        let task = try makeTask(recipe, data: data, recipePath: recipeURL.path)
        let name = recipeURL.deletingPathExtension().lastPathComponent
        let run = try RunDirectory.create(outputs: outputs, recipeName: name, explicit: runDirectory, resolvedRecipe: resolved)
        return try TrainingSession(run: run, recipe: recipe, task: task, data: data, resume: nil)
    }

    /// The run in `directory`, continued from its latest checkpoint exactly where it stopped.
    public static func resume(_ directory: URL) throws -> TrainingSession {
        let run = RunDirectory(url: directory)
        guard FileManager.default.fileExists(atPath: run.recipe.path) else {
            throw FileFormatError(path: directory.path, "is not a run directory (no recipe.toml)")
        }
        let (parsed, _) = try RecipeLoader.load(run.recipe)
        let checkpoint = try Checkpoint.resolve(directory)
        let state = try Checkpoint.readState(checkpoint)
        let data = try loadData(parsed, recipePath: run.recipe.path)
        let recipe = parsed.resolvingEpochs(trainingCount: data.count)
        let task = try makeTask(recipe, data: data, recipePath: run.recipe.path)
        let model = try SafeTensors.read(from: checkpoint.appendingPathComponent(Checkpoint.modelFile))
        let optimizer = try SafeTensors.read(from: checkpoint.appendingPathComponent(Checkpoint.optimizerFile))
        do {
            try task.restore(model: model, optimizer: optimizer)
        } catch {
            throw FileFormatError(path: checkpoint.path, "does not fit the run's recipe: \(error)")
        }
        return try TrainingSession(run: run, recipe: recipe, task: task, data: data, resume: state)
    }

    static func applyThreads(_ recipe: Recipe) throws {
        TensorMemory.keepFreedStorage()
        ComputeThreads.count = recipe.train.threads > 0 ? recipe.train.threads : ProcessInfo.processInfo.activeProcessorCount
    }

    static func loadData(_ recipe: Recipe, recipePath: String) throws -> ImageDataset {
        let directory = URL(fileURLWithPath: recipe.data.path)
        let data: ImageDataset
        do {
            data = try ImageDataset.mnistFormat(directory: directory, split: .train)
        } catch let error as FileFormatError where error.path == directory.path {
            throw DatasetError("""
                \(error) (data.path in \(recipePath)).
                Fetch MNIST with: genstudio data mnist --out \(recipe.data.path)
                or point data.path at a directory of MNIST-format IDX files (--set data.path=DIR).
                """)
        }
        guard data.count >= recipe.train.batch else {
            throw DatasetError("\(directory.path): \(data.count) images, fewer than one batch of train.batch = \(recipe.train.batch)")
        }
        return data
    }

    static func makeTask(_ recipe: Recipe, data: ImageDataset, recipePath: String) throws -> TrainingTask {
        try applyThreads(recipe)
        switch recipe.model {
        case .gan(let config):
            guard data.imageShape == Shape(config.imageShape) else {
                throw DatasetError("images in \(recipe.data.path) are \(data.imageShape), but model.image_shape in \(recipePath) is \(config.imageShape)")
            }
            if config.isConditional {
                guard !data.labels.isEmpty, let top = data.labels.max(), top < config.classCount, data.labels.min()! >= 0 else {
                    throw DatasetError("a conditional GAN (model.classes = \(config.classCount)) needs labels in 0..<\(config.classCount) in \(recipe.data.path)")
                }
            }
            return try AdversarialTask(config: config, settings: recipe.train, sampleCount: recipe.sample.count)
        case .vae(let config):
            return try makeVariationalTask(config, recipe: recipe, data: data, recipePath: recipePath)
        case .diffusion(let config):
            try checkDiffusionData(config, data: data, recipe: recipe, recipePath: recipePath)
            return try DiffusionTask(config: config, settings: recipe.train, sampleCount: recipe.sample.count)
        case .classifier(let config):
            return try makeClassificationTask(config, recipe: recipe, data: data, recipePath: recipePath)
        }
    }
}
