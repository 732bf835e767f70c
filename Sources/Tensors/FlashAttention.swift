import Foundation
import TensorsAVX512

/// softmax(scale·QKᵀ + mask)·V for one (sequence, head) and up to `queryBlock` query rows, blocked over keys
/// with an online softmax: no score row longer than `keyBlock` ever exists.
///
/// Per key block (from key 0, in order): S = scale·Q·Kᵀ into a [rows, keyBlock] tile, per row the block max,
/// the rescale factor e^(m_old − m_new), P = e^(S − m_new) and the running sum, then O = O·c + P·V. A row's
/// arithmetic depends only on its own query, keys, values and mask: the blocks start at multiples of
/// `keyBlock`, a key's lane is its index mod 8, masked keys contribute exact zeros and blocks past a row's
/// limit are exact no-ops. So results do not depend on the other rows of the tile, the other sequences of
/// a batch, the padded length, or the thread count.
public enum FlashAttention {
    /// Query rows per call (per task of the caller): ten tiles of six rows.
    public static let queryBlock = 60
    /// Keys per block of the online softmax. Part of the numerics: a row's bits depend on it.
    public static let keyBlock = 64

    /// Which keys a query row sees: keys 0..<limit, with `bias[j]` (0, −∞ or an additive score) added when set.
    /// A row that sees no key gets the plain mean of the values of all `keys` (torch's `finfo.min` behaviour).
    public struct RowMask {
        public var limit: Int
        public var bias: UnsafePointer<Float>?
        public init(limit: Int, bias: UnsafePointer<Float>?) {
            self.limit = limit
            self.bias = bias
        }
    }

    /// Working memory of one `run` at a time (one per task or thread).
    public final class Scratch {
        let scores: UnsafeMutablePointer<Float>    // [queryBlock, keyBlock] scores, then probabilities
        let context: UnsafeMutablePointer<Float>   // [queryBlock, D] unnormalised output
        let stats: UnsafeMutablePointer<Float>     // [3, queryBlock] running max, running sum, rescale factor
        let spare: UnsafeMutablePointer<Float>     // [max(keyBlock, D)] throwaway row of a short AVX-512 tile
        let inputs: UnsafeMutablePointer<UnsafePointer<Float>>          // [6] rows of an AVX-512 tile
        let outputs: UnsafeMutablePointer<UnsafeMutablePointer<Float>>  // [6]
        let factors: UnsafeMutablePointer<Float>                        // [6]
        let dim: Int

        public init(dim d: Int) {
            dim = d
            scores = .allocate(capacity: queryBlock * keyBlock)
            context = .allocate(capacity: queryBlock * max(d, 1))
            stats = .allocate(capacity: 3 * queryBlock)
            spare = .allocate(capacity: max(keyBlock, d))
            spare.initialize(repeating: 0, count: max(keyBlock, d))
            inputs = .allocate(capacity: 6)
            outputs = .allocate(capacity: 6)
            factors = .allocate(capacity: 6)
        }

        deinit {
            scores.deallocate()
            context.deallocate()
            stats.deallocate()
            spare.deallocate()
            inputs.deallocate()
            outputs.deallocate()
            factors.deallocate()
        }
    }

    /// Floats of a packed Kᵀ for `keys` keys of dimension d: whole key blocks, each [D, keyBlock] contiguous
    /// (Kᵀ rows a full sequence apart would share cache sets at lengths near powers of two).
    public static func packedKeysCount(keys: Int, dim d: Int) -> Int {
        (keys + keyBlock - 1) / keyBlock * keyBlock * d
    }

