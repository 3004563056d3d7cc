import Foundation

/// Refuses work whose tensors could not fit in this machine's memory before allocating them, so that
/// a mistyped count is an error naming the flag rather than an abort in the allocator.
public enum MemoryBudget {
    /// Throws unless `count` examples of `elementsPerExample` values of `bytesPerValue` bytes (Float32
    /// by default, 1 for image bytes) fit in physical memory; `what` names the flag or key and its value in the message.
    public static func check(count: Int, elementsPerExample: Int, bytesPerValue: Int = MemoryLayout<Float>.size,
                             what: String) throws {
        let (elements, overflowA) = count.multipliedReportingOverflow(by: Swift.max(elementsPerExample, 1))
        let (bytes, overflowB) = elements.multipliedReportingOverflow(by: bytesPerValue)
        let available = ProcessInfo.processInfo.physicalMemory
        guard !overflowA, !overflowB, count >= 0, UInt64(bytes) <= available else {
            let needed = overflowA || overflowB ? "more bytes than any machine has"
                : String(format: "%.1f GiB", Double(bytes) / 1_073_741_824)
            throw SampleError("\(what): \(count) examples of \(elementsPerExample) values would need \(needed), but this machine has \(String(format: "%.1f GiB", Double(available) / 1_073_741_824)) of memory")
        }
    }
}
