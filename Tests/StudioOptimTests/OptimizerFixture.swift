import Foundation
import XCTest
import StudioCore
import StudioOptim

/// The golden values `Fixtures/make_fixtures.py` wrote with PyTorch.
struct OptimizerFixture: Decodable {
    struct Options: Decodable {
        let lr: Double
        let momentum: Double?
        let dampening: Double?
        let weightDecay: Double?
        let nesterov: Bool?
        let betas: [Double]?
        let eps: Double?
        let alpha: Double?
        let centered: Bool?
        let lrDecay: Double?
        let initialAccumulatorValue: Double?
        let learningRates: [Double]?
    }

    struct OptimizerCase: Decodable {
        let name: String
        let kind: String
        let options: Options
        let steps: [[String: [Double]]]
    }

    struct ScheduleCase: Decodable {
        let name: String
        let base: Double
        let decay: String
        let stepSize: Int?
        let gamma: Double?
        let steps: Int?
        let minimumRate: Double?
        let warmupSteps: Int
        let warmupStartFactor: Double
        let rates: [Double]
    }

    let torchVersion: String
    let shapes: [String: [Int]]
    let initial: [String: [Double]]
    let gradients: [[String: [Double]?]]
    let optimizers: [OptimizerCase]
    let schedules: [ScheduleCase]

    static func load() throws -> OptimizerFixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "optimizers", withExtension: "json",
                                                  subdirectory: "Fixtures"), "Fixtures/optimizers.json is missing")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(OptimizerFixture.self, from: Data(contentsOf: url))
    }

    /// The fixture's parameter names in a fixed order.
    static let names = ["a", "b"]

    func tensor(_ name: String, _ values: [Double]) -> Tensor {
        Tensor(shape: Shape(shapes[name]!), scalars: values.map(Float.init))
    }

    /// Fresh parameters at the fixture's initial values.
    func makeParameters() -> [(name: String, parameter: Parameter)] {
        Self.names.map { (name: $0, parameter: Parameter(tensor($0, initial[$0]!))) }
    }

    /// Sets every parameter's gradient to that of step `index` (nil where the fixture has none).
    func setGradients(step index: Int, _ parameters: [(name: String, parameter: Parameter)]) {
        for (name, parameter) in parameters {
            parameter.grad = gradients[index][name]!.map { tensor(name, $0) }
        }
    }
}

extension OptimizerFixture.OptimizerCase {
    /// The Swift optimizer configured as the PyTorch one was.
    func makeOptimizer(_ parameters: [(name: String, parameter: Parameter)]) -> Optimizer {
        let o = options
        let lr = Float(o.lr)
        let betas = o.betas.map { (Float($0[0]), Float($0[1])) } ?? (0.9, 0.999)
        let decay = Float(o.weightDecay ?? 0)
        switch kind {
        case "SGD":
            return SGD(parameters: parameters, learningRate: lr, momentum: Float(o.momentum ?? 0),
                       dampening: Float(o.dampening ?? 0), weightDecay: decay, nesterov: o.nesterov ?? false)
        case "Adam":
            return Adam(parameters: parameters, learningRate: lr, betas: betas, eps: Float(o.eps ?? 1e-8),
                        weightDecay: decay)
        case "AdamW":
            return AdamW(parameters: parameters, learningRate: lr, betas: betas, eps: Float(o.eps ?? 1e-8),
                         weightDecay: Float(o.weightDecay ?? 0.01))
        case "RMSprop":
            return RMSprop(parameters: parameters, learningRate: lr, alpha: Float(o.alpha ?? 0.99),
                           eps: Float(o.eps ?? 1e-8), weightDecay: decay, momentum: Float(o.momentum ?? 0),
                           centered: o.centered ?? false)
        case "Adagrad":
            return AdaGrad(parameters: parameters, learningRate: lr, learningRateDecay: Float(o.lrDecay ?? 0),
                           weightDecay: decay, initialAccumulatorValue: Float(o.initialAccumulatorValue ?? 0),
                           eps: Float(o.eps ?? 1e-10))
        default:
            preconditionFailure("fixture names an unknown optimizer \(kind)")
        }
    }
}