    /// Kᵀ in key blocks: block c holds kT[c·D·keyBlock + x·keyBlock + j] = k[(c·keyBlock + j)·stride + x],
    /// zero past `keys`.   // [blocks, D, keyBlock]
    public static func packKeys(_ k: UnsafePointer<Float>, stride: Int, keys: Int, dim d: Int,
                                into kT: UnsafeMutablePointer<Float>) {
        var j0 = 0
        while j0 < keys {
            let block = kT + (j0 / keyBlock) * d * keyBlock + j0 % keyBlock
            if j0 + 8 <= keys {
                for x in 0..<d {
                    var col = F8()
                    for l in 0..<8 { col[l] = k[(j0 + l) * stride + x] }
                    store(col, block + x * keyBlock)
                }
            } else {
                for x in 0..<d {
                    let dst = block + x * keyBlock
                    for l in 0..<8 { dst[l] = j0 + l < keys ? k[(j0 + l) * stride + x] : 0 }
                }
            }
            j0 += 8
        }
        let packedKeys = (keys + keyBlock - 1) / keyBlock * keyBlock
        let tail = (keys + 7) / 8 * 8
        if tail < packedKeys {
            let block = kT + (tail / keyBlock) * d * keyBlock
            for x in 0..<d { (block + x * keyBlock + tail % keyBlock).update(repeating: 0, count: packedKeys - tail) }
        }
    }

    /// Values packed contiguously: v[j·D + x] = source[j·stride + x].   // [keys, D]
    public static func packValues(_ v: UnsafePointer<Float>, stride: Int, keys: Int, dim d: Int,
                                  into dst: UnsafeMutablePointer<Float>) {
        for j in 0..<keys { (dst + j * d).update(from: v + j * stride, count: d) }
    }

    /// Attention of `rows` ≤ `queryBlock` query rows (row i at q + i·qStride) over `keys` keys given as packed
    /// Kᵀ (`packKeys`) and values (key j at v + j·vStride, `packValues` for speed); row i written at out + i·outStride.
    public static func run(q: UnsafePointer<Float>, qStride: Int, rows: Int,
                           kT: UnsafePointer<Float>, v: UnsafePointer<Float>, vStride: Int,
                           keys tk: Int, dim d: Int, scale: Float, masks: UnsafePointer<RowMask>,
                           out: UnsafeMutablePointer<Float>, outStride: Int, scratch: Scratch) {
        let s = scratch.scores, o = scratch.context
        let m = scratch.stats, l = m + queryBlock, c = l + queryBlock
        var end = 0
        for i in 0..<rows {
            m[i] = -.infinity
            l[i] = 0
            end = max(end, min(masks[i].limit, tk))
        }
        o.update(repeating: 0, count: rows * d)
        let wide = CPU.avx512Active
        var kb = 0
        while kb < end {
            let n = min(keyBlock, end - kb)
            if wide {
                scoreTilesAVX512(q: q, qStride: qStride, rows: rows, kT: kT + kb * d, dim: d, scale: scale, out: s,
                                 scratch: scratch)
            } else {
                scoreTiles(q: q, qStride: qStride, rows: rows, kT: kT + kb * d, keys: n, dim: d, scale: scale, out: s)
            }
            for i in 0..<rows {
                c[i] = softmaxStep(s + i * keyBlock, keys: n, first: kb, total: tk, mask: masks[i],
                                   max: &m[i], sum: &l[i])
            }
            if wide {
                accumulateAVX512(p: s, rows: rows, keys: n, v: v + kb * vStride, vStride: vStride, dim: d, factors: c,
                                 o: o, scratch: scratch)
            } else {
                accumulate(p: s, rows: rows, keys: n, v: v + kb * vStride, vStride: vStride, dim: d, factors: c, o: o)
            }
            kb += keyBlock
        }
        for i in 0..<rows {
            let dst = out + i * outStride
            if l[i] == 0 {
                // No visible key: uniform attention over every key.
                let u = 1 / Float(tk)
                for x in 0..<d {
                    var acc: Float = 0
                    for j in 0..<tk { acc = acc.addingProduct(u, v[j * vStride + x]) }
                    dst[x] = acc
                }
            } else {
                let inv = 1 / l[i]
                let src = o + i * d
                for x in 0..<d { dst[x] = src[x] * inv }
            }
        }
    }

    // MARK: - Block steps

