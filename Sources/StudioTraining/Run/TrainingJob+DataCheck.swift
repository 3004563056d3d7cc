import StudioCore
import StudioIO
import StudioModels

extension TrainingJob {
    /// The one check that a data set fits a model: examples of `config`'s shape and, for a model
    /// with classes (conditional generators, classifiers), labels in `0..<classes`. `name` says which
    /// split ("training", "test", "synthetic"), `place` where it lies; `recipePath` names the recipe.
    static func checkData(_ data: any LabelledExamples, fit config: ModelConfig, name: String, place: String,
                          recipePath: String) throws {
        guard data.exampleShape == Shape(config.imageShape) else {
            throw DatasetError("\(name) examples in \(place) are \(data.exampleShape), but model.image_shape in \(recipePath) is \(config.imageShape)")
        }
        let classes = config.classCount
        // A semi-supervised model reads only its labelled examples' labels, which `ClassSubset` checks.
        guard classes > 0, config.semiSupervisedClassCount == nil || name != "training" else { return }
        guard !data.labels.isEmpty, let low = data.labels.min(), let high = data.labels.max(), low >= 0, high < classes else {
            let found = data.labels.isEmpty ? "none" : "\(data.labels.min()!)...\(data.labels.max()!)"
            let what = if case .classifier = config { "a classifier" } else { "a conditional \(config.family) model" }
            throw DatasetError("\(what) (model.classes = \(classes) in \(recipePath)) needs \(name) labels in 0..<\(classes) in \(place); found \(found)")
        }
    }
}
