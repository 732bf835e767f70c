import Foundation
import Tensors

/// Which keys each query may see, per sequence: key j is visible to query i when j < `lengths[b]`
/// (padding) and (j < `prefixes[b]` or j ≤ i). MLM: prefix = T (bidirectional); CLM: prefix = 0 (causal);
/// GLM: prefix = index of `<gmask>` + 1 (bidirectional context, causal span).
public struct TrainingMask: Sendable {
    public var lengths: [Int]
    public var prefixes: [Int]

    public init(lengths: [Int], prefixes: [Int]) {
        self.lengths = lengths
        self.prefixes = prefixes
    }

    @inline(__always) func visible(batch b: Int, query i: Int, key j: Int) -> Bool {
        j < lengths[b] && (j < prefixes[b] || j <= i)
    }
}

/// Multi-head attention over a fused projection laid out per head as [q|k|v] (xTrimoPGLM) or with all q,
/// all k, all v ([q…|k…|v…], BERT/ESM after concatenation): forward caches the probabilities P, backward
/// turns d(context) into d(qkv).
public struct AttentionTraining {
    public let batch: Int, length: Int, heads: Int, headDim: Int
    /// true: head h's q, k, v at h·3d, h·3d + d, h·3d + 2d; false: at h·d, H + h·d, 2H + h·d (H = heads·d).
    public let interleaved: Bool
    public let scale: Float

    public init(batch: Int, length: Int, heads: Int, headDim: Int, interleaved: Bool, scale: Float? = nil) {
        self.batch = batch
        self.length = length
        self.heads = heads
        self.headDim = headDim
        self.interleaved = interleaved
        self.scale = scale ?? 1 / Float(headDim).squareRoot()
    }

    var width: Int { 3 * heads * headDim }
    var headStride: Int { interleaved ? 3 * headDim : headDim }
    var kOffset: Int { interleaved ? headDim : heads * headDim }
    var vOffset: Int { interleaved ? 2 * headDim : 2 * heads * headDim }
    /// Floats of the probability cache: [B, heads, T, T].
    public var probabilityCount: Int { batch * heads * length * length }

    /// qkv [B, T, 3·H·d] → context [B, T, H·d]; probs [B, heads, T, T] cached.
    public func forward(context: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                        qkv: UnsafePointer<Float>, mask: TrainingMask) {
        let t = length, d = headDim, c = heads * d, w = width
        for b in 0..<batch {
            let base = qkv + b * t * w, p = probs + b * heads * t * t
            gemmBatched(transposeA: false, transposeB: true, m: t, n: t, k: d, alpha: scale,
                        a: base, lda: w, strideA: headStride, b: base + kOffset, ldb: w, strideB: headStride,
                        c: p, ldc: t, strideC: t * t, batchCount: heads)
            // Visible keys of query i are the prefix j < min(length, max(prefix, i + 1)): softmax over it only.
            let len = mask.lengths[b], prefix = mask.prefixes[b]
            Profiler.time(.softmax) { Parallel.forEach(range: heads * t, costPerItem: Double(t) * 2) { range in
                for row in range {
                    let r = p + row * t, visible = min(len, max(prefix, row % t + 1))
                    Kernels.softmax(r, rows: 1, cols: visible)
                    (r + visible).update(repeating: 0, count: t - visible)
                }
            } }
            gemmBatched(transposeA: false, transposeB: false, m: t, n: d, k: t,
                        a: p, lda: t, strideA: t * t, b: base + vOffset, ldb: w, strideB: headStride,
                        c: context + b * t * c, ldc: c, strideC: d, batchCount: heads)
        }
    }