    /// out[i, j] = scale · q_i · kT[:, j] for j < roundUp(keys, 16), from one packed Kᵀ block [D, keyBlock];
    /// rows `keyBlock` apart.
    @inline(__always)
    static func scoreTiles(q: UnsafePointer<Float>, qStride: Int, rows: Int, kT: UnsafePointer<Float>,
                           keys n: Int, dim d: Int, scale: Float, out: UnsafeMutablePointer<Float>) {
        let ldk = keyBlock
        let sv = splat(scale)
        var j = 0
        while j < n {
            var i = 0
            // Six rows × 16 keys: twelve accumulators hide the FMA latency.
            while i + 6 <= rows {
                let q0 = q + i * qStride, q1 = q0 + qStride, q2 = q1 + qStride, q3 = q2 + qStride
                let q4 = q3 + qStride, q5 = q4 + qStride
                var a00 = F8(), a01 = F8(), a10 = F8(), a11 = F8(), a20 = F8(), a21 = F8()
                var a30 = F8(), a31 = F8(), a40 = F8(), a41 = F8(), a50 = F8(), a51 = F8()
                var kp = kT + j
                for x in 0..<d {
                    let k0 = UnsafeRawPointer(kp).loadUnaligned(as: F8.self)
                    let k1 = UnsafeRawPointer(kp + 8).loadUnaligned(as: F8.self)
                    var b = splat(q0[x])
                    a00 = a00.addingProduct(b, k0); a01 = a01.addingProduct(b, k1)
                    b = splat(q1[x])
                    a10 = a10.addingProduct(b, k0); a11 = a11.addingProduct(b, k1)
                    b = splat(q2[x])
                    a20 = a20.addingProduct(b, k0); a21 = a21.addingProduct(b, k1)
                    b = splat(q3[x])
                    a30 = a30.addingProduct(b, k0); a31 = a31.addingProduct(b, k1)
                    b = splat(q4[x])
                    a40 = a40.addingProduct(b, k0); a41 = a41.addingProduct(b, k1)
                    b = splat(q5[x])
                    a50 = a50.addingProduct(b, k0); a51 = a51.addingProduct(b, k1)
                    kp += ldk
                }
                let dst = out + i * keyBlock + j
                store(a00 * sv, dst); store(a01 * sv, dst + 8)
                store(a10 * sv, dst + keyBlock); store(a11 * sv, dst + keyBlock + 8)
                store(a20 * sv, dst + 2 * keyBlock); store(a21 * sv, dst + 2 * keyBlock + 8)
                store(a30 * sv, dst + 3 * keyBlock); store(a31 * sv, dst + 3 * keyBlock + 8)
                store(a40 * sv, dst + 4 * keyBlock); store(a41 * sv, dst + 4 * keyBlock + 8)
                store(a50 * sv, dst + 5 * keyBlock); store(a51 * sv, dst + 5 * keyBlock + 8)
                i += 6
            }
            while i + 4 <= rows {
                let q0 = q + i * qStride, q1 = q0 + qStride, q2 = q1 + qStride, q3 = q2 + qStride
                var a00 = F8(), a01 = F8(), a10 = F8(), a11 = F8(), a20 = F8(), a21 = F8(), a30 = F8(), a31 = F8()
                var kp = kT + j
                for x in 0..<d {
                    let k0 = UnsafeRawPointer(kp).loadUnaligned(as: F8.self)
                    let k1 = UnsafeRawPointer(kp + 8).loadUnaligned(as: F8.self)
                    let b0 = splat(q0[x]), b1 = splat(q1[x]), b2 = splat(q2[x]), b3 = splat(q3[x])
                    a00 = a00.addingProduct(b0, k0); a01 = a01.addingProduct(b0, k1)
                    a10 = a10.addingProduct(b1, k0); a11 = a11.addingProduct(b1, k1)
                    a20 = a20.addingProduct(b2, k0); a21 = a21.addingProduct(b2, k1)
                    a30 = a30.addingProduct(b3, k0); a31 = a31.addingProduct(b3, k1)
                    kp += ldk
                }
                let dst = out + i * keyBlock + j
                store(a00 * sv, dst); store(a01 * sv, dst + 8)
                store(a10 * sv, dst + keyBlock); store(a11 * sv, dst + keyBlock + 8)
                store(a20 * sv, dst + 2 * keyBlock); store(a21 * sv, dst + 2 * keyBlock + 8)
                store(a30 * sv, dst + 3 * keyBlock); store(a31 * sv, dst + 3 * keyBlock + 8)
                i += 4
            }
            while i < rows {
                let q0 = q + i * qStride
                var a00 = F8(), a01 = F8()
                var kp = kT + j
                for x in 0..<d {
                    let b0 = splat(q0[x])
                    a00 = a00.addingProduct(b0, UnsafeRawPointer(kp).loadUnaligned(as: F8.self))
                    a01 = a01.addingProduct(b0, UnsafeRawPointer(kp + 8).loadUnaligned(as: F8.self))
                    kp += ldk
                }
                let dst = out + i * keyBlock + j
                store(a00 * sv, dst); store(a01 * sv, dst + 8)
                i += 1
            }
            j += 16
        }
    }

