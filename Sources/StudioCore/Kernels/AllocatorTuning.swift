/// How the process's allocator treats tensor storage.
public enum TensorMemory {
    /// Keeps freed tensor storage inside the process for the next tensor instead of handing it back
    /// to the kernel. A training step allocates and frees megabyte-sized tensors by the hundred; with
    /// glibc's defaults each is unmapped or trimmed away on free, so every later tensor of that size
    /// page-faults its pages in again, which costs more than the elementwise ops themselves. The
    /// price is that the process keeps its peak footprint. Call once, before training; returns
    /// whether the allocator took every setting (false off glibc).
    @discardableResult
    public static func keepFreedStorage() -> Bool {
        #if os(Linux)
        // 32 MiB is glibc's largest mmap threshold: smaller blocks come from the reusable heap.
        // mallopt answers 1 on success.
        return mallopt(mmapThreshold, 32 << 20) == 1
            && mallopt(trimThreshold, Int32.max) == 1
            && mallopt(topPad, 64 << 20) == 1
        #else
        return false
        #endif
    }

    // <malloc.h> is not part of Swift's Glibc module; these are its parameter numbers.
    private static let trimThreshold: Int32 = -1
    private static let topPad: Int32 = -2
    private static let mmapThreshold: Int32 = -3
}

#if os(Linux)
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
