import Foundation
import StudioCore
import StudioIO
import StudioModels
import TOMLKit

/// A classifier recipe trained for a fixed number of steps from one seed on any labelled set, with
/// optional classical augmentation: the runs of `eval augmentation` and the pseudo-labeller of the
/// few-labels protocol.
struct ClassifierTrainer {
    let recipe: Recipe
    let config: ClassifierConfig
    /// The recipe's resolved TOML, rewritten into each run's `recipe.toml`.
    let recipeTable: String
    let steps: Int
    let seed: UInt64

    /// The classifier recipe trained on `set` for `steps` steps from `seed` in batches of at most the
    /// recipe's, with `augment` on each batch, into the run directory `url`; nil when `shouldStop` ended it.
    func train(on set: ImageDataset, augment: AugmentSettings?, into url: URL, shouldStop: () -> Bool,
               observe: (TrainingEvent) -> Void) throws -> ClassificationTask? {
        var settings = recipe
        settings.train.steps = steps
        settings.train.epochs = nil
        settings.train.seed = seed
        settings.train.batch = Swift.min(recipe.train.batch, set.count)
        settings.checkpoint.interval = steps
        settings.checkpoint.keep = 1
        settings.augment = augment
        let runDirectory = try RunDirectory.create(outputs: url.deletingLastPathComponent(), recipeName: url.lastPathComponent,
                                                   explicit: url, resolvedRecipe: try resolvedRecipe(settings.train, augment: augment))
        try TrainingJob.applyThreads(settings)
        let task = try ClassificationTask(config: config, settings: settings.train, test: nil,
                                          augmentation: augment.map(ClassicalAugmentation.init))
        let session = try TrainingSession(run: runDirectory, recipe: settings, task: task, data: set, resume: nil)
        return try session.run(shouldStop: shouldStop, observe: observe) == .finished ? task : nil
    }

    /// The recipe text of one run: the classifier recipe with its training length, seed and batch
    /// replaced (steps, never epochs, since the sets differ in size), and `[augment]` as the run has it.
    func resolvedRecipe(_ train: TrainSettings, augment: AugmentSettings?) throws -> String {
        let table = try TOMLTable(string: recipeTable)
        func section(_ name: String) -> TOMLTable {
            if table[name]?.table == nil { table[name] = TOMLTable() }
            return table[name]!.table!
        }
        let trainTable = section("train")
        trainTable.remove(at: "epochs")
        trainTable["steps"] = train.steps
        trainTable["seed"] = Int(train.seed)
        trainTable["batch"] = train.batch
        let checkpoint = section("checkpoint")
        checkpoint["interval"] = train.steps
        checkpoint["keep"] = 1
        table.remove(at: "augment")
        if let augment {
            let augmentTable = section("augment")
            augmentTable["transforms"] = augment.transforms.map(\.rawValue)
            augmentTable["translate"] = augment.translate
            augmentTable["rotate"] = augment.rotate
            augmentTable["scale"] = augment.scale
            augmentTable["elastic_alpha"] = augment.elasticAlpha
            augmentTable["elastic_sigma"] = augment.elasticSigma
        }
        return table.convert(to: .toml)
    }
}
