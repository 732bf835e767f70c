import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Memory for large, long-lived buffers that kernels stream (packed weights): on Linux, blocks of at
/// least 2 MB are 2 MB-aligned and marked `MADV_HUGEPAGE`, so transparent huge pages back them even where
/// the system enables THP only on request (`madvise`, Debian's default).
///
/// Why: batch-1 decoding streams every weight once per token, and with 4 KB pages each page is a TLB
/// miss; under a hypervisor each miss is a two-level page walk. Huge pages were +4 % (2 threads) and
/// +6 % (1 thread) on the 1B-class BF16 decode's weight stream (AVX2, Zen 4 KVM guest, in-process
/// alternation). `TRELLIS_NO_HUGEPAGES=1` turns the request off.
enum HugePages {
    /// Huge page size on x86-64 and arm64 Linux with 4 KB base pages.
    static let size = 2 << 20
    static let enabled = ProcessInfo.processInfo.environment["TRELLIS_NO_HUGEPAGES"].map { $0.isEmpty || $0 == "0" } ?? true

    /// `byteCount` bytes aligned to at least 64, uninitialised; release with `deallocate`.
    static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let huge = enabled && byteCount >= size
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, huge ? size : 64, max(1, byteCount)) == 0, let p else {
            fatalError("out of memory allocating \(byteCount) bytes")
        }
        #if os(Linux)
        // Advice only (where THP is off the block stays ordinary memory), and only for whole huge pages:
        // a rounded-up tail would be backed in full once touched (~260 MB more RSS for ESM-2 650M).
        if huge { _ = madvise(p, byteCount / size * size, Int32(MADV_HUGEPAGE)) }
        #endif
        return p
    }

    /// Releases a block from `allocate`.
    static func deallocate(_ p: UnsafeMutableRawPointer) { free(p) }
}
