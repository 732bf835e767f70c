import Foundation
import Tensors

/// A strided view of per-head vectors: element (b, t, h, d) is at base + b·batchStride + t·rowStride + h·headStride + d,
/// or, for sequences laid end to end without padding, at base + (firstRows[b] + t)·rowStride + h·headStride + d.
public struct HeadView {
    public var base: UnsafeMutablePointer<Float>
    public var batchStride: Int
    public var rowStride: Int
    public var headStride: Int
    /// [B] row of each sequence's first token when the sequences are packed (`PackedRows`); nil = `batchStride`.
    public var firstRows: [Int]?

    public init(base: UnsafeMutablePointer<Float>, batchStride: Int, rowStride: Int, headStride: Int,
                firstRows: [Int]? = nil) {
        self.base = base
        self.batchStride = batchStride
        self.rowStride = rowStride
        self.headStride = headStride
        self.firstRows = firstRows
    }

    @inline(__always)
    func at(_ b: Int, _ t: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        if let firstRows { return base + (firstRows[b] + t) * rowStride + h * headStride }
        return base + b * batchStride + t * rowStride + h * headStride
    }
}

/// Receives sequence b's attention probabilities [heads, Tq, rowStride] (keys past its key count are 0).
public typealias AttentionProbabilitySink = (_ sequence: Int, _ probabilities: UnsafePointer<Float>, _ rowStride: Int) -> Void

/// softmax(scale·QKᵀ + mask)·V for every (sequence, head), with grouped key/value heads
/// (query head h reads key/value head h / (heads / kvHeads)).
///
/// Without a probability sink: the blocked online-softmax kernel (`FlashAttention`), threaded over
/// (sequence, head, block of 64 queries), writing straight into the [T, heads·D] context; no score matrix
/// exists beyond a 64×64 tile per thread. With one: the explicit path (`+Probabilities`).
public enum ScaledDotProductAttention {
    /// - Parameters:
    ///   - keyCount: keys of each sequence (Tk, or the cache length after appending).
    ///   - queryCount: queries of each sequence when they differ (packed sequences); nil = `tq` each.
    ///   - probabilities: when given, called with each sequence's attention probabilities.
    ///   - workspace: returns room for the given number of floats, reused across calls (allocated here when nil).
    public static func compute(q: HeadView, k: HeadView, v: HeadView, out: HeadView,
                               batch: Int, queries tq: Int, queryCount: [Int]? = nil, keyCount: [Int], heads: Int,
                               kvHeads: Int, headDim d: Int, scale: Float, mask: AttentionMask,
                               probabilities: AttentionProbabilitySink? = nil,
                               workspace: ((Int) -> UnsafeMutablePointer<Float>)? = nil) {
        guard (keyCount.max() ?? 0) > 0, tq > 0, d > 0 else { return }
        precondition(queryCount == nil || probabilities == nil, "attention probabilities need padded sequences")
        if let probabilities {
            explicit(q: q, k: k, v: v, out: out, batch: batch, queries: tq, keyCount: keyCount, heads: heads,
                     kvHeads: kvHeads, headDim: d, scale: scale, mask: mask, sink: probabilities, workspace: workspace)
        } else {
            Profiler.time(.attention) {
                fused(q: q, k: k, v: v, out: out, batch: batch, queries: tq, queryCount: queryCount, keyCount: keyCount,
                      heads: heads, kvHeads: kvHeads, headDim: d, scale: scale, mask: mask, workspace: workspace)
            }
        }
    }

    /// softmax(scale·QKᵀ + mask)·V with keys and values already in the fused kernel's layout (a `KVCache`
    /// keeps them so): no per-call packing. Same bits as `compute` on the same keys and values.
    static func compute(q: HeadView, packed keys: PackedKeys, out: HeadView, batch: Int, queries tq: Int,
                        keyCount: [Int], heads: Int, kvHeads: Int, headDim d: Int, scale: Float,
                        mask: AttentionMask) {
        let maxKeys = keyCount.max() ?? 0
        guard maxKeys > 0, tq > 0, d > 0 else { return }
        Profiler.time(.attention) {
            let keyBias = FloatBuffer(mask.keyValid == nil ? 0 : batch * maxKeys)            // [B, maxKeys]
            attend(q: q, keys: keys, out: out, batch: batch, queries: tq, keyCount: keyCount, heads: heads,
                   kvHeads: kvHeads, headDim: d, scale: scale, mask: mask, keyBias: keyBias.pointer)
        }
    }

