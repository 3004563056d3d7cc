import Foundation
import StudioCore
import StudioIO
import StudioModels
import StudioNN
import StudioOptim

/// Training a classifier: per step, cross-entropy of the batch's logits against its labels and one
/// Adam step. Pixels are in 0...1. It draws no sample grids.
public final class ClassificationTask: TrainingTask {
    public let classifier: Classifier
    let optimizer: Adam
    /// The optimizers the session schedules.
    public var optimizers: [any Optimizer] { [optimizer] }
    /// The rows of each global batch this process trains on.
    public var share = BatchShare.whole
    let seed: UInt64
    /// The held-out images scored at each epoch end and at the end (pixels 0...255, labels); nil: none.
    let test: (any LabelledExamples)?
    /// Random changes to each training batch (`[augment]`); nil: the images as they are.
    let augmentation: ClassicalAugmentation?

    public let metricNames = ["loss", "accuracy"]
    public var evaluationMetricNames: [String] { test == nil ? [] : ["test_loss", "test_accuracy"] }
    public var valueRange: ClosedRange<Float> { Classifier.valueRange }

    /// Images scored per forward pass in `score(on:)`.
    static let evaluationBatch = 500

    /// A freshly initialised classifier for `config`, trained with Adam as `settings` says; `test`
    /// is the held-out split `evaluate()` scores, or nil for a run without held-out metrics;
    /// `augmentation` changes every training batch before the step sees it.
    public init(config: ClassifierConfig, settings: TrainSettings, test: (any LabelledExamples)?,
                augmentation: ClassicalAugmentation? = nil) throws {
        var generator = RandomStream.initialization.generator(seed: settings.seed)
        classifier = try Classifier(config: config, using: &generator)
        optimizer = Adam(parameters: classifier.namedParameters, learningRate: Float(settings.lr),
                         betas: (Float(settings.beta1), Float(settings.beta2)))
        seed = settings.seed
        self.test = test
        self.augmentation = augmentation
    }

    /// Mean cross-entropy and top-1 accuracy of the (augmented) batch, before the update.
    public func step(batch: Tensor, labels: [Int], step: Int) -> [Double] {
        var input = batch
        if let augmentation {
            // Drawn from (seed, step) alone, so a resumed run augments exactly as an uninterrupted one.
            var generator = RandomStream.augmentation.generator(seed: seed, step: step)
            input = augmentation(batch, share: share, using: &generator)
        }
        let context = share.trainingContext(seed: seed, step: step)
        let logits = classifier.logits(input, context: context)
        let loss = crossEntropy(logits: logits, labels: labels)
        optimizer.zeroGradients()
        loss.backward()
        optimizer.step()
        let correct = zip(logits.argmax(alongAxis: 1), labels).filter { $0 == $1 }.count
        return [Double(loss.item), Double(correct) / Double(labels.count)]
    }

    /// `test_loss` (mean cross-entropy, nats) and `test_accuracy` on the held-out split.
    public func evaluate() -> [Double] {
        guard let test else { return [] }
        let (loss, accuracy) = score(on: test)
        return [loss, accuracy]
    }

    /// Mean cross-entropy and top-1 accuracy of the current weights on every image of `data`
    /// (labelled, the classifier's image shape), in evaluation mode and batches of 500.
    public func score(on data: any LabelledExamples) -> (loss: Double, accuracy: Double) {
        withoutGradients {
            var loss = 0.0
            var correct = 0
            var start = 0
            while start < data.count {
                let indices = Array(start..<Swift.min(data.count, start + Self.evaluationBatch))
                let labels = indices.map { data.labels[$0] }
                let logits = classifier.logits(data.batch(indices, range: valueRange), context: .inference)
                loss += Double(crossEntropy(logits: logits, labels: labels, reduction: .sum).item)
                correct += zip(logits.argmax(alongAxis: 1), labels).filter { $0 == $1 }.count
                start += indices.count
            }
            return (loss / Double(data.count), Double(correct) / Double(data.count))
        }
    }

    /// None: the session writes no sample grids for a classifier.
    public func sampleGrids() -> [(name: String, images: Tensor)] { [] }

    public func modelState(step: Int) throws -> SafeTensors {
        try ModelCheckpoint.encode(classifier, config: .classifier(classifier.config), step: step)
    }

    public func optimizerState() -> SafeTensors {
        ModelCheckpoint.encodeOptimizers(["classifier": optimizer])
    }

    public func restore(model: SafeTensors, optimizer: SafeTensors) throws {
        try ModelCheckpoint.load(model, into: classifier)
        try ModelCheckpoint.loadOptimizers(optimizer, into: ["classifier": self.optimizer])
    }
}
