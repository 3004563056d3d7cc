import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS's choice of kernels, looked up by symbol at run time so that another BLAS build is left
/// alone (and so that CBLAS stays imported by `BLAS.swift` only).
enum OpenBLASCore {
    private typealias Action = @convention(c) () -> Void
    private typealias Name = @convention(c) () -> UnsafeMutablePointer<CChar>?

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        #if os(Linux)
        guard let process = dlopen(nil, RTLD_NOW) else { return nil }
        return dlsym(process, name)
        #else
        return nil
        #endif
    }

    /// The kernel family in use, e.g. "Haswell" or "Cooperlake"; "unknown" without OpenBLAS.
    static var name: String {
        guard let pointer = symbol("openblas_get_corename") else { return "unknown" }
        return unsafeBitCast(pointer, to: Name.self)().map { String(cString: $0) } ?? "unknown"
    }

    /// The family OpenBLAS falls back to for a processor model it does not know.
    static let fallback = "Prescott"

    /// Reinitialises a dynamic-architecture OpenBLAS with its own detection of this CPU, ignoring an
    /// inherited `OPENBLAS_CORETYPE` unless `honouringEnvironment`; returns the kernel family then in use.
    ///
    /// OpenBLAS detects by processor model, and a model newer than the library (Emerald Rapids under
    /// Debian 12's 0.3.21, say) gets its SSE3 fallback, an eighth of AVX-512's sgemm speed. The family is
    /// then chosen from the processor's instruction sets instead (`studio_blas_core_for_features`).
    static func redetect(honouringEnvironment: Bool = false) -> String {
        #if os(Linux)
        guard symbol("gotoblas_dynamic_init") != nil else { return name }
        let inherited = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        if !honouringEnvironment { unsetenv("OPENBLAS_CORETYPE") }
        reinitialise()
        leaveFallback()
        if let inherited { setenv("OPENBLAS_CORETYPE", inherited, 1) }
        #endif
        return name
    }

    /// Moves OpenBLAS off its SSE3 fallback to the family this processor's instruction sets allow, unless
    /// `OPENBLAS_CORETYPE` forces a family; returns the family then in use. `BLAS` calls it before its
    /// first product, so that every process (the tool, the tests, a package using the libraries) multiplies
    /// with the same kernels, and so gets the same bits.
    @discardableResult
    static func leaveFallback() -> String {
        #if os(Linux)
        guard name == fallback, getenv("OPENBLAS_CORETYPE") == nil, let family = studio_blas_core_for_features() else {
            return name
        }
        setenv("OPENBLAS_CORETYPE", family, 1)
        reinitialise()
        unsetenv("OPENBLAS_CORETYPE")
        #endif
        return name
    }

    /// Ends OpenBLAS's own worker threads, which it starts when it loads (one per extra core); call after
    /// `openblas_set_num_threads(1)`, which would otherwise start them again. Every product runs on one
    /// OpenBLAS thread here, so they never get work, yet on a 2-core VM one of them spun in `sched_yield`
    /// through a whole MLP VAE benchmark, a quarter of the CPU samples, taking its time from the compute
    /// threads.
    static func stopIdleThreads() {
        guard let shutdown = symbol("blas_thread_shutdown_") else { return }
        _ = unsafeBitCast(shutdown, to: (@convention(c) () -> Int32).self)()
    }

    /// Whether OpenBLAS's worker threads are running; nil when this BLAS does not say.
    static var hasIdleThreads: Bool? {
        guard let flag = symbol("blas_server_avail") else { return nil }
        return flag.assumingMemoryBound(to: Int32.self).pointee != 0
    }

    /// Makes a dynamic-architecture OpenBLAS choose its kernels again, reading `OPENBLAS_CORETYPE` anew.
    private static func reinitialise() {
        guard let quit = symbol("gotoblas_dynamic_quit"), let initialise = symbol("gotoblas_dynamic_init") else { return }
        unsafeBitCast(quit, to: Action.self)()
        unsafeBitCast(initialise, to: Action.self)()
    }
}

extension ComputeThreads {
    /// The BLAS kernel family GEMMs run on, e.g. "Haswell" or "Cooperlake".
    public static var blasCore: String { OpenBLASCore.name }

    /// Lets OpenBLAS choose kernels for this CPU itself instead of those an inherited
    /// `OPENBLAS_CORETYPE` forces. Some images set it to "Haswell" (AVX2), which on an AVX-512 CPU
    /// runs sgemm at about half speed. Where OpenBLAS does not know the processor model, the family
    /// comes from its instruction sets instead of OpenBLAS's SSE3 fallback. Call before any computation
    /// starts; returns the family now in use.
    @discardableResult
    public static func redetectBLASCore() -> String { OpenBLASCore.redetect() }

    /// Goes back to the kernels an inherited `OPENBLAS_CORETYPE` names (after `redetectBLASCore()`).
    /// Call before any computation starts; returns the family now in use.
    @discardableResult
    public static func inheritBLASCore() -> String { OpenBLASCore.redetect(honouringEnvironment: true) }
}
