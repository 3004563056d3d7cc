import StudioOptim

/// `train.lr_schedule`: how the learning rate falls after the warm-up, until the last step.
public enum LearningRateDecayName: String, Codable, CaseIterable, Sendable {
    /// `train.lr` throughout.
    case constant
    /// Half a cosine from `train.lr` down to `train.lr_final` at the last step.
    case cosine
    /// A straight line from `train.lr` down to `train.lr_final` at the last step.
    case linear

    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let decay = LearningRateDecayName(rawValue: name.lowercased()) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "unknown schedule '\(name)'; expected one of: \(LearningRateDecayName.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        self = decay
    }
}

extension TrainSettings {
    /// The learning rate of every step of this run: a linear warm-up from 0 over `train.lr_warmup_steps`,
    /// then `train.lr_schedule` from `train.lr` down to `train.lr_final` at `train.steps` (once epochs
    /// are resolved). Every optimizer of the run follows it; it depends on the step alone, so a
    /// resumed run picks it up where it stopped.
    public var learningRateSchedule: LearningRateSchedule {
        let warmup = lrWarmupSteps ?? 0
        let decaySteps = Swift.max(1, steps - warmup)
        let final = Float(lrFinal ?? 0)
        let decay: LearningRateSchedule.Decay
        switch lrSchedule ?? .constant {
        case .constant: decay = .constant
        case .cosine: decay = .cosine(steps: decaySteps, minimumRate: final)
        case .linear: decay = .linear(steps: decaySteps, finalRate: final)
        }
        return LearningRateSchedule(baseRate: Float(lr), decay: decay, warmupSteps: warmup)
    }

    /// Messages for schedule settings that make no sense.
    func learningRateProblems() -> [String] {
        var problems: [String] = []
        if let warmup = lrWarmupSteps, warmup < 0 || (epochs == nil && warmup >= steps) {
            problems.append("train.lr_warmup_steps must lie in [0, train.steps), got \(warmup)")
        }
        if let final = lrFinal {
            if (lrSchedule ?? .constant) == .constant {
                problems.append("train.lr_final is where train.lr_schedule = \"cosine\" or \"linear\" ends; this recipe's rate is constant")
            } else if !(final >= 0 && final <= lr) {
                problems.append("train.lr_final must lie in [0, train.lr = \(lr)], got \(final)")
            }
        }
        return problems
    }
}
