import StudioModels

/// A training job as a TOML recipe writes it: the model, the data, and how to train, sample and
/// checkpoint. Every key has a default except the model's architecture.
public struct Recipe: Codable, Equatable, Sendable {
    public var model: ModelConfig
    public var data: DataSettings
    public var train: TrainSettings
    public var sample: SampleSettings
    public var checkpoint: CheckpointSettings
    /// Set when the recipe trains on audio clips rather than images.
    public var audio: AudioSettings?
    /// Classifier recipes: classical augmentation of each training batch; nil: none.
    public var augment: AugmentSettings?

    enum CodingKeys: String, CodingKey, CaseIterable { case model, data, train, sample, checkpoint, audio, augment }

    /// A recipe made in code (`genstudio bench wavegan` builds its model from flags); each section
    /// not given takes the defaults a TOML file without it gets.
    public init(model: ModelConfig, data: DataSettings = DataSettings(), train: TrainSettings = TrainSettings(),
                sample: SampleSettings = SampleSettings(), checkpoint: CheckpointSettings = CheckpointSettings(),
                audio: AudioSettings? = nil, augment: AugmentSettings? = nil) {
        self.model = model
        self.data = data
        self.train = train
        self.sample = sample
        self.checkpoint = checkpoint
        self.audio = audio
        self.augment = augment
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(ModelConfig.self, forKey: .model)
        data = try c.decodeIfPresent(DataSettings.self, forKey: .data) ?? DataSettings()
        train = try c.decodeIfPresent(TrainSettings.self, forKey: .train) ?? TrainSettings()
        sample = try c.decodeIfPresent(SampleSettings.self, forKey: .sample) ?? SampleSettings()
        checkpoint = try c.decodeIfPresent(CheckpointSettings.self, forKey: .checkpoint) ?? CheckpointSettings()
        audio = try c.decodeIfPresent(AudioSettings.self, forKey: .audio)
        augment = try c.decodeIfPresent(AugmentSettings.self, forKey: .augment)
    }
}

/// `[data]`: where the training examples are.
public struct DataSettings: Codable, Equatable, Sendable {
    /// A directory of MNIST-format IDX files (raw or .gz), or with `[audio]` a folder of audio
    /// files in one subfolder per class (or `train/` and `test/` folders holding those).
    public var path = "data/mnist"
    /// Train on this many examples of each class of the training split (K) instead of all of them,
    /// drawn from `subsetSeed` exactly as `eval augmentation --real-per-class K --seed S` draws its
    /// real images; nil: the whole split. The test split is never subset.
    public var perClass: Int?
    /// The seed of the `perClass` draw, separate from `train.seed` so that runs with other training
    /// seeds can share one subset.
    public var subsetSeed: UInt64 = 0
    /// A semi-supervised GAN's labelled examples: this many of each class keep their labels, drawn
    /// from `subsetSeed` as `perClass` draws; every training example also serves without its label.
    public var labelledPerClass: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case path, perClass = "per_class", subsetSeed = "subset_seed", labelledPerClass = "labelled_per_class"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? path
        perClass = try c.decodeIfPresent(Int.self, forKey: .perClass)
        subsetSeed = try c.decodeIfPresent(UInt64.self, forKey: .subsetSeed) ?? subsetSeed
        labelledPerClass = try c.decodeIfPresent(Int.self, forKey: .labelledPerClass)
    }
}

/// `[train]`: optimisation settings shared by every family.
public struct TrainSettings: Codable, Equatable, Sendable {
    /// Images per step.
    public var batch = 64
    /// Adam's learning rate for every network.
    public var lr = 2e-4
    /// Adam's first-moment decay.
    public var beta1 = 0.5
    /// Adam's second-moment decay.
    public var beta2 = 0.999
    /// The run seed every random stream derives from.
    public var seed: UInt64 = 0
    /// Steps to train for (one D and one G update each for GANs).
    public var steps = 10_000
    /// Passes over the training set instead of `steps` (steps = epochs x full batches per epoch, the
    /// last partial batch of each epoch being dropped); resolved when the data is loaded.
    public var epochs: Int?
    /// Compute threads (0: one per core).
    public var threads = 0
    /// GANs: the adversarial loss (nil: non-saturating).
    public var loss: AdversarialLoss?
    /// GANs trained with WGAN-GP: the gradient penalty's weight (nil: 10).
    public var gpWeight: Double?
    /// GANs: discriminator updates per generator update, each on its own real batch (nil: 1, or 5 for WGAN-GP).
    public var criticSteps: Int?
    /// Steps between held-out evaluations (VAE test ELBO, classifier test accuracy); nil: every epoch end.
    public var evaluationInterval: Int?
    /// GANs on images: DiffAugment's transforms for real and fake batches (nil or empty: none).
    public var diffAugment: [DiffAugmentTransform]?
    /// GANs (non-saturating or hinge): the R1 penalty's weight gamma on real images (nil: none).
    public var r1Gamma: Double?
    /// GANs with R1: apply the penalty every this many steps, scaled by it (lazy regularisation; nil: 1).
    public var r1Interval: Int?
    /// How the learning rate falls after the warm-up (nil: constant); see `learningRateSchedule`.
    public var lrSchedule: LearningRateDecayName?
    /// Steps of linear warm-up from 0 to `lr` (nil: none).
    public var lrWarmupSteps: Int?
    /// The rate a cosine or linear schedule reaches at the last step (nil: 0).
    public var lrFinal: Double?
    /// Data-parallel runs: batch norm normalises by the statistics of the whole global batch,
    /// averaged over the ranks, instead of each rank's share (PyTorch's SyncBatchNorm).
    public var syncBatchNorm = false

