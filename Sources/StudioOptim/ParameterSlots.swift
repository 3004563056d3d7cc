import StudioCore

/// A buffer of Float32 scalars owned by an optimizer, shaped like its parameter; raw memory so that
/// an update loop can hold several buffers at once without nesting closures.
final class SlotBuffer {
    let storage: UnsafeMutableBufferPointer<Float>

    init(count: Int, repeating value: Float) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: value)
    }

    deinit { storage.deallocate() }

    /// The first scalar; only for buffers of at least one scalar.
    var pointer: UnsafeMutablePointer<Float> { storage.baseAddress! }

    /// A copy as a tensor of `shape`.
    func tensor(shape: Shape) -> Tensor {
        Tensor(shape: shape, scalars: Array(storage))
    }

    /// Overwrites the scalars with those of `tensor`, which has as many.
    func load(_ tensor: Tensor) {
        tensor.withUnsafeBufferPointer { _ = storage.update(fromContentsOf: $0) }
    }
}

/// One parameter's optimizer state: how many updates it received and its named slot buffers.
final class ParameterSlots {
    let name: String
    let parameter: Parameter
    var stepCount = 0
    let buffers: [SlotBuffer]

    init(name: String, parameter: Parameter, slotCount: Int, initialValue: Float) {
        self.name = name
        self.parameter = parameter
        buffers = (0..<slotCount).map { _ in
            SlotBuffer(count: parameter.shape.elementCount, repeating: initialValue)
        }
    }
}

/// The per-parameter state every optimizer here keeps, with its export and import under
/// `"<parameter>.<slot>"` and `"<parameter>.step"` keys.
final class OptimizerSlots {
    let owner: String
    let slotNames: [String]
    let entries: [ParameterSlots]
    var reducer: (any GradientReducer)?

    init(owner: String, parameters: [(name: String, parameter: Parameter)], slotNames: [String],
         initialValue: Float = 0) {
        var names = Set<String>(), identities = Set<ObjectIdentifier>()
        for (name, parameter) in parameters {
            precondition(names.insert(name).inserted, "\(owner): parameter name \(name) appears twice")
            precondition(identities.insert(ObjectIdentifier(parameter)).inserted,
                         "\(owner): parameter \(name) is already listed under another name")
        }
        self.owner = owner
        self.slotNames = slotNames
        entries = parameters.map {
            ParameterSlots(name: $0.name, parameter: $0.parameter, slotCount: slotNames.count, initialValue: initialValue)
        }
    }

    var namedParameters: [(name: String, parameter: Parameter)] {
        entries.map { (name: $0.name, parameter: $0.parameter) }
    }

    /// Runs `body` for every parameter with a gradient, after counting the step, with the values
    /// (writable), the gradient and their length; empty parameters count the step and stop there.
    func forEachUpdate(_ body: (ParameterSlots, UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void) {
        reducer?.reduce(entries.compactMap { $0.parameter.grad == nil ? nil : $0.parameter })
        for entry in entries {
            guard let gradient = entry.parameter.grad else { continue }
            precondition(gradient.shape == entry.parameter.shape,
                         "\(owner).step: gradient shape \(gradient.shape) of \(entry.name) does not match \(entry.parameter.shape)")
            entry.stepCount += 1
            guard gradient.elementCount > 0 else { continue }
            entry.parameter.update { values, grad in
                body(entry, values.baseAddress!, grad!.baseAddress!, values.count)
            }
        }
    }

    func stateTensors() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for entry in entries {
            result[entry.name + ".step"] = StepCounter.tensor(entry.stepCount)
            for (slot, buffer) in zip(slotNames, entry.buffers) {
                result[entry.name + "." + slot] = buffer.tensor(shape: entry.parameter.shape)
            }
        }
        return result
    }

    func loadState(_ tensors: [String: Tensor]) throws {
        var expected: [String: Shape?] = [:]
        for entry in entries {
            expected[entry.name + ".step"] = .some(nil)
            for slot in slotNames { expected[entry.name + "." + slot] = entry.parameter.shape }
        }
        try StateLoadingError.validate(tensors, owner: owner, expected: expected)
        for entry in entries {
            entry.stepCount = StepCounter.count(from: tensors[entry.name + ".step"]!)!
            for (slot, buffer) in zip(slotNames, entry.buffers) {
                buffer.load(tensors[entry.name + "." + slot]!)
            }
        }
    }
}
