import Foundation
import StudioCore
import StudioIO
import StudioModels

/// Assembles a training session from a recipe, or from a run directory to resume: the checks a
/// user's input needs happen here, before any tensor is made.
public enum TrainingJob {
    /// A new run of the recipe at `recipeURL` with `overrides` (`train.lr=1e-4`) applied; with
    /// `parallel`, this rank's part of a data-parallel run, whose directory rank 0 alone writes.
    public static func start(recipe recipeURL: URL, overrides: [String], outputs: URL, runDirectory: URL?,
                             parallel: DataParallel? = nil) throws -> TrainingSession {
        let (parsed, resolved) = try RecipeLoader.load(recipeURL, overrides: overrides)
        let loaded = try loadData(parsed, recipePath: recipeURL.path)
        let recipe = parsed.resolvingEpochs(trainingCount: loaded.examples.count)
        try checkParallel(recipe, parallel, recipePath: recipeURL.path)
        let task = try makeTask(recipe, data: loaded.examples, recipePath: recipeURL.path)
        let name = recipeURL.deletingPathExtension().lastPathComponent
        let run: RunDirectory
        if parallel?.isWriter ?? true {
            run = try RunDirectory.create(outputs: outputs, recipeName: name, explicit: runDirectory, resolvedRecipe: resolved)
            try loaded.subset?.write(into: run.url)
            try writeLabelled(recipe, data: loaded.examples, into: run.url, recipePath: recipeURL.path)
            try logSkipped(loaded.skipped, kind: loaded.skippedKind, run: run)
        } else {
            // The other ranks write nothing; the folder is only named.
            run = RunDirectory(url: runDirectory ?? outputs.appendingPathComponent(name))
        }
        return try TrainingSession(run: run, recipe: recipe, task: task, data: loaded.examples, resume: nil,
                                   skippedFiles: loaded.skipped.count, skippedKind: loaded.skippedKind,
                                   classNames: loaded.classNames, parallel: parallel)
    }

    /// The run in `directory`, continued from its latest checkpoint exactly where it stopped; with
    /// `parallel`, by this rank of a data-parallel job.
    public static func resume(_ directory: URL, parallel: DataParallel? = nil) throws -> TrainingSession {
        let run = RunDirectory(url: directory)
        guard FileManager.default.fileExists(atPath: run.recipe.path) else {
            throw FileFormatError(path: directory.path, "is not a run directory (no recipe.toml)")
        }
        let (parsed, _) = try RecipeLoader.load(run.recipe)
        let checkpoint = try Checkpoint.resolve(directory)
        let state = try Checkpoint.readState(checkpoint)
        let loaded = try loadData(parsed, recipePath: run.recipe.path)
        try checkSubset(loaded.subset, recordedIn: run, dataPath: parsed.data.path)
        try checkLabelled(parsed, data: loaded.examples, run: directory, recipePath: run.recipe.path)
        let recipe = parsed.resolvingEpochs(trainingCount: loaded.examples.count)
        try checkParallel(recipe, parallel, recipePath: run.recipe.path)
        let task = try makeTask(recipe, data: loaded.examples, recipePath: run.recipe.path)
        let model = try SafeTensors.read(from: checkpoint.appendingPathComponent(Checkpoint.modelFile))
        let optimizer = try SafeTensors.read(from: checkpoint.appendingPathComponent(Checkpoint.optimizerFile))
        try model.requireFinite(path: checkpoint.appendingPathComponent(Checkpoint.modelFile).path)
        try optimizer.requireFinite(path: checkpoint.appendingPathComponent(Checkpoint.optimizerFile).path)
        let updates = state.step.multipliedReportingOverflow(by: task.batchesPerStep)
        try CheckpointCounters.validate(model: model, modelPath: checkpoint.appendingPathComponent(Checkpoint.modelFile).path,
                                        optimizer: optimizer, optimizerPath: checkpoint.appendingPathComponent(Checkpoint.optimizerFile).path,
                                        updates: updates.overflow ? Int.max : Swift.max(0, updates.partialValue))
        do {
            try task.restore(model: model, optimizer: optimizer)
        } catch {
            throw FileFormatError(path: checkpoint.path, "does not fit the run's recipe: \(error)")
        }
        try checkRanks(state, model: model, recipe: recipe, parallel: parallel, checkpoint: checkpoint)
        if parallel?.isWriter ?? true { try logSkipped(loaded.skipped, kind: loaded.skippedKind, run: run) }
        return try TrainingSession(run: run, recipe: recipe, task: task, data: loaded.examples, resume: state,
                                   skippedFiles: loaded.skipped.count, skippedKind: loaded.skippedKind,
                                   classNames: loaded.classNames, parallel: parallel)
    }

    static func applyThreads(_ recipe: Recipe) throws {
        TensorMemory.keepFreedStorage()
        ComputeThreads.count = ComputeThreads.fixed
            ?? (recipe.train.threads > 0 ? recipe.train.threads : ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The training split, cut to `data.per_class` examples of each class when the recipe says so.
    static func loadData(_ recipe: Recipe, recipePath: String) throws -> LoadedExamples {
        var loaded = try loadSplit(recipe, split: .train, recipePath: recipePath)
        if let perClass = recipe.data.perClass {
            loaded = try subsetting(loaded, perClass: perClass, recipe: recipe, recipePath: recipePath)
        }
        guard loaded.examples.count >= recipe.train.batch else {
            let which = recipe.data.perClass.map { "data.per_class = \($0) leaves " } ?? ""
            throw DatasetError("\(recipe.data.path): \(which)\(loaded.examples.count) examples, fewer than one batch of train.batch = \(recipe.train.batch)")
        }
        return loaded
    }

    /// The task for `recipe` after checking that `data` fits it; `test` is the held-out split of the
    /// families that need one (VAE, classifier), nil to read it from the recipe's data directory.
    static func makeTask(_ recipe: Recipe, data: any LabelledExamples, test: (any LabelledExamples)? = nil,
                         recipePath: String) throws -> TrainingTask {
        try applyThreads(recipe)
        try checkData(data, fit: recipe.model, name: "training", place: recipe.data.path, recipePath: recipePath)
        switch recipe.model {
        case .gan(let config) where config.isSemiSupervised:
            return try makeSemiSupervisedTask(config, recipe: recipe, data: data, test: test, recipePath: recipePath)
        case .gan(let config):
            return try AdversarialTask(config: config, settings: recipe.train, sampleCount: recipe.sample.count)
        case .vae(let config):
            return try makeVariationalTask(config, recipe: recipe, data: data, test: test, recipePath: recipePath)
        case .diffusion(let config):
            return try DiffusionTask(config: config, settings: recipe.train, sampleCount: recipe.sample.count)
        case .classifier(let config):
            return try makeClassificationTask(config, recipe: recipe, data: data, test: test, recipePath: recipePath)
        }
    }
}
