import Foundation

/// Large scratch blocks kept for reuse between calls.
///
/// glibc serves every block above 32 MB (and, at first, above 128 KB) with a fresh `mmap`, and returns it to the
/// kernel on `free`, so each forward pass of a large model faulted every page of its activation buffers in again:
/// 5 % of the CPU time of an ESM-2 650M embedding went to the kernel (1.5 M page faults for 24 proteins with
/// BF16 weights). Blocks of at least `minimumBytes` come from here instead; freed ones wait for the next
/// request of at most their size, up to `retainedLimit` bytes in all (the rest are freed at once).
public final class ScratchPool: @unchecked Sendable {
    /// The pool of the process.
    public static let shared = ScratchPool()

    /// Smaller requests go straight to the allocator (its own free lists reuse them).
    public static let minimumBytes = 1 << 20

    /// Bytes of free blocks kept at most.
    public let retainedLimit: Int

    private let lock = NSLock()
    private var free: [(pointer: UnsafeMutableRawPointer, bytes: Int)] = []
    private var retained = 0

    public init(retainedLimit: Int = 512 << 20) {
        self.retainedLimit = retainedLimit
    }

    /// A block of at least `bytes` bytes, 64-byte aligned, contents undefined; give it back with `release`.
    /// Returns the block and its real size.
    public func take(bytes: Int) -> (pointer: UnsafeMutableRawPointer, bytes: Int) {
        var want = max(bytes, 1)
        if want >= ScratchPool.minimumBytes {
            // Size classes a quarter of a power of two apart: batches a little longer than the last one reuse
            // its blocks instead of leaving them idle beside new ones (which raised peak RSS).
            let step = 1 << (Int.bitWidth - want.leadingZeroBitCount - 3)
            want = (want + step - 1) / step * step
            lock.lock()
            // The smallest free block that fits, so a big one stays for big requests.
            var best: Int?
            for (i, block) in free.enumerated() where block.bytes >= want && block.bytes <= 2 * want {
                if best == nil || block.bytes < free[best!].bytes { best = i }
            }
            if let best {
                let block = free.remove(at: best)
                retained -= block.bytes
                lock.unlock()
                return block
            }
            lock.unlock()
        }
        return (UnsafeMutableRawPointer.allocate(byteCount: want, alignment: 64), want)
    }

    /// Returns a block from `take`.
    public func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= ScratchPool.minimumBytes else { return pointer.deallocate() }
        lock.lock()
        free.append((pointer, bytes))
        retained += bytes
        // Over the limit: free the oldest blocks first.
        var dropped: [UnsafeMutableRawPointer] = []
        while retained > retainedLimit, !free.isEmpty {
            let block = free.removeFirst()
            retained -= block.bytes
            dropped.append(block.pointer)
        }
        lock.unlock()
        for p in dropped { p.deallocate() }
    }

    /// Bytes held in free blocks now.
    public var retainedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return retained
    }
}
