import Foundation
import StudioIO

/// What `genstudio eval few-shot` writes to `report.json`: every seed's classifier runs and
/// memorisation figures, and each run's test accuracy as mean and standard deviation over seeds.
public struct FewShotReport: Codable, Sendable {
    /// The file name in the protocol's directory.
    public static let fileName = "report.json"

    /// One seed's results.
    public struct Seed: Codable, Sendable {
        public var seed: UInt64
        /// The classifier trainings (real, real+classical, real+synthetic, real+synthetic+classical, synthetic;
        /// with pseudo-labels also real+pseudo+classical and real+pseudo+synthetic+classical).
        public var runs: [AugmentationEvaluation.Run]
        public var memorisation: Memorisation
        /// The few-labels setting's (last) pseudo-labelling round; nil in the few-shot setting.
        public var pseudoLabels: PseudoLabels?
        /// Every self-training round, first to last, when there were more than one.
        public var pseudoLabelRounds: [PseudoLabels]?
        /// A semi-supervised GAN's discriminator, as a classifier, on the test split; nil for other generators.
        public var discriminatorTestAccuracy: Double?
        /// A semi-supervised VAE's classifier q(y | x) on the test split; nil for other generators.
        public var classifierTestAccuracy: Double?

        enum CodingKeys: String, CodingKey {
            case seed, runs, memorisation, pseudoLabels = "pseudo_labels", pseudoLabelRounds = "pseudo_label_rounds"
            case discriminatorTestAccuracy = "discriminator_test_accuracy", classifierTestAccuracy = "classifier_test_accuracy"
        }
    }

    /// A run's test accuracy over seeds.
    public struct Summary: Codable, Sendable {
        public var name: String
        public var meanAccuracy: Double
        /// The sample standard deviation over seeds (0 for one seed).
        public var standardDeviation: Double
        public var accuracies: [Double]

        enum CodingKeys: String, CodingKey {
            case name, meanAccuracy = "mean_accuracy", standardDeviation = "standard_deviation", accuracies
        }
    }

    public var generatorRecipe: String
    public var realPerClass: Int
    public var generatorSteps: Int?
    public var syntheticPerClass: Int
    public var classifierRecipe: String
    /// Whether the generator also learnt from the unlabelled images (the few-labels setting).
    public var unlabelled: Bool
    /// Self-training rounds in the few-labels setting; nil otherwise.
    public var pseudoLabelRounds: Int?
    public var seeds: [Seed]
    public var summary: [Summary]

    enum CodingKeys: String, CodingKey {
        case generatorRecipe = "generator_recipe", realPerClass = "real_per_class", generatorSteps = "generator_steps"
        case syntheticPerClass = "synthetic_per_class", classifierRecipe = "classifier_recipe", unlabelled
        case pseudoLabelRounds = "self_training_rounds", seeds, summary
    }

    /// The report of `seeds` run with `settings`, summarised run by run in the order the runs came;
    /// `selfTraining` when the generator learnt the unlabelled images through pseudo-labels.
    public init(settings: FewShotEvaluation.Settings, seeds: [Seed], selfTraining: Bool) {
        generatorRecipe = settings.generatorRecipe.path
        realPerClass = settings.realPerClass
        generatorSteps = settings.generatorSteps
        syntheticPerClass = settings.perClass
        classifierRecipe = settings.classifierRecipe.path
        unlabelled = settings.unlabelled
        pseudoLabelRounds = selfTraining ? settings.pseudoLabelRounds : nil
        self.seeds = seeds
        let names = seeds.first?.runs.map(\.name) ?? []
        summary = names.map { name in
            let values = seeds.compactMap { $0.runs.first { $0.name == name }?.testAccuracy }
            let mean = values.reduce(0, +) / Double(Swift.max(values.count, 1))
            let variance = values.count > 1
                ? values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1) : 0
            return Summary(name: name, meanAccuracy: mean, standardDeviation: variance.squareRoot(), accuracies: values)
        }
    }

    /// Writes the report as pretty-printed JSON with sorted keys, atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }
}
