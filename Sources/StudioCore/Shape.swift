/// The dimensions of a tensor, outermost first (`[N, C, H, W]` for images).
public struct Shape: Hashable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible,
    RandomAccessCollection
{
    /// The size of each axis.
    public var dimensions: [Int]

    /// A shape from its axis sizes; every size must be non-negative.
    public init(_ dimensions: [Int]) {
        precondition(dimensions.allSatisfy { $0 >= 0 }, "Shape: negative dimension in \(dimensions)")
        self.dimensions = dimensions
    }

    public init(arrayLiteral elements: Int...) { self.init(elements) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { dimensions.count }
    public subscript(position: Int) -> Int {
        get { dimensions[position] }
        set { dimensions[position] = newValue }
    }

    /// The number of axes.
    public var rank: Int { dimensions.count }

    /// The number of scalars a tensor of this shape holds.
    public var elementCount: Int { dimensions.reduce(1, *) }

    /// Row-major strides, in scalars.
    public var strides: [Int] {
        var result = [Int](repeating: 1, count: rank)
        var running = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            result[axis] = running
            running *= dimensions[axis]
        }
        return result
    }

    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }

    /// Turns a possibly negative axis into `0..<rank`, stopping with a message naming `op` otherwise.
    public func normalizedAxis(_ axis: Int, op: String) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < rank, "\(op): axis \(axis) out of range for shape \(self)")
        return resolved
    }

    /// The shape NumPy-style broadcasting gives two shapes, or nil when they are incompatible.
    public static func broadcast(_ a: Shape, _ b: Shape) -> Shape? {
        let rank = Swift.max(a.rank, b.rank)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.rank ? 1 : a[i - (rank - a.rank)]
            let db = i < rank - b.rank ? 1 : b[i - (rank - b.rank)]
            if da == db || db == 1 {
                result[i] = da
            } else if da == 1 {
                result[i] = db
            } else {
                return nil
            }
        }
        return Shape(result)
    }
}
