import CKernels
import Synchronization

/// Creation order of graph nodes; a node is always created after its inputs, so visiting nodes
/// in decreasing order is a valid reverse topological order.
private let nodeCounter = Atomic<UInt64>(0)

/// One recorded operation: the nodes of its differentiable inputs, each with the pullback that
/// maps the gradient of the output to the gradient of that input.
final class GradNode {
    struct Edge {
        let node: GradNode
        let pullback: (Tensor) -> Tensor
    }

    let sequence: UInt64
    let op: String
    let shape: Shape
    private(set) var edges: [Edge]
    let isLeaf: Bool
    /// Gradient accumulated by `backward()`; only leaves keep one.
    var grad: Tensor?

    init(op: String, shape: Shape, edges: [Edge]) {
        sequence = nodeCounter.add(1, ordering: .relaxed).newValue
        self.op = op
        self.shape = shape
        self.edges = edges
        self.isLeaf = false
    }

    init(leafShape: Shape) {
        sequence = nodeCounter.add(1, ordering: .relaxed).newValue
        op = "leaf"
        shape = leafShape
        edges = []
        isLeaf = true
    }

    func releaseEdges() { edges = [] }
}

extension Tensor {
    /// Wraps a freshly computed `value` as the output of `op`, recording one pullback per input
    /// that needs a gradient. Outside gradient mode, or when no input needs one, nothing is kept.
    static func record(
        _ op: String, _ value: Tensor, _ inputs: (Tensor, (Tensor) -> Tensor)...
    ) -> Tensor {
        record(op, value, inputs)
    }

    static func record(
        _ op: String, _ value: Tensor, _ inputs: [(Tensor, (Tensor) -> Tensor)]
    ) -> Tensor {
        guard GradientMode.isEnabled else { return value }
        var edges: [GradNode.Edge] = []
        for (input, pullback) in inputs {
            if let node = input.node { edges.append(.init(node: node, pullback: pullback)) }
        }
        guard !edges.isEmpty else { return value }
        return Tensor(shape: value.shape, scalars: value.scalars,
                      node: GradNode(op: op, shape: value.shape, edges: edges))
    }
}

// MARK: - Reverse pass

extension Tensor {
    /// Gradients of this tensor with respect to every node reachable from it, starting from `seed`.
    fileprivate func propagate(seed: Tensor, createGraph: Bool, retainGraph: Bool,
                           keep: (GradNode) -> Bool) -> [(node: GradNode, gradient: Tensor)] {
        guard let root = node else {
            preconditionFailure("backward: tensor of shape \(shape) does not require gradients")
        }
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        var stack = [root]
        var order: [GradNode] = []
        while let current = stack.popLast() {
            order.append(current)
            for edge in current.edges where seen.insert(ObjectIdentifier(edge.node)).inserted {
                stack.append(edge.node)
            }
        }
        order.sort { $0.sequence > $1.sequence }
        // Only edges into nodes that lead to a kept node are worth a pullback: the rest of the graph
        // (another network's weights, say) is never differentiated. Inputs precede their consumers
        // in increasing sequence order, so one reverse sweep settles every node.
        var useful = Set<ObjectIdentifier>()
        for current in order.reversed()
        where keep(current) || current.edges.contains(where: { useful.contains(ObjectIdentifier($0.node)) }) {
            useful.insert(ObjectIdentifier(current))
        }

        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        var kept: [(node: GradNode, gradient: Tensor)] = []
        GradientMode.with(enabled: createGraph) {
            for current in order {
                let id = ObjectIdentifier(current)
                guard let gradient = pending.removeValue(forKey: id) else { continue }
                if keep(current) { kept.append((current, gradient)) }
                for edge in current.edges where useful.contains(ObjectIdentifier(edge.node)) {
                    let contribution = edge.pullback(gradient)
                    precondition(contribution.shape == edge.node.shape,
                                 "backward: \(current.op) pullback gave \(contribution.shape), expected \(edge.node.shape)")
                    let target = ObjectIdentifier(edge.node)
                    if var existing = pending.removeValue(forKey: target) {
                        if createGraph {
                            existing = existing + contribution
                        } else {
                            existing.addInPlace(contribution)
                        }
                        pending[target] = existing
                    } else {
                        pending[target] = contribution
                    }
                }
                if !retainGraph && !current.isLeaf { current.releaseEdges() }
            }
        }
        return kept
    }

