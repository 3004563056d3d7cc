import Foundation
import StudioCore
import StudioModels

/// The sampling options the commands that draw samples share (`sample`, `augment`, `eval`), as the
/// user gave them: nil or false where not given, so that a family that cannot honour one refuses it.
public struct SamplingOptions: Sendable {
    /// Diffusion: the sampler; nil for DDIM.
    public var sampler: DiffusionSamplerKind?
    /// Diffusion: denoising steps; nil for the sampler's default.
    public var steps: Int?
    /// Diffusion: where the steps lie among the T timesteps; nil for the sampler's default.
    public var spacing: TimestepSpacing?
    /// Diffusion, DDIM: stochasticity; nil for 0.
    public var eta: Double?
    /// Conditional diffusion: the classifier-free guidance scale; nil for `DiffusionTask.gridGuidance`.
    public var guidance: Double?
    /// Sample with the averaged weights (false: `--no-ema`).
    public var averagedWeights = true
    /// GANs: normalise with each batch's statistics (`--batch-statistics`).
    public var batchStatistics = false
    /// Semi-supervised GANs: the least probability of its class a kept sample has; nil for 0.8.
    public var labelConfidence: Double?

    public init() {}

    /// The sampler `name` names (`--sampler`).
    public static func sampler(named name: String) throws -> DiffusionSamplerKind { try choice(name, flag: "--sampler") }

    /// The timestep spacing `name` names (`--spacing`).
    public static func spacing(named name: String) throws -> TimestepSpacing { try choice(name, flag: "--spacing") }

    /// The case of `Choice` that `name` names, or an error listing every name `flag` takes.
    static func choice<Choice: CaseIterable & RawRepresentable>(_ name: String, flag: String) throws -> Choice
        where Choice.RawValue == String {
        guard let parsed = Choice(rawValue: name.lowercased()) else {
            let names = Choice.allCases.map(\.rawValue)
            throw SampleError("\(flag) must be \(names.dropLast().joined(separator: ", ")) or \(names.last!), got '\(name)'")
        }
        return parsed
    }

    /// The diffusion sampler options these ask for: DDIM, eta 0, guidance 3 for conditional models and 1 otherwise.
    public func diffusionOptions(conditional: Bool) -> DiffusionSampleOptions {
        DiffusionSampleOptions(sampler: sampler ?? .ddim, steps: steps, spacing: spacing, eta: eta ?? 0,
                               guidance: guidance ?? (conditional ? DiffusionTask.gridGuidance : 1))
    }

    /// Each given option with the ability it needs and who has that ability, for messages.
    var given: [(flag: String, needs: GeneratorAbilities, takers: String)] {
        var flags: [(String, GeneratorAbilities, String)] = []
        if sampler != nil { flags.append(("--sampler", .samplers, "diffusion models")) }
        if steps != nil { flags.append(("--denoising-steps", .samplers, "diffusion models")) }
        if spacing != nil { flags.append(("--spacing", .samplers, "diffusion models")) }
        if eta != nil { flags.append(("--eta", .samplers, "diffusion models")) }
        if guidance != nil { flags.append(("--guidance", .samplers, "diffusion models")) }
        if !averagedWeights { flags.append(("--no-ema", .averagedWeights, "checkpoints with averaged weights (diffusion, GANs with model.ema_decay)")) }
        if batchStatistics { flags.append(("--batch-statistics", .batchStatistics, "GANs")) }
        if labelConfidence != nil { flags.append(("--label-confidence", .discriminatorLabels, "semi-supervised GANs")) }
        return flags
    }

    /// Refuses the options `model` cannot honour, naming them, the model's family and who takes them,
    /// and values out of range.
    public func check(against model: any GenerativeModel) throws {
        if let labelConfidence, !(0...1).contains(labelConfidence) {
            throw SampleError("--label-confidence must lie in 0...1, got \(labelConfidence)")
        }
        try Self.refuse(given.map { ($0.flag, $0.needs, $0.takers) }, for: model)
    }

    /// The one refusal of options a model lacks the abilities for: `options` are (flag, ability
    /// needed, the models that have it); the message names every refused flag and the model's family.
    public static func refuse(_ options: [(flag: String, needs: GeneratorAbilities, takers: String)],
                              for model: any GenerativeModel) throws {
        let refused = options.filter { !model.abilities.isSuperset(of: $0.needs) }
        guard !refused.isEmpty else { return }
        let flags = refused.map(\.flag).joined(separator: ", ")
        let verb = refused.count == 1 ? "applies" : "apply"
        let takers = Array(Set(refused.map(\.takers))).sorted().joined(separator: " and ")
        throw SampleError("\(flags) \(verb) to \(takers) only; \(model.source.path) holds a \(model.familyName)")
    }
}
