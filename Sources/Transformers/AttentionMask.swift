import Foundation

/// Which keys each query may attend to, for a batch of B sequences.
///
/// Query i of sequence b sits at key index `queryStart[b] + i` (0 without a cache; the cached length with one).
/// A key j is visible when j < `keyCount[b]`, `keyValid[b·Tk + j]` is set (no padding), and the pattern allows it.
/// Queries with no visible key attend uniformly to every key, which is what torch computes with an additive
/// `finfo.min` mask.
public struct AttentionMask {
    public enum Pattern: Equatable {
        /// Every query sees every key (encoders, MLM).
        case bidirectional
        /// Query at index p sees keys 0…p (CLM).
        case causal
        /// GLM: keys before `separator[b]` are visible to all queries, later ones causally.
        case prefix([Int])
    }

    public var pattern: Pattern
    /// [B, Tk] 1 = real token, 0 = padding; nil = all keys real.
    public var keyValid: [UInt8]?
    /// Keys per row of `keyValid` (the key axis length Tk).
    public var keyStride: Int
    /// [B] index of each sequence's first query on the key axis.
    public var queryStart: [Int]
    /// [B, Tq, Tk] additive scores (0 or a large negative), used instead of the pattern when set.
    public var additive: [Float]?
    /// Padded query rows see every key, as the xTrimoPGLM `get_masks` makes them (so no row is empty);
    /// only the values computed at padded positions depend on it.
    public var openPaddedQueries = false

    public init(pattern: Pattern, keyValid: [UInt8]?, keyStride: Int, queryStart: [Int], additive: [Float]? = nil) {
        self.pattern = pattern
        self.keyValid = keyValid
        self.keyStride = keyStride
        self.queryStart = queryStart
        self.additive = additive
    }

    /// A mask for a plain forward pass over [B, T] tokens with padding given by `attentionMask` (1 = real).
    public static func forward(pattern: Pattern, attentionMask: [Int32], batch: Int, length: Int) -> AttentionMask {
        AttentionMask(pattern: pattern, keyValid: attentionMask.map { $0 != 0 ? 1 : 0 }, keyStride: length,
                      queryStart: Array(repeating: 0, count: batch))
    }

    /// Whether query (b, i) may see key j, ignoring `additive` and the key count.
    @inline(__always)
    func allows(batch b: Int, query i: Int, key j: Int) -> Bool {
        let p = queryStart[b] + i
        if let keyValid {
            if openPaddedQueries && keyValid[b * keyStride + p] == 0 { return true }
            if keyValid[b * keyStride + j] == 0 { return false }
        }
        switch pattern {
        case .bidirectional: return true
        case .causal: return j <= p
        case .prefix(let sep): return j < sep[b] || j <= p
        }
    }
}