    /// Accumulates d(self)/d(leaf) into every leaf's gradient; `self` must hold one scalar.
    /// The graph is released afterwards unless `retainGraph` or `createGraph` is set.
    public func backward(createGraph: Bool = false, retainGraph: Bool = false) {
        precondition(elementCount == 1, "backward: needs a single-scalar tensor, got shape \(shape)")
        backward(seed: Tensor(ones: shape), createGraph: createGraph, retainGraph: retainGraph)
    }

    /// Accumulates d(self)/d(leaf) into the gradients of `leaves` only, leaving every other leaf's
    /// gradient untouched and skipping the pullbacks that only they would need; `self` holds one scalar.
    public func backward(withRespectTo leaves: [Tensor], createGraph: Bool = false, retainGraph: Bool = false) {
        precondition(elementCount == 1, "backward: needs a single-scalar tensor, got shape \(shape)")
        let wanted = Set(leaves.compactMap { leaf -> ObjectIdentifier? in
            precondition(leaf.node?.isLeaf ?? false, "backward(withRespectTo:): every tensor must be a leaf")
            return leaf.node.map(ObjectIdentifier.init)
        })
        accumulate(seed: Tensor(ones: shape), createGraph: createGraph, retainGraph: retainGraph) {
            wanted.contains(ObjectIdentifier($0))
        }
    }

    /// Accumulates the vector-Jacobian product of `seed` (shape of `self`) into every leaf.
    public func backward(seed: Tensor, createGraph: Bool = false, retainGraph: Bool = false) {
        accumulate(seed: seed, createGraph: createGraph, retainGraph: retainGraph) { $0.isLeaf }
    }

    private func accumulate(seed: Tensor, createGraph: Bool, retainGraph: Bool, into keep: (GradNode) -> Bool) {
        precondition(seed.shape == shape, "backward: seed \(seed.shape) does not match \(shape)")
        let grads = propagate(seed: seed, createGraph: createGraph,
                              retainGraph: retainGraph || createGraph, keep: keep)
        GradientMode.with(enabled: createGraph) {
            for (leaf, gradient) in grads {
                let value = createGraph ? gradient : gradient.detached()
                leaf.grad = leaf.grad.map { $0 + value } ?? value
            }
        }
    }

    /// The gradient accumulated into this leaf by `backward()`, or nil.
    public var grad: Tensor? {
        get { node?.grad }
        nonmutating set {
            precondition(node?.isLeaf ?? false, "grad: only leaf tensors keep gradients")
            node?.grad = newValue
        }
    }
}

/// The gradients of `output` with respect to each of `inputs` (nil for one it does not depend on),
/// without touching any leaf's accumulated gradient. With `createGraph` the results are themselves
/// differentiable, which gradient penalties need.
public func gradients(of output: Tensor, withRespectTo inputs: [Tensor], seed: Tensor? = nil,
                      createGraph: Bool = false) -> [Tensor?] {
    let wanted = Set(inputs.compactMap { $0.node.map(ObjectIdentifier.init) })
    let start = seed ?? Tensor(ones: output.shape)
    precondition(start.shape == output.shape, "gradients: seed \(start.shape) does not match \(output.shape)")
    let grads = output.propagate(seed: start, createGraph: createGraph, retainGraph: true,
                                 keep: { wanted.contains(ObjectIdentifier($0)) })
    var byNode: [ObjectIdentifier: Tensor] = [:]
    for (node, gradient) in grads { byNode[ObjectIdentifier(node)] = gradient }
    return inputs.map { input in
        guard let node = input.node, let g = byNode[ObjectIdentifier(node)] else { return nil }
        return createGraph ? g : g.detached()
    }
}

extension Tensor {
    /// `self += other` in place (copying first only if the storage is shared), for first-order
    /// accumulation where the sum needs no graph: same bits as `self + other`, one allocation fewer.
    fileprivate mutating func addInPlace(_ other: Tensor) {
        node = nil
        let count = elementCount
        other.withUnsafeBufferPointer { src in
            scalars.withUnsafeMutableBufferPointer { dst in
                parallelChunks(count) { range in
                    studio_add_into(dst.baseAddress! + range.lowerBound, src.baseAddress! + range.lowerBound, range.count)
                }
            }
        }
    }
}
