import StudioCore

// MARK: - Walking the module tree

extension Module {
    /// Every parameter with its dotted name, depth first in registration order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var result: [(String, Parameter)] = []
        walk(prefix: "") { name, child in
            if case .parameter(let p) = child { result.append((name, p)) }
        }
        return result
    }

    /// Every buffer with its dotted name.
    public var namedBuffers: [(name: String, buffer: Buffer)] {
        var result: [(String, Buffer)] = []
        walk(prefix: "") { name, child in
            if case .buffer(let b) = child { result.append((name, b)) }
        }
        return result
    }

    /// Every parameter, in the order of `namedParameters`.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.shape.elementCount } }

    /// Parameters and buffers under their dotted names, in PyTorch's `state_dict()` order.
    public var stateEntries: [(name: String, child: ModuleChild)] {
        var result: [(String, ModuleChild)] = []
        walk(prefix: "") { name, child in
            switch child {
            case .parameter, .buffer: result.append((name, child))
            case .module: break
            }
        }
        return result
    }

    private func walk(prefix: String, _ visit: (String, ModuleChild) -> Void) {
        for (name, child) in children {
            let full = prefix.isEmpty ? name : prefix + "." + name
            switch child {
            case .module(let module): module.walk(prefix: full, visit)
            default: visit(full, child)
            }
        }
    }

    /// Clears the gradient of every parameter.
    public func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }
}
