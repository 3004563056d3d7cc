import StudioCore
import StudioIO
import StudioModels

extension TrainingJob {
    /// Checks that the data fit a diffusion recipe: the image shape, and labels inside the model's
    /// classes when it is conditional.
    static func checkDiffusionData(_ config: DiffusionConfig, data: any LabelledExamples, recipe: Recipe, recipePath: String) throws {
        guard data.exampleShape == Shape(config.imageShape) else {
            throw DatasetError("images in \(recipe.data.path) are \(data.exampleShape), but model.image_shape in \(recipePath) is \(config.imageShape)")
        }
        guard config.isConditional else { return }
        guard !data.labels.isEmpty else {
            throw DatasetError("\(recipe.data.path) has no labels, but model.classes = \(config.classes) in \(recipePath) asks for a conditional model")
        }
        if let largest = data.labels.max(), largest >= config.classes {
            throw DatasetError("\(recipe.data.path) has label \(largest), outside model.classes = \(config.classes) in \(recipePath) (labels 0...\(config.classes - 1))")
        }
    }
}
