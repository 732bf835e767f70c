import Foundation

/// Allocation of large, long-lived or streamed buffers (packed weights, scratch blocks) on transparent
/// huge pages where the kernel offers them (`/sys/kernel/mm/transparent_hugepage/enabled` at `madvise`
/// or `always`): 2 MB aligned and marked `MADV_HUGEPAGE` before the first touch. With 4 KB pages every
/// page boundary of a streamed weight panel is a TLB miss and stops the hardware prefetcher.
/// `TRELLIS_HUGEPAGES=0` turns it off (plain 64-byte aligned allocations).
public enum LargePages {
    /// Requests of at least this many bytes get 2 MB alignment and the hint.
    public static let threshold = 2 << 20

    /// Whether large requests are placed on huge pages (read once per process).
    public static let enabled: Bool = ProcessInfo.processInfo.environment["TRELLIS_HUGEPAGES"] != "0"

    /// `byteCount` bytes, uninitialised, 64-byte aligned (2 MB aligned and hinted when large); free with
    /// `deallocate()`.
    public static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        #if os(Linux)
        if enabled && byteCount >= threshold {
            var p: UnsafeMutableRawPointer?
            if posix_memalign(&p, threshold, byteCount) == 0, let p {
                // Whole huge pages inside the block only: past its end may lie other memory.
                _ = madvise(p, byteCount / threshold * threshold, Int32(MADV_HUGEPAGE))
                return p
            }
        }
        #endif
        return UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
    }
}