    /// Kᵀ and values laid out for `FlashAttention`, per (sequence b, key/value head h).
    struct PackedKeys {
        /// Kᵀ key blocks of (b, h) at `kT + (b·kvHeads + h)·keyStride` (`FlashAttention.packKeys`).  // [B, kvHeads, blocks, D, 64]
        var kT: UnsafePointer<Float>
        var keyStride: Int
        /// Values of (b, h) at `v + (b·kvHeads + h)·valueStride`, D floats per key.                   // [B, kvHeads, Tk, D]
        var v: UnsafePointer<Float>
        var valueStride: Int
    }

    static func fused(q: HeadView, k: HeadView, v: HeadView, out: HeadView, batch: Int, queries tq: Int,
                      queryCount: [Int]? = nil, keyCount: [Int], heads: Int, kvHeads: Int, headDim d: Int, scale: Float,
                      mask: AttentionMask,
                      workspace: ((Int) -> UnsafeMutablePointer<Float>)?) {
        let maxKeys = keyCount.max() ?? 0
        let perHead = FlashAttention.packedKeysCount(keys: maxKeys, dim: d)
        let packCount = batch * kvHeads * perHead
        let need = 2 * packCount + (mask.keyValid == nil ? 0 : batch * maxKeys)
        let owned = workspace == nil ? FloatBuffer(need) : nil
        let kT = workspace?(need) ?? owned!.pointer                                 // [B, kvHeads, blocks, D, 64]
        let vPacked = kT + packCount                                                // [B, kvHeads, Tk, D]
        let keyBias = vPacked + packCount                                           // [B, maxKeys] 0 / −∞
        // Keys transposed in blocks and values made contiguous: rows of the fused projection lie a whole
        // [3·heads·D] row apart, which at real widths maps a block's rows onto a few cache sets.
        Parallel.forEach(range: batch * kvHeads, costPerItem: Double(maxKeys * d) * 2) { items in
            for item in items {
                let b = item / kvHeads, hk = item % kvHeads
                FlashAttention.packKeys(k.at(b, 0, hk), stride: k.rowStride, keys: keyCount[b], dim: d,
                                        into: kT + item * perHead)
                FlashAttention.packValues(v.at(b, 0, hk), stride: v.rowStride, keys: keyCount[b], dim: d,
                                          into: vPacked + item * perHead)
            }
        }
        attend(q: q, keys: PackedKeys(kT: kT, keyStride: perHead, v: vPacked, valueStride: perHead), out: out,
               batch: batch, queries: tq, queryCount: queryCount, keyCount: keyCount, heads: heads, kvHeads: kvHeads,
               headDim: d, scale: scale, mask: mask, keyBias: keyBias)
    }

