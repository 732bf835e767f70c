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

    /// `scoreTiles` on the AVX-512 tile (all 64 columns of the block; same bits). A short last tile repeats its
    /// last row and writes the copies to the spare row.
    static func scoreTilesAVX512(q: UnsafePointer<Float>, qStride: Int, rows: Int, kT: UnsafePointer<Float>,
                                 dim d: Int, scale: Float, out: UnsafeMutablePointer<Float>, scratch: Scratch) {
        scratch.forEachTile(rows: rows, inputs: q, inputStride: qStride, outputs: out, outputStride: keyBlock) { _ in
            avx512AttentionScores(q: scratch.inputs, kT: kT, dim: d, scale: scale, out: scratch.outputs)
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
            accumulateRows(Six.self, p: p + i * keyBlock, keys: n, v: v, vStride: vStride, dim: d,
                           factors: factors + i, o: o + i * d)
            i += 6
        }
        while i + 4 <= rows {
            accumulateRows(Four.self, p: p + i * keyBlock, keys: n, v: v, vStride: vStride, dim: d,
                           factors: factors + i, o: o + i * d)
            i += 4
        }
        while i < rows {
            accumulateRows(One.self, p: p + i * keyBlock, keys: n, v: v, vStride: vStride, dim: d,
                           factors: factors + i, o: o + i * d)
            i += 1
        }
        if d % 16 != 0 {
            accumulateNarrow(p: p, rows: rows, keys: n, v: v, vStride: vStride, from: d / 16 * 16, dim: d,
                             factors: factors, o: o)
        }
    }

    /// `accumulate` for the columns from `x0` on (fewer than 16, e.g. 8 of ESM-2 35M's head size 24): the 8-column
    /// part six rows at a time (one chain per row each: a single row's chain ran at an eighth of the FMA
    /// throughput and cost more than the 16-column tiles), the rest per row in scalars. Same bits as
    /// `accumulateTail` row by row.
    @inline(__always)
    static func accumulateNarrow(p: UnsafePointer<Float>, rows: Int, keys n: Int, v: UnsafePointer<Float>,
                                 vStride: Int, from x0: Int, dim d: Int, factors: UnsafePointer<Float>,
                                 o: UnsafeMutablePointer<Float>) {
        var x = x0
        if x + 8 <= d {
            var i = 0
            while i + 6 <= rows {
                accumulateRows8(Six.self, p: p + i * keyBlock, keys: n, v: v + x, vStride: vStride, factors: factors + i,
                                o: o + i * d + x, oStride: d)
                i += 6
            }
            while i + 3 <= rows {
                accumulateRows8(Three.self, p: p + i * keyBlock, keys: n, v: v + x, vStride: vStride,
                                factors: factors + i, o: o + i * d + x, oStride: d)
                i += 3
            }
            while i < rows {
                accumulateRows8(One.self, p: p + i * keyBlock, keys: n, v: v + x, vStride: vStride, factors: factors + i,
                                o: o + i * d + x, oStride: d)
                i += 1
            }
            x += 8
        }
        if x < d {
            for r in 0..<rows {
                accumulateTail(p: p + r * keyBlock, keys: n, v: v, vStride: vStride, from: x, dim: d,
                               factor: factors[r], o: o + r * d)
            }
        }
    }

    /// R ∈ 1...6 rows × the 8 columns at `o` (rows `oStride` apart): o = o·factor, then += p[j]·v[j] for j in
    /// order, the operations of `accumulateTail`'s vector part.
    @inline(__always)
    static func accumulateRows8<R: StaticCount>(_: R.Type, p: UnsafePointer<Float>, keys n: Int,
                                                v: UnsafePointer<Float>, vStride: Int, factors: UnsafePointer<Float>,
                                                o: UnsafeMutablePointer<Float>, oStride: Int) {
        let r = R.value
        @inline(__always) func start(_ i: Int) -> F8 { i < r ? load(o + i * oStride) * splat(factors[i]) : F8() }
        var a0 = start(0), a1 = start(1), a2 = start(2), a3 = start(3), a4 = start(4), a5 = start(5)
        let p1 = p + keyBlock, p2 = p1 + keyBlock, p3 = p2 + keyBlock, p4 = p3 + keyBlock, p5 = p4 + keyBlock
        var vp = v
        for j in 0..<n {
            let b = load(vp)
            a0 = a0.addingProduct(splat(p[j]), b)
            if r > 1 { a1 = a1.addingProduct(splat(p1[j]), b) }
            if r > 2 { a2 = a2.addingProduct(splat(p2[j]), b) }
            if r > 3 { a3 = a3.addingProduct(splat(p3[j]), b) }
            if r > 4 { a4 = a4.addingProduct(splat(p4[j]), b) }
            if r > 5 { a5 = a5.addingProduct(splat(p5[j]), b) }
            vp += vStride
        }
        store(a0, o)
        if r > 1 { store(a1, o + oStride) }
        if r > 2 { store(a2, o + 2 * oStride) }
        if r > 3 { store(a3, o + 3 * oStride) }
        if r > 4 { store(a4, o + 4 * oStride) }
        if r > 5 { store(a5, o + 5 * oStride) }
    }

    /// `accumulate` for R ∈ 1...6 rows at once (R fixed at compile time, so each count is its own loop
    /// without dead FMAs): per row two accumulators of 8 columns, each element one sequential FMA chain.
    @inline(__always)
    static func accumulateRows<R: StaticCount>(_: R.Type, p: UnsafePointer<Float>, keys n: Int,
                                               v: UnsafePointer<Float>, vStride: Int, dim d: Int,
                                               factors: UnsafePointer<Float>, o: UnsafeMutablePointer<Float>) {
        var x = 0
        while x + 16 <= d {
            var tile = Tile16<R>()
            tile.load(o + x, stride: d, factors: factors)
            tile.addProducts(a: p, aStride: keyBlock, b: v + x, bStride: vStride, count: n)
            tile.store(o + x, stride: d)
            x += 16
        }
    }

    /// R ∈ 1...6 rows × 16 columns of a block step (R fixed at compile time, so each count is its own loop
    /// without dead FMAs; the unused rows are never touched): a start, then Σ_t a[i, t]·b[t, :] for t in order.
    struct Tile16<R: StaticCount> {
        var a0 = Row16(), a1 = Row16(), a2 = Row16(), a3 = Row16(), a4 = Row16(), a5 = Row16()

        @inline(__always) init() {}

        /// Starts row i from the 16 outputs at o + i·stride scaled by factors[i] (instead of 0).
        @inline(__always)
        mutating func load(_ o: UnsafeMutablePointer<Float>, stride: Int, factors: UnsafePointer<Float>) {
            let r = R.value
            a0.load(o, factors[0])
            if r > 1 { a1.load(o + stride, factors[1]) }
            if r > 2 { a2.load(o + 2 * stride, factors[2]) }
            if r > 3 { a3.load(o + 3 * stride, factors[3]) }
            if r > 4 { a4.load(o + 4 * stride, factors[4]) }
            if r > 5 { a5.load(o + 5 * stride, factors[5]) }
        }

        /// Row i += a[i·aStride + t] · b[t·bStride ..< t·bStride + 16] for t = 0 ..< count in turn.
        @inline(__always)
        mutating func addProducts(a: UnsafePointer<Float>, aStride: Int, b: UnsafePointer<Float>, bStride: Int,
                                  count: Int) {
            let r = R.value
            let x1 = a + aStride, x2 = x1 + aStride, x3 = x2 + aStride, x4 = x3 + aStride, x5 = x4 + aStride
            var bp = b
            for t in 0..<count {
                let b0 = FlashAttention.load(bp), b1 = FlashAttention.load(bp + 8)
                a0.add(a[t], b0, b1)
                if r > 1 { a1.add(x1[t], b0, b1) }
                if r > 2 { a2.add(x2[t], b0, b1) }
                if r > 3 { a3.add(x3[t], b0, b1) }
                if r > 4 { a4.add(x4[t], b0, b1) }
                if r > 5 { a5.add(x5[t], b0, b1) }
                bp += bStride
            }
        }

        /// Row i (times `scale` when given) to o + i·stride.
        @inline(__always)
        func store(_ o: UnsafeMutablePointer<Float>, stride: Int, scale: F8? = nil) {
            let r = R.value
            a0.store(o, scale)
            if r > 1 { a1.store(o + stride, scale) }
            if r > 2 { a2.store(o + 2 * stride, scale) }
            if r > 3 { a3.store(o + 3 * stride, scale) }
            if r > 4 { a4.store(o + 4 * stride, scale) }
            if r > 5 { a5.store(o + 5 * stride, scale) }
        }
    }

    /// One row of a `Tile16`.
    struct Row16 {
        var lo = F8(), hi = F8()

        @inline(__always) init() {}

        /// Starts from the 16 outputs at `o` scaled by `factor`.
        @inline(__always) mutating func load(_ o: UnsafeMutablePointer<Float>, _ factor: Float) {
            let c = splat(factor)
            lo = FlashAttention.load(o) * c
            hi = FlashAttention.load(o + 8) * c
        }

        /// One FMA per lane: += p · [v0, v1].
        @inline(__always) mutating func add(_ p: Float, _ v0: F8, _ v1: F8) {
            let b = splat(p)
            lo = lo.addingProduct(b, v0)
            hi = hi.addingProduct(b, v1)
        }

        @inline(__always) func store(_ o: UnsafeMutablePointer<Float>, _ scale: F8?) {
            if let scale {
                FlashAttention.store(lo * scale, o)
                FlashAttention.store(hi * scale, o + 8)
            } else {
                FlashAttention.store(lo, o)
                FlashAttention.store(hi, o + 8)
            }
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