    enum CodingKeys: String, CodingKey, CaseIterable {
        case batch, lr, beta1, beta2, seed, steps, epochs, threads, loss
        case gpWeight = "gp_weight", criticSteps = "critic_steps", diffAugment = "diffaugment"
        case r1Gamma = "r1_gamma", r1Interval = "r1_interval", evaluationInterval = "evaluation_interval"
        case lrSchedule = "lr_schedule", lrWarmupSteps = "lr_warmup_steps", lrFinal = "lr_final"
        case syncBatchNorm = "sync_batchnorm"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? batch
        lr = try c.decodeIfPresent(Double.self, forKey: .lr) ?? lr
        beta1 = try c.decodeIfPresent(Double.self, forKey: .beta1) ?? beta1
        beta2 = try c.decodeIfPresent(Double.self, forKey: .beta2) ?? beta2
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? steps
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs)
        if epochs != nil && c.contains(.steps) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.epochs],
                debugDescription: "give train.steps or train.epochs, not both (--max-steps N stops an epoch-counted run early)"))
        }
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
        loss = try c.decodeIfPresent(AdversarialLoss.self, forKey: .loss)
        gpWeight = try c.decodeIfPresent(Double.self, forKey: .gpWeight)
        criticSteps = try c.decodeIfPresent(Int.self, forKey: .criticSteps)
        diffAugment = try c.decodeIfPresent([DiffAugmentTransform].self, forKey: .diffAugment)
        r1Gamma = try c.decodeIfPresent(Double.self, forKey: .r1Gamma)
        r1Interval = try c.decodeIfPresent(Int.self, forKey: .r1Interval)
        evaluationInterval = try c.decodeIfPresent(Int.self, forKey: .evaluationInterval)
        lrSchedule = try c.decodeIfPresent(LearningRateDecayName.self, forKey: .lrSchedule)
        lrWarmupSteps = try c.decodeIfPresent(Int.self, forKey: .lrWarmupSteps)
        lrFinal = try c.decodeIfPresent(Double.self, forKey: .lrFinal)
        syncBatchNorm = try c.decodeIfPresent(Bool.self, forKey: .syncBatchNorm) ?? syncBatchNorm
    }
}

/// `[sample]`: the fixed-latent grid written during training.
public struct SampleSettings: Codable, Equatable, Sendable {
    /// Steps between sample grids.
    public var interval = 500
    /// Images in each grid.
    public var count = 64

    enum CodingKeys: String, CodingKey, CaseIterable { case interval, count }

    public init() {}

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        interval = try c.decodeIfPresent(Int.self, forKey: .interval) ?? interval
        count = try c.decodeIfPresent(Int.self, forKey: .count) ?? count
    }
}

/// `[checkpoint]`: how often the run is saved.
public struct CheckpointSettings: Codable, Equatable, Sendable {
    /// Steps between checkpoints (one is also written at the end and on SIGINT/SIGTERM).
    public var interval = 1000
    /// How many recent checkpoints to keep (0: all).
    public var keep = 3

    enum CodingKeys: String, CodingKey, CaseIterable { case interval, keep }

    public init() {}

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        interval = try c.decodeIfPresent(Int.self, forKey: .interval) ?? interval
        keep = try c.decodeIfPresent(Int.self, forKey: .keep) ?? keep
    }
}

