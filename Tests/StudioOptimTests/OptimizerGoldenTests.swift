import XCTest
import StudioCore
import StudioNN
import StudioOptim

/// Every optimizer against `torch.optim` on the fixture's parameters and gradients.
final class OptimizerGoldenTests: XCTestCase {
    func testFixtureCameFromPyTorch() throws {
        let fixture = try OptimizerFixture.load()
        XCTAssertTrue(fixture.torchVersion.hasPrefix("1.13"), "fixture made by torch \(fixture.torchVersion)")
        XCTAssertEqual(fixture.optimizers.count, 14)
        XCTAssertNil(fixture.gradients[1]["b"]!, "step 2 leaves b without a gradient")
    }

    func testEveryOptimizerMatchesPyTorch() throws {
        let fixture = try OptimizerFixture.load()
        var worst: (error: Float, where: String) = (0, "")
        for testCase in fixture.optimizers {
            let parameters = fixture.makeParameters()
            let optimizer = testCase.makeOptimizer(parameters)
            for (index, expected) in testCase.steps.enumerated() {
                if let rates = testCase.options.learningRates { optimizer.learningRate = Float(rates[index]) }
                fixture.setGradients(step: index, parameters)
                optimizer.step()
                for (name, parameter) in parameters {
                    let want = fixture.tensor(name, expected[name]!)
                    for (got, reference) in zip(parameter.value.scalars, want.scalars) {
                        let error = abs(got - reference) / max(abs(reference), 1e-2)
                        if error > worst.error { worst = (error, "\(testCase.name) step \(index + 1) \(name)") }
                    }
                    XCTAssertTrue(parameter.value.isClose(to: want, absolute: 1e-7, relative: 1e-6),
                                  "\(testCase.name) step \(index + 1) \(name): \(parameter.value) vs \(want)")
                }
            }
        }
        XCTAssertLessThan(worst.error, 1e-6, "worst relative error at \(worst.where)")
    }

    func testParameterWithoutGradientIsLeftAlone() throws {
        let fixture = try OptimizerFixture.load()
        for testCase in fixture.optimizers {
            let parameters = fixture.makeParameters()
            let optimizer = testCase.makeOptimizer(parameters)
            parameters[0].parameter.grad = Tensor(ones: parameters[0].parameter.shape)
            optimizer.step()
            XCTAssertEqual(parameters[1].parameter.value.scalars, fixture.initial["b"]!.map(Float.init), testCase.name)
            XCTAssertNotEqual(parameters[0].parameter.value.scalars, fixture.initial["a"]!.map(Float.init), testCase.name)
            let state = optimizer.stateTensors()
            XCTAssertEqual(state["a.step"]?.item, 1, testCase.name)
            XCTAssertEqual(state["b.step"]?.item, 0, testCase.name)
        }
    }

    func testZeroGradientsClearsEveryGradient() {
        let parameters = [Parameter(Tensor([1, 2])), Parameter(Tensor([3]))]
        let optimizer = Adam(parameters: parameters)
        for p in parameters { p.grad = Tensor(ones: p.shape) }
        optimizer.zeroGradients()
        XCTAssertTrue(parameters.allSatisfy { $0.grad == nil })
        XCTAssertEqual(optimizer.namedParameters.map(\.name), ["0", "1"], "unnamed parameters are named by index")
    }

    func testLargeParametersSplitAcrossThreadsGiveTheSameBits() {
        let count = 140_001
        var generator = RandomGenerator(seed: 7)
        let start = Tensor.randomNormal([count], using: &generator)
        let gradients = (0..<2).map { _ in Tensor.randomNormal([count], using: &generator) }
        func run(threads: Int) -> [Float] {
            let saved = ComputeThreads.count
            ComputeThreads.count = threads
            defer { ComputeThreads.count = saved }
            let p = Parameter(start)
            let optimizer = AdamW(parameters: [p], learningRate: 0.1)
            let ema = ExponentialMovingAverage(parameters: [p], decay: 0.5)
            for g in gradients {
                p.grad = g
                optimizer.step()
                ema.update()
            }
            return p.value.scalars + ema.averagedValues[0].value.scalars
        }
        let single = run(threads: 1)
        XCTAssertEqual(run(threads: 4), single)
        XCTAssertFalse(zip(single.prefix(count), start.scalars).contains { $0 == $1 }, "every element moved")
    }

    func testOptimizerOverModuleUsesDottedNames() throws {
        struct Inner: Module {
            let weight = Parameter(Tensor(ones: [2, 2]))
            var children: [(name: String, child: ModuleChild)] { [("weight", .parameter(weight))] }
        }
        struct Outer: Module {
            let inner = Inner()
            let bias = Parameter(Tensor(zeros: [2]))
            var children: [(name: String, child: ModuleChild)] { [("bias", .parameter(bias)), ("inner", .module(inner))] }
        }
        let model = Outer()
        let optimizer = SGD(parameters: model.namedParameters, learningRate: 0.5, momentum: 0.9)
        XCTAssertEqual(optimizer.namedParameters.map(\.name), ["bias", "inner.weight"])
        model.inner.weight.grad = Tensor(ones: [2, 2])
        optimizer.step()
        XCTAssertEqual(model.inner.weight.value.scalars, [0.5, 0.5, 0.5, 0.5])
        XCTAssertEqual(optimizer.stateTensors()["inner.weight.momentum_buffer"]?.scalars, [1, 1, 1, 1])
        optimizer.zeroGradients()
        XCTAssertNil(model.inner.weight.grad)
    }

    func testEightLaneAndScalarPathsGiveTheSameBits() throws {
        let fixture = try OptimizerFixture.load()
        var generator = RandomGenerator(seed: 3)
        let start = Tensor.randomNormal([16], using: &generator)
        let gradients = (0..<3).map { _ in Tensor.randomNormal([16], using: &generator) }
        for testCase in fixture.optimizers {
            let whole = [(name: "w", parameter: Parameter(start))]
            let single = (0..<16).map { (name: "w\($0)", parameter: Parameter(Tensor([start.scalars[$0]]))) }
            let lanes = testCase.makeOptimizer(whole), scalars = testCase.makeOptimizer(single)
            for g in gradients {
                whole[0].parameter.grad = g
                for (i, entry) in single.enumerated() { entry.parameter.grad = Tensor([g.scalars[i]]) }
                lanes.step()
                scalars.step()
            }
            XCTAssertEqual(whole[0].parameter.value.scalars, single.map { $0.parameter.value.item }, testCase.name)
        }
    }
}
