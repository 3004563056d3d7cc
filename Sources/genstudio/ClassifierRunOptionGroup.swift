import ArgumentParser
import Foundation

/// The options of the commands that judge synthetic data by training the classifier recipe on K real
/// images per class (`eval augmentation`, `eval few-shot`).
struct ClassifierRunOptionGroup: ParsableArguments {
    @Option(help: "Real training images per class (K).")
    var realPerClass: Int

    @Option(help: "The classifier recipe.")
    var classifierRecipe: String = "recipes/classifier-mnist.toml"

    @Option(name: [.customLong("classifier-steps"), .customLong("steps")],
            help: "Steps of each classifier training (default: the recipe's length on the full training set; --steps is the old spelling).")
    var steps: Int?

    @Option(help: "The MNIST-format directory of real training and test images (default: the recipe's data.path).")
    var data: String?

    /// `--classifier-recipe` as a file URL.
    var recipeURL: URL { URL(fileURLWithPath: classifierRecipe) }
    /// `--data` as a directory URL.
    var dataURL: URL? { data.map { URL(fileURLWithPath: $0) } }
}