extension Recipe {
    /// Messages for semi-supervised settings that do not go together.
    func semiSupervisedProblems() -> [String] {
        var problems: [String] = []
        let semiSupervisedGAN: Bool
        if case .gan(let config) = model { semiSupervisedGAN = config.isSemiSupervised } else { semiSupervisedGAN = false }
        let semiSupervised = model.semiSupervisedClassCount != nil
        if case .vae = model, semiSupervised {
            if data.labelledPerClass == nil {
                problems.append("model.classifier makes a semi-supervised VAE, which learns classes from data.labelled_per_class labelled examples of each; set it (such as 10)")
            }
        } else if semiSupervisedGAN != (train.loss == .semiSupervised) {
            problems.append(semiSupervisedGAN
                ? "model.discriminator_classes makes a semi-supervised discriminator; it trains with train.loss = \"semi-supervised\""
                : "train.loss = \"semi-supervised\" needs a discriminator with one logit per class: model.discriminator_classes (such as 10)")
        }
        if let labelled = data.labelledPerClass {
            if !semiSupervised { problems.append("data.labelled_per_class applies to semi-supervised GANs (model.discriminator_classes) and VAEs (model.classifier), not to this recipe") }
            if labelled < 1 { problems.append("data.labelled_per_class must be at least 1, got \(labelled)") }
            if data.perClass != nil { problems.append("data.labelled_per_class and data.per_class exclude each other: a semi-supervised model learns from every training example") }
        }
        if train.loss == .semiSupervised && train.resolvedCriticSteps != 1 {
            problems.append("train.critic_steps must be 1 with train.loss = \"semi-supervised\", got \(train.resolvedCriticSteps)")
        }
        if train.loss == .semiSupervised && train.r1Gamma != nil {
            problems.append("train.r1_gamma applies to the non-saturating and hinge losses, not to \"semi-supervised\"")
        }
        return problems
    }

    /// The recipe with `train.steps` set from `train.epochs` for a training set of `count` images
    /// (after `data.per_class`, so that epochs count over the subset); unchanged when it counts steps.
    public func resolvingEpochs(trainingCount count: Int) -> Recipe {
        guard let epochs = train.epochs else { return self }
        var resolved = self
        resolved.train.steps = epochs * (count / train.batch)
        return resolved
    }

    /// Checks values that decode but make no sense; `describe` names the file in messages.
    func validate() throws -> [String] {
        var problems: [String] = []
        func require(_ ok: Bool, _ message: String) { if !ok { problems.append(message) } }
        require(data.perClass.map { $0 >= 1 } ?? true, "data.per_class must be at least 1, got \(data.perClass ?? 0)")
        require(train.batch > 0, "train.batch must be positive, got \(train.batch)")
        require(train.lr > 0, "train.lr must be positive, got \(train.lr)")
        require(train.beta1 >= 0 && train.beta1 < 1, "train.beta1 must lie in [0, 1), got \(train.beta1)")
        require(train.beta2 >= 0 && train.beta2 < 1, "train.beta2 must lie in [0, 1), got \(train.beta2)")
        require(train.steps > 0, "train.steps must be positive, got \(train.steps)")
        require(train.epochs.map { $0 > 0 } ?? true, "train.epochs must be positive, got \(train.epochs ?? 0)")
        require(train.threads >= 0, "train.threads must be 0 (one per core) or positive, got \(train.threads)")
        require(train.evaluationInterval.map { $0 > 0 } ?? true, "train.evaluation_interval must be positive, got \(train.evaluationInterval ?? 0)")
        require(sample.interval > 0, "sample.interval must be positive, got \(sample.interval)")
        require(sample.count > 0, "sample.count must be positive, got \(sample.count)")
        require(checkpoint.interval > 0, "checkpoint.interval must be positive, got \(checkpoint.interval)")
        require(checkpoint.keep >= 0, "checkpoint.keep must be 0 (keep all) or positive, got \(checkpoint.keep)")
        problems += train.learningRateProblems()
        problems += train.adversarialProblems(family: model.family)
        problems += semiSupervisedProblems()
        if !(train.diffAugment ?? []).isEmpty && (audio != nil || model.imageShape.count != 3) {
            problems.append("train.diffaugment transforms images [C, H, W]; this recipe's examples are \(audio == nil ? "\(model.imageShape)" : "audio") (remove the key)")
        }
        problems += augment?.problems(model: model) ?? []
        if let audio {
            problems += audio.problems()
            if problems.isEmpty && model.imageShape != audio.exampleShape {
                let what = audio.representation == .waveform ? "[1, audio.clip_length]"
                    : "[1, audio.fft_size / 2, 1 + audio.clip_length / audio.hop_length]"
                problems.append("model.image_shape \(model.imageShape) does not fit the audio: \(audio.representation.rawValue) examples are \(what) = \(audio.exampleShape)")
            }
        }
        return problems
    }
}
