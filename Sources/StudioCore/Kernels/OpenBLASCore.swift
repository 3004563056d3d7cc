#if canImport(Glibc)
import Glibc
#endif

extension BLAS {
    /// The OpenBLAS kernel family in use, chosen once before the first convolution's GEMM.
    ///
    /// OpenBLAS 0.3.21 (Debian 12) does not recognise AMD Zen 4/5 and falls back to its Haswell (AVX2)
    /// kernels, although these CPUs run the SkylakeX AVX-512 kernels about 1.8 times as fast (measured:
    /// 1024³ sgemm on two Zen 5 cores, 200 against 360 GFLOP/s). A dynamic-architecture OpenBLAS picks
    /// its kernels from `OPENBLAS_CORETYPE` when (re)initialised, so this sets it and reinitialises,
    /// unless the user set it already. Symbols are looked up at run time, so another BLAS build is
    /// left untouched.
    static let coreName: String = selectFastestCore()

    private static func selectFastestCore() -> String {
        #if os(Linux)
        typealias Action = @convention(c) () -> Void
        typealias Name = @convention(c) () -> UnsafeMutablePointer<CChar>?
        guard let process = dlopen(nil, RTLD_NOW),
              let nameSymbol = dlsym(process, "openblas_get_corename") else { return "unknown" }
        let name = unsafeBitCast(nameSymbol, to: Name.self)
        func current() -> String { name().map { String(cString: $0) } ?? "unknown" }
        let detected = current()
        guard getenv("OPENBLAS_CORETYPE") == nil,
              ["haswell", "zen"].contains(detected.lowercased()),
              cpuHasAVX512(),
              let quitSymbol = dlsym(process, "gotoblas_dynamic_quit"),
              let initSymbol = dlsym(process, "gotoblas_dynamic_init") else { return detected }
        setenv("OPENBLAS_CORETYPE", "SKYLAKEX", 1)
        unsafeBitCast(quitSymbol, to: Action.self)()
        unsafeBitCast(initSymbol, to: Action.self)()
        unsetenv("OPENBLAS_CORETYPE")
        return current()
        #else
        return "unknown"
        #endif
    }

    /// Whether the CPU has the AVX-512 subsets SkylakeX kernels use, from the kernel's CPU flags.
    private static func cpuHasAVX512() -> Bool {
        guard let file = fopen("/proc/cpuinfo", "r") else { return false }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            let text = String(cString: line!)
            guard text.hasPrefix("flags") else { continue }
            let flags = Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }))
            return ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy { flags.contains(Substring($0)) }
        }
        return false
    }
}

extension ComputeThreads {
    /// The BLAS kernel family GEMMs run on (e.g. "SkylakeX"); asking selects the fastest one first.
    public static var blasCore: String { BLAS.coreName }
}
