import StudioCore
import StudioNN

/// The objectives a GAN can be trained under (`train.loss`).
public enum AdversarialLoss: String, Codable, CaseIterable, Sendable {
    /// D: binary cross-entropy on real (1) and fake (0); G: fakes labelled real (Goodfellow's non-saturating loss).
    case nonSaturating = "non-saturating"
    /// D: mean relu(1 - D(x)) + mean relu(1 + D(G(z))); G: -mean D(G(z)) (SNGAN, BigGAN).
    case hinge
    /// Critic: mean D(G(z)) - mean D(x) + gp_weight · gradient penalty; G: -mean D(G(z)) (Gulrajani et al.).
    case wganGP = "wgan-gp"
    /// Salimans et al. (2016): D has one logit per class, D(x) = Z/(Z + 1) with Z = Σ exp(l_k), and learns
    /// the labelled images' classes besides real against fake; G matches D's mean features (`SemiSupervisedLoss`).
    case semiSupervised = "semi-supervised"

    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let loss = AdversarialLoss(rawValue: name.lowercased()) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "unknown loss '\(name)'; expected one of: \(AdversarialLoss.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        self = loss
    }

    /// The discriminator's (critic's) loss, a scalar, from its outputs `[N, 1]` on real and fake samples
    /// (the gradient penalty, when used, is added by the caller); semi-supervised: the real/fake part
    /// from class logits `[N, classes]`.
    public func discriminatorLoss(real: Tensor, fake: Tensor) -> Tensor {
        switch self {
        case .semiSupervised:
            return AdversarialLoss.nonSaturating.discriminatorLoss(real: real.logSumExp(alongAxes: [1], keepingDimensions: true),
                                                                   fake: fake.logSumExp(alongAxes: [1], keepingDimensions: true))
        case .nonSaturating:
            return binaryCrossEntropy(logits: real, targets: Tensor(ones: real.shape))
                + binaryCrossEntropy(logits: fake, targets: Tensor(zeros: fake.shape))
        case .hinge:
            return (1 - real).relu().mean() + (1 + fake).relu().mean()
        case .wganGP:
            return fake.mean() - real.mean()
        }
    }

    /// The generator's loss, a scalar, from the discriminator's outputs `[N, 1]` on its samples
    /// (semi-supervised: the non-saturating loss of log Z; training uses feature matching instead).
    public func generatorLoss(fake: Tensor) -> Tensor {
        switch self {
        case .nonSaturating: binaryCrossEntropy(logits: fake, targets: Tensor(ones: fake.shape))
        case .semiSupervised: AdversarialLoss.nonSaturating.generatorLoss(fake: fake.logSumExp(alongAxes: [1], keepingDimensions: true))
        case .hinge, .wganGP: -fake.mean()
        }
    }
}

extension TrainSettings {
    /// The loss a GAN trains under: `loss`, or non-saturating.
    public var resolvedLoss: AdversarialLoss { loss ?? .nonSaturating }
    /// Discriminator updates per generator update: `critic_steps`, or 5 for WGAN-GP and 1 otherwise.
    public var resolvedCriticSteps: Int { criticSteps ?? (resolvedLoss == .wganGP ? 5 : 1) }
    /// The gradient penalty's weight: `gp_weight`, or 10 (WGAN-GP's paper).
    public var resolvedGradientPenaltyWeight: Double { gpWeight ?? 10 }

    /// Messages for adversarial settings that do not fit the model `family` or each other.
    func adversarialProblems(family: String) -> [String] {
        let given = [loss.map { _ in "train.loss" }, gpWeight.map { _ in "train.gp_weight" },
                     criticSteps.map { _ in "train.critic_steps" }, diffAugment.map { _ in "train.diffaugment" },
                     r1Gamma.map { _ in "train.r1_gamma" }, r1Interval.map { _ in "train.r1_interval" }].compactMap { $0 }
        if family != "gan" {
            return given.map { "\($0) applies to GANs (model.family = \"gan\"), not to family \"\(family)\"" }
        }
        var problems: [String] = []
        if let criticSteps, criticSteps < 1 { problems.append("train.critic_steps must be at least 1, got \(criticSteps)") }
        if let gpWeight {
            if resolvedLoss != .wganGP { problems.append("train.gp_weight needs train.loss = \"wgan-gp\"") }
            if !(gpWeight >= 0 && gpWeight.isFinite) { problems.append("train.gp_weight must be zero or positive, got \(gpWeight)") }
        }
        if let r1Gamma {
            if resolvedLoss == .wganGP { problems.append("train.r1_gamma applies to the non-saturating and hinge losses; WGAN-GP has its own penalty (train.gp_weight)") }
            if !(r1Gamma >= 0 && r1Gamma.isFinite) { problems.append("train.r1_gamma must be zero or positive, got \(r1Gamma)") }
        }
        if let r1Interval {
            if r1Gamma == nil { problems.append("train.r1_interval needs train.r1_gamma") }
            if r1Interval < 1 { problems.append("train.r1_interval must be at least 1, got \(r1Interval)") }
        }
        return problems
    }
}
