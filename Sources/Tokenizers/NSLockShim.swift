import Foundation

/// `NSLock` behind a tiny wrapper so files without Foundation imports can lock.
final class NSLockShim: @unchecked Sendable {
    private let l = NSLock()
    @inline(__always) func lock() { l.lock() }
    @inline(__always) func unlock() { l.unlock() }
}