    /// `scoreTiles` on the AVX-512 tile (all 64 columns of the block; same bits). A short last tile repeats its
    /// last row and writes the copies to the spare row.
    static func scoreTilesAVX512(q: UnsafePointer<Float>, qStride: Int, rows: Int, kT: UnsafePointer<Float>,
                                 dim d: Int, scale: Float, out: UnsafeMutablePointer<Float>, scratch: Scratch) {
        var i = 0
        while i < rows {
            for r in 0..<6 {
                let real = i + r < rows
                scratch.inputs[r] = q + (real ? i + r : rows - 1) * qStride
                scratch.outputs[r] = real ? out + (i + r) * keyBlock : scratch.spare
            }
            avx512AttentionScores(q: scratch.inputs, kT: kT, dim: d, scale: scale, out: scratch.outputs)
            i += 6
        }
    }

    /// `accumulate` on the AVX-512 tile for the columns below a multiple of 16, the AVX2 tail for the rest
    /// (same bits).
    static func accumulateAVX512(p: UnsafePointer<Float>, rows: Int, keys n: Int, v: UnsafePointer<Float>,
                                 vStride: Int, dim d: Int, factors: UnsafePointer<Float>,
                                 o: UnsafeMutablePointer<Float>, scratch: Scratch) {
        let wide = d / 16 * 16
        if wide > 0 {
            var i = 0
            while i < rows {
                for r in 0..<6 {
                    let real = i + r < rows
                    scratch.inputs[r] = p + (real ? i + r : rows - 1) * keyBlock
                    scratch.outputs[r] = real ? o + (i + r) * d : scratch.spare
                    scratch.factors[r] = real ? factors[i + r] : 1
                }
                avx512AttentionValues(p: scratch.inputs, keys: n, v: v, vStride: vStride, columns: wide,
                                      factors: scratch.factors, o: scratch.outputs)
                i += 6
            }
        }
        if wide < d {
            for r in 0..<rows {
                accumulateTail(p: p + r * keyBlock, keys: n, v: v, vStride: vStride, from: wide, dim: d,
                               factor: factors[r], o: o + r * d)
            }
        }
    }

    /// One row of one key block: masks the scores, updates the running max and sum, turns the scores into
    /// e^(s − max) (0 for masked keys, up to `keys`) and returns the factor that rescales the earlier sum.
    @inline(__always)
    static func softmaxStep(_ row: UnsafeMutablePointer<Float>, keys n: Int, first kb: Int, total tk: Int,
                            mask: RowMask, max m: inout Float, sum l: inout Float) -> Float {
        let valid = Swift.min(Swift.max(Swift.min(mask.limit, tk) - kb, 0), n)
        if valid == 0 {
            row.update(repeating: 0, count: n)
            return 1
        }
        var vm = F8(repeating: -.infinity)
        var j = 0
        while j + 8 <= valid {
            var x = load(row + j)
            if let bias = mask.bias { x += load(bias + kb + j) }
            store(x, row + j)
            vm = vmax(vm, x)
            j += 8
        }
        if j < valid {
            // The tail vector is padded with −∞, so each key keeps lane (index mod 8) whatever follows it.
            var x = F8(repeating: -.infinity)
            for t in 0..<(valid - j) { x[t] = row[j + t] + (mask.bias?[kb + j + t] ?? 0) }
            store(x, row + j)
            vm = vmax(vm, x)
            j += 8
        }
        let mNew = Swift.max(m, hmax(vm))
        if mNew == -.infinity {
            row.update(repeating: 0, count: n)
            return 1
        }
        let factor = vexp(splat(m - mNew))[0]
        let mv = splat(mNew)
        var vs = F8()
        var t = 0
        while t < j {
            let e = vexp(load(row + t) - mv)
            store(e, row + t)
            vs += e
            t += 8
        }
        if j < n { (row + j).update(repeating: 0, count: n - j) }
        m = mNew
        l = l * factor + hsum(vs)
        return factor
    }

