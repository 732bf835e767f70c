import Foundation

// The attention-times-V step of `FlashAttention` (O = O*c + P*V over one key block): 16-column tiles, the
// narrow columns of small head sizes and the scalar tail, each summing in the same per-element order.
extension FlashAttention {
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
}
