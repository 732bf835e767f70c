import Foundation
import TensorsAVX512
#if arch(x86_64)
import CKernelsAVX512
#endif

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
        let tileStats: UnsafeMutablePointer<Float>                      // [3, 6] max, sum, factor of a tile
        let tileDone: UnsafeMutablePointer<Bool>                        // [tiles] softmax step done in the tile
        /// Six-row tiles in `queryBlock` rows.
        static let tiles = (queryBlock + 5) / 6
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
            tileStats = .allocate(capacity: 18)
            tileDone = .allocate(capacity: Self.tiles)
            tileDone.initialize(repeating: false, count: Self.tiles)
        }

        deinit {
            scores.deallocate()
            context.deallocate()
            stats.deallocate()
            spare.deallocate()
            inputs.deallocate()
            outputs.deallocate()
            factors.deallocate()
            tileStats.deallocate()
            tileDone.deallocate()
        }

        /// Calls `body(i)` for the six-row AVX-512 tiles i = 0, 6, 12, … of `rows` rows, with `inputs` and
        /// `outputs` pointing at rows i..<i+6; a short last tile repeats the last input row and writes its copies
        /// to `spare`.
        @inline(__always)
        func forEachTile(rows: Int, inputs from: UnsafePointer<Float>, inputStride: Int,
                         outputs to: UnsafeMutablePointer<Float>, outputStride: Int, _ body: (Int) -> Void) {
            var i = 0
            while i < rows {
                for r in 0..<6 {
                    let real = i + r < rows
                    inputs[r] = from + (real ? i + r : rows - 1) * inputStride
                    outputs[r] = real ? to + (i + r) * outputStride : spare
                }
                body(i)
                i += 6
            }
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
            // Six-row tiles whose softmax step the AVX-512 open-block kernel has done; the rest go row by row.
            let done = scratch.tileDone
            if wide {
                openBlockTilesAVX512(q: q, qStride: qStride, rows: rows, kT: kT + kb * d, keys: n, first: kb,
                                     total: tk, dim: d, scale: scale, masks: masks, max: m, sum: l, factors: c,
                                     out: s, scratch: scratch)
            } else {
                scoreTiles(q: q, qStride: qStride, rows: rows, kT: kT + kb * d, keys: n, dim: d, scale: scale, out: s)
                done.update(repeating: false, count: Scratch.tiles)
            }
            var t0 = 0
            while t0 < rows {
                let t1 = min(t0 + 6, rows)
                if !done[t0 / 6] {
                    var i = t0
                    while i + 2 <= t1 {
                        softmaxStepPair(s + i * keyBlock, keys: n, first: kb, total: tk, masks: masks + i, max: m + i,
                                        sum: l + i, factors: c + i)
                        i += 2
                    }
                    if i < t1 {
                        c[i] = softmaxStep(s + i * keyBlock, keys: n, first: kb, total: tk, mask: masks[i],
                                           max: &m[i], sum: &l[i])
                    }
                }
                t0 = t1
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
        var j = 0
        while j < n {
            var i = 0
            // Six rows × 16 keys: twelve accumulators hide the FMA latency.
            while i + 6 <= rows {
                scoreRows(Six.self, q: q + i * qStride, qStride: qStride, kT: kT + j, dim: d, scale: scale,
                          out: out + i * keyBlock + j)
                i += 6
            }
            while i + 4 <= rows {
                scoreRows(Four.self, q: q + i * qStride, qStride: qStride, kT: kT + j, dim: d, scale: scale,
                          out: out + i * keyBlock + j)
                i += 4
            }
            while i < rows {
                scoreRows(One.self, q: q + i * qStride, qStride: qStride, kT: kT + j, dim: d, scale: scale,
                          out: out + i * keyBlock + j)
                i += 1
            }
            j += 16
        }
    }

    /// `scoreTiles` for R ∈ 1...6 rows and the 16 keys at `kT` (R fixed at compile time, as in `accumulateRows`).
    @inline(__always)
    static func scoreRows<R: StaticCount>(_: R.Type, q: UnsafePointer<Float>, qStride: Int, kT: UnsafePointer<Float>,
                                          dim d: Int, scale: Float, out: UnsafeMutablePointer<Float>) {
        var tile = Tile16<R>()
        tile.addProducts(a: q, aStride: qStride, b: kT, bStride: keyBlock, count: d)
        tile.store(out, stride: keyBlock, scale: splat(scale))
    }

    /// The scores of a key block on the AVX-512 tiles and, for each tile whose rows all see the whole block with
    /// no bias, the softmax step too (the C kernel `trellis_attention_open_block`, same bits as
    /// `softmaxStepPair`): `scratch.tileDone[t]` says which; the other tiles' scores are in `out`.
    static func openBlockTilesAVX512(q: UnsafePointer<Float>, qStride: Int, rows: Int, kT: UnsafePointer<Float>,
                                     keys n: Int, first kb: Int, total tk: Int, dim d: Int, scale: Float,
                                     masks: UnsafePointer<RowMask>, max m: UnsafeMutablePointer<Float>,
                                     sum l: UnsafeMutablePointer<Float>, factors c: UnsafeMutablePointer<Float>,
                                     out: UnsafeMutablePointer<Float>, scratch: Scratch) {
        let tm = scratch.tileStats, tl = tm + 6, tc = tm + 12
        scratch.forEachTile(rows: rows, inputs: q, inputStride: qStride, outputs: out, outputStride: keyBlock) { i in
            scratch.tileDone[i / 6] = false
            var open = n == keyBlock
            for r in i..<Swift.min(i + 6, rows) where masks[r].bias != nil || Swift.min(masks[r].limit, tk) - kb < n {
                open = false
            }
            guard open else {
                avx512AttentionScores(q: scratch.inputs, kT: kT, dim: d, scale: scale, out: scratch.outputs)
                return
            }
            for r in 0..<6 {
                let row = Swift.min(i + r, rows - 1)
                tm[r] = m[row]; tl[r] = l[row]
            }
            #if arch(x86_64)
            // C sees the row pointer arrays as arrays of optional pointers (same layout).
            let qRows = UnsafeRawPointer(scratch.inputs).assumingMemoryBound(to: UnsafePointer<Float>?.self)
            let pRows = UnsafeRawPointer(scratch.outputs).assumingMemoryBound(to: UnsafeMutablePointer<Float>?.self)
            guard trellis_attention_open_block(qRows, kT, d, scale, tm, tl, tc, pRows) == 1 else { return }
            #else
            preconditionFailure("the AVX-512 tiles run only on x86-64")
            #endif
            for r in 0..<Swift.min(6, rows - i) {
                m[i + r] = tm[r]; l[i + r] = tl[r]; c[i + r] = tc[r]
            }
            scratch.tileDone[i / 6] = true
        }
    }

    /// `accumulate` on the AVX-512 tile for the columns below a multiple of 16, the AVX2 tail for the rest
    /// (same bits).
    static func accumulateAVX512(p: UnsafePointer<Float>, rows: Int, keys n: Int, v: UnsafePointer<Float>,
                                 vStride: Int, dim d: Int, factors: UnsafePointer<Float>,
                                 o: UnsafeMutablePointer<Float>, scratch: Scratch) {
        let wide = d / 16 * 16
        if wide > 0 {
            scratch.forEachTile(rows: rows, inputs: p, inputStride: keyBlock, outputs: o, outputStride: d) { i in
                for r in 0..<6 { scratch.factors[r] = i + r < rows ? factors[i + r] : 1 }
                avx512AttentionValues(p: scratch.inputs, keys: n, v: v, vStride: vStride, columns: wide,
                                      factors: scratch.factors, o: scratch.outputs)
            }
        }
        if wide < d {
            accumulateNarrow(p: p, rows: rows, keys: n, v: v, vStride: vStride, from: wide, dim: d, factors: factors,
                             o: o)
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
        let factor = vexpNonPositive(splat(m - mNew))[0]
        let mv = splat(mNew)
        var vs = F8()
        var t = 0
        while t < j {
            let e = vexpNonPositive(load(row + t) - mv)
            store(e, row + t)
            vs += e
            t += 8
        }
        if j < n { (row + j).update(repeating: 0, count: n - j) }
        m = mNew
        l = l * factor + hsum(vs)
        return factor
    }

    /// `softmaxStep` for two rows (`row` and the one `keyBlock` after it), with the same bits: when every key of
    /// the block is visible to both, no bias applies and both have a finite maximum, their operations run
    /// interleaved (one row's max → exponentials → sum chain is ~100 cycles of latency for 64 keys, which
    /// a second independent row fills); otherwise row by row.
    @inline(__always)
    static func softmaxStepPair(_ row: UnsafeMutablePointer<Float>, keys n: Int, first kb: Int, total tk: Int,
                                masks: UnsafePointer<RowMask>, max m: UnsafeMutablePointer<Float>,
                                sum l: UnsafeMutablePointer<Float>, factors c: UnsafeMutablePointer<Float>) {
        let row1 = row + keyBlock
        let open = n % 8 == 0 && masks[0].bias == nil && masks[1].bias == nil
            && Swift.min(masks[0].limit, tk) - kb >= n && Swift.min(masks[1].limit, tk) - kb >= n
        var m0 = -Float.infinity, m1 = -Float.infinity
        if open {
            var v0 = F8(repeating: -.infinity), v1 = F8(repeating: -.infinity)
            var j = 0
            while j < n {
                v0 = vmax(v0, load(row + j))
                v1 = vmax(v1, load(row1 + j))
                j += 8
            }
            m0 = Swift.max(m[0], hmax(v0))
            m1 = Swift.max(m[1], hmax(v1))
        }
        guard open && m0 != -.infinity && m1 != -.infinity else {
            c[0] = softmaxStep(row, keys: n, first: kb, total: tk, mask: masks[0], max: &m[0], sum: &l[0])
            c[1] = softmaxStep(row1, keys: n, first: kb, total: tk, mask: masks[1], max: &m[1], sum: &l[1])
            return
        }
        let f = vexpNonPositive(F8(m[0] - m0, m[1] - m1, 0, 0, 0, 0, 0, 0))
        let mv0 = splat(m0), mv1 = splat(m1)
        var s0 = F8(), s1 = F8()
        var t = 0
        while t < n {
            let e0 = vexpNonPositive(load(row + t) - mv0)
            let e1 = vexpNonPositive(load(row1 + t) - mv1)
            store(e0, row + t)
            store(e1, row1 + t)
            s0 += e0
            s1 += e1
            t += 8
        }
        m[0] = m0
        m[1] = m1
        l[0] = l[0] * f[0] + hsum(s0)
        l[1] = l[1] * f[1] + hsum(s1)
        c[0] = f[0]
        c[1] = f[1]
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> F8 { UnsafeRawPointer(p).loadUnaligned(as: F8.self) }
    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> F8 { UnsafeRawPointer(p).loadUnaligned(as: F8.self) }
    @inline(__always) static func store(_ x: F8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: F8.self)
    }
}
