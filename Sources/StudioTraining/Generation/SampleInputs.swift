import Foundation
import StudioCore
import StudioIO

/// The classes a sampling job asks a model for.
public enum ClassChoice {
    /// The classes of `count` samples of `model`: `classLabel` for all, or sample i of class
    /// (i / `groupSize`) mod classes (one class per interpolation row); nil for an unconditional model.
    public static func labels(count: Int, classLabel: Int?, model: any GenerativeModel, groupSize: Int = 1) throws -> [Int]? {
        try labels(count: count, classes: classLabel.map { [$0] }, model: model, groupSize: groupSize)
    }

    /// The classes of `count` samples of `model`: sample i (interpolation row i / `groupSize`) of
    /// `classes[i mod classes.count]`, or of class i mod the model's classes when `classes` is nil;
    /// nil for an unconditional model.
    public static func labels(count: Int, classes: [Int]?, model: any GenerativeModel, groupSize: Int = 1) throws -> [Int]? {
        try labels(count: count, classes: classes, classCount: model.classCount, familyName: model.familyName, groupSize: groupSize)
    }

    /// `labels(count:classLabel:model:groupSize:)` for a model of `classCount` classes (0: unconditional)
    /// that messages call `familyName`.
    public static func labels(count: Int, classLabel: Int?, classCount: Int, familyName: String = "model",
                              groupSize: Int = 1) throws -> [Int]? {
        try labels(count: count, classes: classLabel.map { [$0] }, classCount: classCount, familyName: familyName, groupSize: groupSize)
    }

    /// `labels(count:classes:model:groupSize:)` for a model of `classCount` classes (0: unconditional)
    /// that messages call `familyName`.
    public static func labels(count: Int, classes: [Int]?, classCount: Int, familyName: String = "model",
                              groupSize: Int = 1) throws -> [Int]? {
        let group = Swift.max(1, groupSize)
        let typed = classes.map { $0.map(String.init).joined(separator: ",") }
        guard classCount > 0 else {
            if let typed { throw SampleError("--classes \(typed): this \(familyName) is unconditional (trained without classes)") }
            return nil
        }
        guard let classes else { return (0..<count).map { ($0 / group) % classCount } }
        guard !classes.isEmpty else { throw SampleError("--classes is empty; give one class or several, like 3 or 0,3,7") }
        if let outside = classes.first(where: { !(0..<classCount).contains($0) }) {
            throw SampleError("--classes \(typed!): class \(outside) is outside this model's classes 0...\(classCount - 1)")
        }
        return (0..<count).map { classes[($0 / group) % classes.count] }
    }
}

/// A user's file of explicit initial noise (`--latents`): tensor `latents` `[N] + noiseShape`.
public enum LatentsFile {
    /// The tensor, after checking it is `[N] + noiseShape` with N >= 1.
    public static func read(_ url: URL, noiseShape: [Int]) throws -> Tensor {
        let file = try SafeTensors.read(from: url)
        try file.requireFinite(path: url.path)
        guard let tensor = file["latents"] else {
            throw SampleError("\(url.path): has no tensor named 'latents' (found: \(file.entries.map(\.name).joined(separator: ", ")))")
        }
        guard tensor.rank == noiseShape.count + 1, tensor.shape[0] > 0, Array(tensor.shape.dimensions.dropFirst()) == noiseShape else {
            throw SampleError("\(url.path): tensor 'latents' is \(tensor.shape), but this model needs [N, \(noiseShape.map(String.init).joined(separator: ", "))] with N >= 1")
        }
        return tensor
    }
}

/// A grid layout `ROWSxCOLUMNS` (`--grid 8x8`).
public struct GridLayout: Equatable, Sendable {
    public var rows: Int
    public var columns: Int

    /// Parses "8x8"; nil for anything else.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0, !parts[0].multipliedReportingOverflow(by: parts[1]).overflow else {
            return nil
        }
        rows = parts[0]
        columns = parts[1]
    }

    /// Cells in the grid.
    public var count: Int { rows * columns }
}
