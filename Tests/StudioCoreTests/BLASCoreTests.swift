import CKernels
import XCTest
@testable import StudioCore

final class BLASCoreTests: XCTestCase {
    /// OpenBLAS 0.3.21 gives processor models newer than itself (Emerald Rapids, say) its SSE3 kernels;
    /// redetection must pick a family from the instruction sets instead.
    func testRedetectionNeverLeavesAVXProcessorsOnTheFallbackKernels() throws {
        guard let pointer = studio_blas_core_for_features() else { throw XCTSkip("no AVX2 on this processor") }
        let expected = String(cString: pointer)
        let family = ComputeThreads.redetectBLASCore()
        guard family != "unknown" else { throw XCTSkip("not linked against a dynamic-architecture OpenBLAS") }
        XCTAssertNotEqual(family, OpenBLASCore.fallback, "AVX processors need at least the \(expected) kernels")
        if getenv("OPENBLAS_CORETYPE") == nil {
            XCTAssertEqual(ComputeThreads.inheritBLASCore(), family, "with nothing inherited, both paths agree")
        }
    }

    /// The family from the feature bits matches the instruction sets the convolution kernels test for.
    func testFeatureFamilyAgreesWithTheDirectKernels() {
        let family = studio_blas_core_for_features().map { String(cString: $0) }
        if DirectConvolution.isAvailable { XCTAssertEqual(family, "SkylakeX") }
        if family == "SkylakeX" { XCTAssertTrue(DirectConvolution.isAvailable) }
    }

    /// A process that never calls `redetectBLASCore()` (these tests, a package using the libraries) must
    /// multiply with the same kernels as the tool, which does.
    func testTheFirstProductLeavesTheFallbackKernels() throws {
        guard studio_blas_core_for_features() != nil, getenv("OPENBLAS_CORETYPE") == nil else {
            throw XCTSkip("no AVX2 here, or a family forced through OPENBLAS_CORETYPE")
        }
        let product = Tensor.matmul(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), Tensor(shape: [2, 2], scalars: [1, 0, 0, 1]))
        XCTAssertEqual(product.scalars, [1, 2, 3, 4])
        guard ComputeThreads.blasCore != "unknown" else { throw XCTSkip("not a dynamic-architecture OpenBLAS") }
        XCTAssertNotEqual(ComputeThreads.blasCore, OpenBLASCore.fallback)
    }

    /// After the first product OpenBLAS keeps no worker threads of its own: they would spin beside the
    /// compute threads with nothing to do.
    func testNoOpenBLASThreadsAfterTheFirstProduct() throws {
        let product = Tensor.matmul(Tensor(shape: [1, 2], scalars: [1, 2]), Tensor(shape: [2, 1], scalars: [3, 4]))
        XCTAssertEqual(product.scalars, [11])
        guard let running = OpenBLASCore.hasIdleThreads else { throw XCTSkip("this BLAS does not say") }
        XCTAssertFalse(running)
    }
}
