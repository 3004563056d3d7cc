import Synchronization

/// A temporary Float buffer lent by `ScratchPool`; it goes back to the pool when released, so that
/// large im2col matrices are not page-faulted in afresh on every convolution.
final class ScratchBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let capacity: Int

    fileprivate init(pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        self.pointer = pointer
        self.capacity = capacity
    }

    deinit { ScratchPool.recycle(pointer: pointer, capacity: capacity) }
}

/// Keeps a few released scratch allocations for reuse; the total kept is bounded.
enum ScratchPool {
    private struct Slot: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
    }

    /// Enough for the im2col matrices kept by a few large layers (a DCGAN layer's take up to 40 MB),
    /// so that a training step recycles the previous step's buffers instead of faulting in new pages.
    private static let keptScalarLimit = 32 << 20
    private static let keptBufferLimit = 16
    private static let slots = Mutex<[Slot]>([])

    /// A buffer of at least `count` scalars, uninitialised.
    static func take(_ count: Int) -> ScratchBuffer {
        let wanted = Swift.max(count, 1)
        let reused: Slot? = slots.withLock { slots in
            var best: Int?
            for (index, slot) in slots.enumerated() where slot.capacity >= wanted {
                if best == nil || slot.capacity < slots[best!].capacity { best = index }
            }
            return best.map { slots.remove(at: $0) }
        }
        if let slot = reused { return ScratchBuffer(pointer: slot.pointer, capacity: slot.capacity) }
        return ScratchBuffer(pointer: .allocate(capacity: wanted), capacity: wanted)
    }

    fileprivate static func recycle(pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        let evicted: [Slot] = slots.withLock { slots in
            slots.append(Slot(pointer: pointer, capacity: capacity))
            // Drop the smallest first: large buffers are the costly ones to fault in again.
            slots.sort { $0.capacity > $1.capacity }
            var kept = 0, cut = slots.count
            for (index, slot) in slots.enumerated() {
                if kept + slot.capacity > keptScalarLimit || index >= keptBufferLimit { cut = index; break }
                kept += slot.capacity
            }
            let dropped = Array(slots[cut...])
            slots.removeSubrange(cut...)
            return dropped
        }
        for slot in evicted { slot.pointer.deallocate() }
    }
}
