import StudioCore

/// An exponential moving average of parameters (shadow values), updated after each optimizer step and
/// swapped into the model for sampling: `shadow = d * shadow + (1 - d) * value`.
///
/// With warm-up, update `n` (counting from 0) uses `d = min(decay, (1 + n) / (10 + n))`, so that the
/// average follows the fast-moving early weights instead of remembering the initialisation.
public final class ExponentialMovingAverage {
    /// The key of the update counter in `stateTensors()`; no parameter may carry this name.
    public static let updateCountKey = "update_count"

    /// The decay once any warm-up is over.
    public let decay: Float
    /// Whether early updates use the smaller warm-up decay.
    public let usesWarmup: Bool
    /// How many updates the average has taken.
    public private(set) var updateCount = 0

    private let slots: OptimizerSlots

    /// A moving average of named parameters (a module's `namedParameters`), starting at their values.
    public init(parameters: [(name: String, parameter: Parameter)], decay: Float = 0.999, warmup: Bool = false) {
        precondition((0...1).contains(decay), "ExponentialMovingAverage: decay \(decay) must lie in [0, 1]")
        precondition(!parameters.contains { $0.name == Self.updateCountKey },
                     "ExponentialMovingAverage: a parameter is named \(Self.updateCountKey), the counter's key")
        self.decay = decay
        usesWarmup = warmup
        slots = OptimizerSlots(owner: "ExponentialMovingAverage", parameters: parameters, slotNames: ["shadow"])
        follow()
    }

    /// A moving average of unnamed parameters, named `"0"`, `"1"`, ... by position.
    public convenience init(parameters: [Parameter], decay: Float = 0.999, warmup: Bool = false) {
        self.init(parameters: indexNamed(parameters), decay: decay, warmup: warmup)
    }

    /// The averaged parameters under their names.
    public var namedParameters: [(name: String, parameter: Parameter)] { slots.namedParameters }

    /// The decay the next `update()` uses.
    public var currentDecay: Float {
        guard usesWarmup else { return decay }
        let n = Double(updateCount)
        return min(decay, Float((1 + n) / (10 + n)))
    }

    /// Moves every shadow value towards its parameter's current value.
    public func update() {
        let d = currentDecay, keep = 1 - d
        for entry in slots.entries where entry.parameter.shape.elementCount > 0 {
            entry.parameter.value.withUnsafeBufferPointer { value in
                AverageKernel(shadow: entry.buffers[0].pointer, value: value.baseAddress!, decay: d, keep: keep)
                    .run(count: value.count)
            }
        }
        updateCount += 1
    }

    /// Sets every shadow value to its parameter's current value, counting no update: an average
    /// that is to start later follows the trained weights until then.
    public func follow() {
        for entry in slots.entries {
            entry.parameter.value.withUnsafeBufferPointer { _ = entry.buffers[0].storage.update(fromContentsOf: $0) }
        }
    }

    /// The shadow values under their parameters' names, each of its parameter's shape.
    public var averagedValues: [(name: String, value: Tensor)] {
        slots.entries.map { (name: $0.name, value: $0.buffers[0].tensor(shape: $0.parameter.shape)) }
    }

    /// Overwrites every parameter with its shadow value (for a final export of averaged weights).
    public func copyAveragedValuesToParameters() {
        for entry in slots.entries {
            entry.parameter.assign(entry.buffers[0].tensor(shape: entry.parameter.shape))
        }
    }

    /// Runs `body` with the shadow values in the parameters (to sample from the averaged model), then
    /// puts the trained values back, also when `body` throws.
    public func withAveragedParameters<R>(_ body: () throws -> R) rethrows -> R {
        let trained = slots.entries.map { $0.parameter.value.detached() }
        copyAveragedValuesToParameters()
        defer {
            for (entry, value) in zip(slots.entries, trained) { entry.parameter.assign(value) }
        }
        return try body()
    }

    /// The shadow values under their parameters' names plus `update_count`, a `[]` counter.
    public func stateTensors() -> [String: Tensor] {
        var result: [String: Tensor] = [Self.updateCountKey: StepCounter.tensor(updateCount)]
        for (name, value) in averagedValues { result[name] = value }
        return result
    }

    /// Restores state exported by `stateTensors()`; throws `StateLoadingError` naming every missing or
    /// unexpected key and every wrong shape, and changes nothing when it throws.
    public func loadState(_ tensors: [String: Tensor]) throws {
        var expected: [String: Shape?] = [Self.updateCountKey: Shape?.none]
        for entry in slots.entries { expected[entry.name] = entry.parameter.shape }
        try StateLoadingError.validate(tensors, owner: "ExponentialMovingAverage", expected: expected)
        updateCount = StepCounter.count(from: tensors[Self.updateCountKey]!)!
        for entry in slots.entries { entry.buffers[0].load(tensors[entry.name]!) }
    }
}

/// The moving average's update of one run of lanes.
private struct AverageKernel: LaneKernel {
    let shadow: UnsafeMutablePointer<Float>, value: UnsafePointer<Float>
    let decay: Float, keep: Float

    func apply<V: Lanes>(_ lanes: V.Type, at i: Int) {
        (decay * V(loadingFrom: shadow + i) + keep * V(loadingFrom: value + i)).store(to: shadow + i)
    }
}
