import Foundation

/// The operation classes a `--profile` run reports wall time under.
public enum ProfileClass: Int, CaseIterable, Sendable {
    case gemm
    case attentionScores
    case softmax
    case attentionValues
    /// Fused attention (scores, online softmax and ·V in one kernel, not separable).
    case attention
    case norms
    case activations
    case rotary
    case copies
    case tokenization
    case io
    case other

    /// The name printed in profile tables and written to profile JSON.
    public var name: String {
        switch self {
        case .gemm: return "gemm"
        case .attentionScores: return "attention scores"
        case .softmax: return "softmax"
        case .attentionValues: return "attention·V"
        case .attention: return "attention (fused)"
        case .norms: return "norms"
        case .activations: return "activations"
        case .rotary: return "rotary"
        case .copies: return "copies/layout"
        case .tokenization: return "tokenization"
        case .io: return "io"
        case .other: return "other"
        }
    }
}

/// Wall time per operation class, collected when `isEnabled` (off by default: one branch per call then).
///
/// Only the outermost timed region of a thread counts, so a GEMM called inside a timed attention is attributed
/// to attention, and nested regions never count twice. Time a region on the thread that orchestrates it (the
/// model's forward), not inside `Parallel.forEach` bodies, so the totals add up to wall time.
public enum Profiler {
    nonisolated(unsafe) public static var isEnabled = false

    /// Runs `body`, adding its wall time to `category` when profiling is on and no region is open on this thread.
    @inline(__always)
    public static func time<T>(_ category: ProfileClass, _ body: () throws -> T) rethrows -> T {
        guard isEnabled else { return try body() }
        return try timed(category, body)
    }

    /// Seconds per class since the last `reset()`, plus how many regions were timed per class.
    public static func snapshot() -> [(category: ProfileClass, seconds: Double, count: Int)] {
        store.lock.lock(); defer { store.lock.unlock() }
        return ProfileClass.allCases.map { ($0, Double(store.nanoseconds[$0.rawValue]) / 1e9, store.counts[$0.rawValue]) }
    }

    /// Zeroes every total.
    public static func reset() {
        store.lock.lock(); defer { store.lock.unlock() }
        store.nanoseconds = Array(repeating: 0, count: ProfileClass.allCases.count)
        store.counts = Array(repeating: 0, count: ProfileClass.allCases.count)
        resetIdle()
    }

    @inline(never)
    static func timed<T>(_ category: ProfileClass, _ body: () throws -> T) rethrows -> T {
        if openRegion.value { return try body() }
        openRegion.value = true
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer {
            let dt = DispatchTime.now().uptimeNanoseconds &- t0
            openRegion.value = false
            store.add(category, nanoseconds: dt)
        }
        return try body()
    }

    private static let store = Store()
    private static let openRegion = ThreadFlag()

    private final class Store: @unchecked Sendable {
        let lock = NSLock()
        var nanoseconds = [UInt64](repeating: 0, count: ProfileClass.allCases.count)
        var counts = [Int](repeating: 0, count: ProfileClass.allCases.count)
        func add(_ c: ProfileClass, nanoseconds dt: UInt64) {
            lock.lock(); defer { lock.unlock() }
            nanoseconds[c.rawValue] &+= dt
            counts[c.rawValue] += 1
        }
    }
}

/// A per-thread boolean (pthread key), false on every thread until set.
final class ThreadFlag: @unchecked Sendable {
    private var key = pthread_key_t()
    init() { pthread_key_create(&key, nil) }
    var value: Bool {
        get { pthread_getspecific(key) != nil }
        set { pthread_setspecific(key, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
    }
}