    /// dcontext [B, T, H·d] → dqkv [B, T, 3·H·d] (overwritten); `scratch` holds [heads, T, T].
    public func backward(dqkv: UnsafeMutablePointer<Float>, dcontext: UnsafePointer<Float>,
                         qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let t = length, d = headDim, c = heads * d, w = width
        for b in 0..<batch {
            let base = qkv + b * t * w, p = probs + b * heads * t * t
            let dbase = dqkv + b * t * w, dctx = dcontext + b * t * c
            // dP = dctx · Vᵀ
            gemmBatched(transposeA: false, transposeB: true, m: t, n: t, k: d,
                        a: dctx, lda: c, strideA: d, b: base + vOffset, ldb: w, strideB: headStride,
                        c: scratch, ldc: t, strideC: t * t, batchCount: heads)
            // dV = Pᵀ · dctx
            gemmBatched(transposeA: true, transposeB: false, m: t, n: d, k: t,
                        a: p, lda: t, strideA: t * t, b: dctx, ldb: c, strideB: d,
                        c: dbase + vOffset, ldc: w, strideC: headStride, batchCount: heads)
            // dS = P ⊙ (dP − Σ_j dP·P)   (masked entries have P = 0, so they get no gradient)
            Profiler.time(.softmax) { Parallel.forEach(range: heads * t, costPerItem: Double(t) * 2) { range in
                for row in range { Self.softmaxBackwardRow(probs: p + row * t, gradient: scratch + row * t, count: t) }
            } }
            // dQ = scale · dS · K ;  dK = scale · dSᵀ · Q
            gemmBatched(transposeA: false, transposeB: false, m: t, n: d, k: t, alpha: scale,
                        a: scratch, lda: t, strideA: t * t, b: base + kOffset, ldb: w, strideB: headStride,
                        c: dbase, ldc: w, strideC: headStride, batchCount: heads)
            gemmBatched(transposeA: true, transposeB: false, m: t, n: d, k: t, alpha: scale,
                        a: scratch, lda: t, strideA: t * t, b: base, ldb: w, strideB: headStride,
                        c: dbase + kOffset, ldc: w, strideC: headStride, batchCount: heads)
        }
    }

    /// dS = P ⊙ (dP − Σ_j dP·P) for one row, in place in `gradient`.
    @inline(__always)
    static func softmaxBackwardRow(probs p: UnsafePointer<Float>, gradient d: UnsafeMutablePointer<Float>, count t: Int) {
        typealias F8 = SIMD8<Float>
        var acc = F8(), j = 0
        while j + 8 <= t {
            acc += UnsafeRawPointer(p + j).loadUnaligned(as: F8.self) * UnsafeRawPointer(d + j).loadUnaligned(as: F8.self)
            j += 8
        }
        var dot = acc.sum()
        while j < t { dot += p[j] * d[j]; j += 1 }
        j = 0
        while j + 8 <= t {
            let pv = UnsafeRawPointer(p + j).loadUnaligned(as: F8.self), dv = UnsafeRawPointer(d + j).loadUnaligned(as: F8.self)
            UnsafeMutableRawPointer(d + j).storeBytes(of: pv * (dv - F8(repeating: dot)), as: F8.self)
            j += 8
        }
        while j < t { d[j] = p[j] * (d[j] - dot); j += 1 }
    }

    /// Scalar reference of `forward` (tests hold the two together).
    public func referenceForward(context: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>, mask: TrainingMask) {
        let t = length, d = headDim, c = heads * d, w = width
        var s = [Float](repeating: 0, count: t)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<t {
                    let q = qkv + (b * t + i) * w + h * headStride
                    var mx = -Float.infinity
                    for j in 0..<t {
                        let k = qkv + (b * t + j) * w + h * headStride + kOffset
                        var dot: Float = 0
                        for e in 0..<d { dot += q[e] * k[e] }
                        s[j] = mask.visible(batch: b, query: i, key: j) ? dot * scale : -.infinity
                        mx = max(mx, s[j])
                    }
                    var sum: Float = 0
                    for j in 0..<t { s[j] = s[j] == -.infinity ? 0 : expf(s[j] - mx); sum += s[j] }
                    let out = context + (b * t + i) * c + h * d
                    for e in 0..<d { out[e] = 0 }
                    for j in 0..<t {
                        let v = qkv + (b * t + j) * w + h * headStride + vOffset
                        for e in 0..<d { out[e] += s[j] / sum * v[e] }
                    }
                }
            }
        }
    }
}