    /// o[i, :] = o[i, :]·factor[i] + Σ_{j < keys} p[i, j]·v[j, :] (p rows `keyBlock` apart, o rows D apart).
    @inline(__always)
    static func accumulate(p: UnsafePointer<Float>, rows: Int, keys n: Int, v: UnsafePointer<Float>, vStride: Int,
                           dim d: Int, factors: UnsafePointer<Float>, o: UnsafeMutablePointer<Float>) {
        var i = 0
        // Six rows × 16 columns: twelve accumulators hide the FMA latency.
        while i + 6 <= rows {
            let p0 = p + i * keyBlock, p1 = p0 + keyBlock, p2 = p1 + keyBlock, p3 = p2 + keyBlock
            let p4 = p3 + keyBlock, p5 = p4 + keyBlock
            let o0 = o + i * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d, o4 = o3 + d, o5 = o4 + d
            let c0 = splat(factors[i]), c1 = splat(factors[i + 1]), c2 = splat(factors[i + 2])
            let c3 = splat(factors[i + 3]), c4 = splat(factors[i + 4]), c5 = splat(factors[i + 5])
            var x = 0
            while x + 16 <= d {
                var a00 = load(o0 + x) * c0, a01 = load(o0 + x + 8) * c0
                var a10 = load(o1 + x) * c1, a11 = load(o1 + x + 8) * c1
                var a20 = load(o2 + x) * c2, a21 = load(o2 + x + 8) * c2
                var a30 = load(o3 + x) * c3, a31 = load(o3 + x + 8) * c3
                var a40 = load(o4 + x) * c4, a41 = load(o4 + x + 8) * c4
                var a50 = load(o5 + x) * c5, a51 = load(o5 + x + 8) * c5
                var vp = v + x
                for j in 0..<n {
                    let v0 = load(vp), v1 = load(vp + 8)
                    var b = splat(p0[j])
                    a00 = a00.addingProduct(b, v0); a01 = a01.addingProduct(b, v1)
                    b = splat(p1[j])
                    a10 = a10.addingProduct(b, v0); a11 = a11.addingProduct(b, v1)
                    b = splat(p2[j])
                    a20 = a20.addingProduct(b, v0); a21 = a21.addingProduct(b, v1)
                    b = splat(p3[j])
                    a30 = a30.addingProduct(b, v0); a31 = a31.addingProduct(b, v1)
                    b = splat(p4[j])
                    a40 = a40.addingProduct(b, v0); a41 = a41.addingProduct(b, v1)
                    b = splat(p5[j])
                    a50 = a50.addingProduct(b, v0); a51 = a51.addingProduct(b, v1)
                    vp += vStride
                }
                store(a00, o0 + x); store(a01, o0 + x + 8)
                store(a10, o1 + x); store(a11, o1 + x + 8)
                store(a20, o2 + x); store(a21, o2 + x + 8)
                store(a30, o3 + x); store(a31, o3 + x + 8)
                store(a40, o4 + x); store(a41, o4 + x + 8)
                store(a50, o5 + x); store(a51, o5 + x + 8)
                x += 16
            }
            for r in 0..<6 { accumulateTail(p: p + (i + r) * keyBlock, keys: n, v: v, vStride: vStride, from: x,
                                            dim: d, factor: factors[i + r], o: o + (i + r) * d) }
            i += 6
        }
        while i + 4 <= rows {
            let p0 = p + i * keyBlock, p1 = p0 + keyBlock, p2 = p1 + keyBlock, p3 = p2 + keyBlock
            let o0 = o + i * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d
            let c0 = splat(factors[i]), c1 = splat(factors[i + 1]), c2 = splat(factors[i + 2]), c3 = splat(factors[i + 3])
            var x = 0
            while x + 16 <= d {
                var a00 = load(o0 + x) * c0, a01 = load(o0 + x + 8) * c0
                var a10 = load(o1 + x) * c1, a11 = load(o1 + x + 8) * c1
                var a20 = load(o2 + x) * c2, a21 = load(o2 + x + 8) * c2
                var a30 = load(o3 + x) * c3, a31 = load(o3 + x + 8) * c3
                var vp = v + x
                for j in 0..<n {
                    let v0 = load(vp), v1 = load(vp + 8)
                    let b0 = splat(p0[j]), b1 = splat(p1[j]), b2 = splat(p2[j]), b3 = splat(p3[j])
                    a00 = a00.addingProduct(b0, v0); a01 = a01.addingProduct(b0, v1)
                    a10 = a10.addingProduct(b1, v0); a11 = a11.addingProduct(b1, v1)
                    a20 = a20.addingProduct(b2, v0); a21 = a21.addingProduct(b2, v1)
                    a30 = a30.addingProduct(b3, v0); a31 = a31.addingProduct(b3, v1)
                    vp += vStride
                }
                store(a00, o0 + x); store(a01, o0 + x + 8)
                store(a10, o1 + x); store(a11, o1 + x + 8)
                store(a20, o2 + x); store(a21, o2 + x + 8)
                store(a30, o3 + x); store(a31, o3 + x + 8)
                x += 16
            }
            for r in 0..<4 { accumulateTail(p: p + (i + r) * keyBlock, keys: n, v: v, vStride: vStride, from: x,
                                            dim: d, factor: factors[i + r], o: o + (i + r) * d) }
            i += 4
        }
        while i < rows {
            let pr = p + i * keyBlock, or = o + i * d
            let c0 = splat(factors[i])
            var x = 0
            while x + 16 <= d {
                var a0 = load(or + x) * c0, a1 = load(or + x + 8) * c0
                var vp = v + x
                for j in 0..<n {
                    let b = splat(pr[j])
                    a0 = a0.addingProduct(b, load(vp)); a1 = a1.addingProduct(b, load(vp + 8))
                    vp += vStride
                }
                store(a0, or + x); store(a1, or + x + 8)
                x += 16
            }
            accumulateTail(p: pr, keys: n, v: v, vStride: vStride, from: x, dim: d, factor: factors[i], o: or)
            i += 1
        }
    }

    /// `accumulate` for one row and the columns from `x` on (fewer than 16): one vector of 8, then scalars,
    /// with the same operation order per element as the wide path.
    @inline(__always)
    static func accumulateTail(p: UnsafePointer<Float>, keys n: Int, v: UnsafePointer<Float>, vStride: Int,
                               from x0: Int, dim d: Int, factor: Float, o: UnsafeMutablePointer<Float>) {
        var x = x0
        if x + 8 <= d {
            var a = load(o + x) * splat(factor)
            var vp = v + x
            for j in 0..<n { a = a.addingProduct(splat(p[j]), load(vp)); vp += vStride }
            store(a, o + x)
            x += 8
        }
        while x < d {
            var a = o[x] * factor
            for j in 0..<n { a = a.addingProduct(p[j], v[j * vStride + x]) }
            o[x] = a
            x += 1
        }
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> F8 { UnsafeRawPointer(p).loadUnaligned(as: F8.self) }
    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> F8 { UnsafeRawPointer(p).loadUnaligned(as: F8.self) }
    @inline(__always) static func store(_ x: F8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: F8.self)
    }
}