    /// The fused kernel over packed keys, threaded over (sequence, head, block of queries); `keyBias` holds
    /// batch · max(keyCount) floats when the mask has padded keys.
    static func attend(q: HeadView, keys: PackedKeys, out: HeadView, batch: Int, queries tq: Int,
                       queryCount: [Int]? = nil, keyCount: [Int], heads: Int, kvHeads: Int, headDim d: Int,
                       scale: Float, mask: AttentionMask, keyBias: UnsafeMutablePointer<Float>) {
        let maxKeys = keyCount.max() ?? 0
        let group = heads / kvHeads
        // Keys past a sequence's last real key are skipped, so padding adds no work (and no bits).
        var keyEnd = keyCount
        var padded = [Bool](repeating: false, count: batch)
        if mask.keyValid != nil {
            for b in 0..<batch {
                let (end, holes) = prepareKeyBias(keyBias + b * maxKeys, mask: mask, batch: b, keys: keyCount[b])
                keyEnd[b] = end
                padded[b] = holes > keyCount[b] - end      // a padded key below the last real one
            }
        }
        // Tasks are (sequence, head, block of queries), sequence-major; packed sequences have their own block counts.
        let queries = queryCount ?? Array(repeating: tq, count: batch)
        var firstTask = [Int](repeating: 0, count: batch + 1)                       // [B + 1] prefix sums
        for b in 0..<batch {
            firstTask[b + 1] = firstTask[b] + heads * ((queries[b] + FlashAttention.queryBlock - 1) / FlashAttention.queryBlock)
        }
        let tasks = firstTask[batch]
        let work = Double(heads) * Double(queries.reduce(0, +)) * Double(maxKeys) * Double(d) / 8
        let chunks = Parallel.usefulThreads(forWork: work) <= 1 ? 1 : min(tasks, Parallel.threadCount * 8)
        withAdditive(mask) { additive in
            Parallel.forEach(chunks: chunks) { chunk in
                let scratch = FlashAttention.Scratch(dim: d)
                let rowMasks = UnsafeMutablePointer<FlashAttention.RowMask>.allocate(capacity: FlashAttention.queryBlock)
                defer { rowMasks.deallocate() }
                var b = 0
                for task in (chunk * tasks / chunks)..<((chunk + 1) * tasks / chunks) {
                    while firstTask[b + 1] <= task { b += 1 }
                    let blocks = (firstTask[b + 1] - firstTask[b]) / heads
                    let qb = (task - firstTask[b]) % blocks, h = (task - firstTask[b]) / blocks
                    let i0 = qb * FlashAttention.queryBlock, rows = min(FlashAttention.queryBlock, queries[b] - i0)
                    let tk = keyCount[b]
                    for r in 0..<rows {
                        rowMasks[r] = rowMask(mask, batch: b, query: i0 + r, queries: tq, keys: tk, keyEnd: keyEnd[b],
                                              additive: additive,
                                              keyBias: padded[b] ? UnsafePointer(keyBias + b * maxKeys) : nil)
                    }
                    let item = b * kvHeads + h / group
                    FlashAttention.run(q: q.at(b, i0, h), qStride: q.rowStride, rows: rows,
                                       kT: keys.kT + item * keys.keyStride, v: keys.v + item * keys.valueStride,
                                       vStride: d, keys: tk, dim: d, scale: scale, masks: rowMasks,
                                       out: out.at(b, i0, h), outStride: out.rowStride, scratch: scratch)
                }
            }
        }
    }

    /// Runs `body` with a pointer to the explicit additive mask, if any.
    static func withAdditive(_ mask: AttentionMask, _ body: (UnsafePointer<Float>?) -> Void) {
        if let a = mask.additive {
            a.withUnsafeBufferPointer { body($0.baseAddress) }
        } else {
            body(nil)
        }
    }

    /// The keys query i of sequence b sees: the explicit additive row; every key for an open padded row;
    /// else keys below the pattern's limit and the last real key, minus padded keys (`keyBias`).
    @inline(__always)
    static func rowMask(_ mask: AttentionMask, batch b: Int, query i: Int, queries tq: Int, keys tk: Int, keyEnd: Int,
                        additive: UnsafePointer<Float>?, keyBias: UnsafePointer<Float>?) -> FlashAttention.RowMask {
        if let additive { return .init(limit: tk, bias: additive + (b * tq + i) * mask.keyStride) }
        let p = mask.queryStart[b] + i
        if mask.openPaddedQueries, let valid = mask.keyValid, valid[b * mask.keyStride + p] == 0 {
            return .init(limit: tk, bias: nil)
        }
        var limit = keyEnd
        switch mask.pattern {
        case .bidirectional: break
        case .causal: limit = min(limit, p + 1)
        case .prefix(let sep): limit = min(limit, max(sep[b], p + 1))
        }
        return .init(limit: limit, bias: keyBias)
    }

    /// Fills `row` with 0 for real keys and −∞ for padded ones of sequence b; returns one past the last real key
    /// and the number of padded keys.
    static func prepareKeyBias(_ row: UnsafeMutablePointer<Float>, mask: AttentionMask, batch b: Int, keys tk: Int)
        -> (end: Int, padded: Int)
    {
        guard let valid = mask.keyValid else { return (tk, 0) }
        var end = 0, holes = 0
        for j in 0..<tk {
            let ok = valid[b * mask.keyStride + j] != 0
            row[j] = ok ? 0 : -.infinity
            if ok { end = j + 1 } else { holes += 1 }
        }
        return (end, holes)
    }
}
