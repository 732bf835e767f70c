/// GEMM with very few rows of C (decoding, pooled vectors): packing all of B as the tile path does
/// would cost more than the product itself, so B is read in its own layout.
///
/// Batch invariance: every element of C is summed in exactly the order of the many-row path, so a row of
/// C has the same bits whether its GEMM had few rows (decoding, a 2-residue sequence alone) or many (the
/// same sequence padded into a batch). Row-major B: one sequential FMA chain per element from 0 within
/// each K block of `blockK`, each block's sum folded into C as `storeTile` does (α·acc (+ β·C) on the
/// first block, α·acc + C on later ones), several chains side by side, each SIMD lane one column of C.
/// Transposed B (rows contiguous in K: weights, attention's keys): the dot order of `dotKernel`.
func gemmFewRows(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
                 c: UnsafeMutablePointer<Float>, ldc: Int, threaded: Bool = true) {
    // Rows of op(A), `ldx` apart: A itself, or a copy when A is transposed (its rows are strided).
    var copy: UnsafeMutablePointer<Float>? = nil
    defer { copy?.deallocate() }
    var x = a, ldx = lda
    if transposeA {
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        for i in 0..<m { for p in 0..<k { rows[i * k + p] = a[p * lda + i] } }
        copy = rows
        x = UnsafePointer(rows)
        ldx = k
    }
    let out = FewRowsOutput(alpha: alpha, beta: beta)
    let unit = transposeB ? 48 : 8 * fewRowsVectors(rows: m)
    let strips = (n + unit - 1) / unit
    // Estimated ns (≈ 45 GFLOP/s on one AVX2 core); a caller already running on a worker (batched GEMM)
    // passes threaded: false. A few-row product streams B once and does nothing else, so a second thread
    // pays off from ~10 µs of work, well below the general threshold: a batch-1 768 × 768 projection is ~25 µs.
    let work = threaded ? Double(m) * Double(n) * Double(k) * 0.045 : 0
    Parallel.forEach(range: strips, costPerItem: work / Double(strips), perThread: 10_000) { range in
        // Scratch for the last columns of B (see `fewRowsStrip`, `fewRowsDotStrip`), on the stack.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(8 * blockK, 4 * dotBlockK) + 32) { scratch in
            let pad = scratch.baseAddress!, tile = pad + max(8 * blockK, 4 * dotBlockK)
            var j = range.lowerBound * unit
            let end = min(n, range.upperBound * unit)
            while j < end {
                let width = min(unit, end - j)
                if transposeB {
                    fewRowsDotStrip(rows: m, k: k, x: x, ldx: ldx, b: b, ldb: ldb, col: j, width: width, c: c,
                                    ldc: ldc, out: out, pad: pad, sums: tile)
                } else {
                    fewRowsStrip(rows: m, k: k, x: x, ldx: ldx, b: b, ldb: ldb, col: j, width: width, c: c, ldc: ldc,
                                 out: out, pad: pad, tile: tile)
                }
                j += width
            }
        }
    }
}

/// Columns `col ..< col + width` of C = α·x·Bᵀ (+ β·C) for transposed B (column j of op(B) is the row
/// `b + j·ldb`), all K blocks, in the dot order. Rows of x and of B are read in place; the last
/// `width` mod 4 columns come from a zero-padded copy of their rows (`pad`, 4 × `dotBlockK`).
/// `sums` holds 12 floats.
func fewRowsDotStrip(rows m: Int, k: Int, x: UnsafePointer<Float>, ldx: Int, b: UnsafePointer<Float>, ldb: Int,
                     col: Int, width: Int, c: UnsafeMutablePointer<Float>, ldc: Int, out: FewRowsOutput,
                     pad: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>) {
    var k0 = 0
    while k0 < k {
        let kc = min(dotBlockK, k - k0), chunks = kc / 8, tail = kc % 8, first = k0 == 0
        var j = 0
        while j < width {
            let cols = min(4, width - j)
            var bp = b + (col + j) * ldb + k0, bCol = ldb
            if cols < 4 {
                pad.initialize(repeating: 0, count: 4 * kc)
                for l in 0..<cols { (pad + l * kc).update(from: bp + l * ldb, count: kc) }
                bp = UnsafePointer(pad)
                bCol = kc
            }
            if m == 1 {
                // One row: up to three groups of four columns share each load of x. Rows of B a multiple
                // of 4 KB apart all fall in one L1 set (8 ways), where twelve streams evict each other's
                // lines before their second use (K = 3072: 26 GFLOP/s against 35 with eight), so such B
                // gets two groups.
                let units = cols < 4 ? 1 : min(ldb % 1024 == 0 ? 2 : 3, (width - j) / 4)
                dotBlock(units: units, rows: false, chunks: chunks, tail: tail, a: x + k0, aRow: ldx, aChunk: 8,
                         b: bp, bCol: bCol, bChunk: 8, sums: sums)
                for g in 0..<units {
                    out.fold4(sums + 4 * g, into: c + col + j + 4 * g, count: cols, first: first)
                }
                j += units == 1 ? cols : 4 * units
                continue
            }
            // Rows in groups of up to three sharing each load of B (four as two pairs: 8 accumulators each).
            var r = 0
            while r < m {
                let units = m == 4 ? 2 : min(3, m - r)
                dotBlock(units: units, rows: true, chunks: chunks, tail: tail, a: x + r * ldx + k0, aRow: ldx,
                         aChunk: 8, b: bp, bCol: bCol, bChunk: 8, sums: sums)
                for i in 0..<units {
                    out.fold4(sums + 4 * i, into: c + (r + i) * ldc + col + j, count: cols, first: first)
                }
                r += units
            }
            j += cols
        }
        k0 += kc
    }
}

/// SIMD8 accumulators per row of C: eight chains in all (enough to cover the FMA latency), so a strip
/// is 64 columns for one row and 16 for four.
@inline(__always)
func fewRowsVectors(rows: Int) -> Int { rows == 1 ? 8 : rows == 2 ? 4 : rows == 3 ? 3 : 2 }

/// α and β of a few-row GEMM.
struct FewRowsOutput {
    var alpha: Float
    var beta: Float

    /// Folds one K block's sums `acc` into 8 columns of C at `d`, as `storeTile` does.
    @inline(__always)
    func fold(_ acc: SIMD8<Float>, into d: UnsafeMutablePointer<Float>, first: Bool) {
        let raw = UnsafeMutableRawPointer(d)
        var v = acc * alpha
        if !first {
            v = v + raw.loadUnaligned(as: SIMD8<Float>.self)
        } else if beta != 0 {
            v.addProduct(SIMD8<Float>(repeating: beta), raw.loadUnaligned(as: SIMD8<Float>.self))
        }
        raw.storeBytes(of: v, as: SIMD8<Float>.self)
    }
}

/// Columns `col ..< col + width` of C (`width` ≤ one strip), all K blocks. The last `width` mod 8
/// columns are computed from a zero-padded copy of their part of B (`pad`, 8 × `blockK`) into `tile`
/// (`[rows, 8]`, holding C's values when β ≠ 0), so nothing is read or written beyond `width`.
func fewRowsStrip(rows m: Int, k: Int, x: UnsafePointer<Float>, ldx: Int, b: UnsafePointer<Float>, ldb: Int, col: Int,
                  width: Int,
                  c: UnsafeMutablePointer<Float>, ldc: Int, out: FewRowsOutput, pad: UnsafeMutablePointer<Float>,
                  tile: UnsafeMutablePointer<Float>) {
    let full = width / 8 * 8, rest = width - full
    if rest > 0 {
        for i in 0..<m {
            for l in 0..<8 { tile[i * 8 + l] = out.beta != 0 && l < rest ? c[i * ldc + col + full + l] : 0 }
        }
    }
    var k0 = 0
    while k0 < k {
        let kc = min(blockK, k - k0)
        let first = k0 == 0
        if full > 0 {
            fewRowsBlock(rows: m, vectors: full / 8, kc: kc, x: x + k0, ldx: ldx, b: b + k0 * ldb + col, ldb: ldb,
                         d: c + col, ldd: ldc, out: out, first: first)
        }
        if rest > 0 {
            pad.initialize(repeating: 0, count: 8 * kc)
            for p in 0..<kc { (pad + p * 8).update(from: b + (k0 + p) * ldb + col + full, count: rest) }
            fewRowsBlock(rows: m, vectors: 1, kc: kc, x: x + k0, ldx: ldx, b: pad, ldb: 8, d: tile, ldd: 8,
                         out: out, first: first)
        }
        k0 += kc
    }
    if rest > 0 {
        for i in 0..<m { (c + i * ldc + col + full).update(from: tile + i * 8, count: rest) }
    }
}

/// `fewRowsChains` for `rows` ∈ 1...4 and `vectors` ∈ 1...`fewRowsVectors(rows)`.
func fewRowsBlock(rows: Int, vectors: Int, kc: Int, x: UnsafePointer<Float>, ldx: Int, b: UnsafePointer<Float>,
                  ldb: Int, d: UnsafeMutablePointer<Float>, ldd: Int, out: FewRowsOutput, first: Bool) {
    let shapes = fewRowsKernels[min(max(rows, 1), 4) - 1]
    shapes[min(max(vectors, 1), shapes.count) - 1](kc, x, ldx, b, ldb, d, ldd, out, first)
}

typealias FewRowsKernel = (_ kc: Int, _ x: UnsafePointer<Float>, _ ldx: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                           _ d: UnsafeMutablePointer<Float>, _ ldd: Int, _ out: FewRowsOutput, _ first: Bool) -> Void

/// `fewRowsChains` compiled for each tile shape the few-rows path uses: [rows - 1][vectors - 1].
private let fewRowsKernels: [[FewRowsKernel]] = [
    [chains(One.self, One.self), chains(One.self, Two.self), chains(One.self, Three.self), chains(One.self, Four.self),
     chains(One.self, Five.self), chains(One.self, Six.self), chains(One.self, Seven.self), chains(One.self, Eight.self)],
    [chains(Two.self, One.self), chains(Two.self, Two.self), chains(Two.self, Three.self), chains(Two.self, Four.self)],
    [chains(Three.self, One.self), chains(Three.self, Two.self), chains(Three.self, Three.self)],
    [chains(Four.self, One.self), chains(Four.self, Two.self)],
]

private func chains<R: StaticCount, V: StaticCount>(_: R.Type, _: V.Type) -> FewRowsKernel {
    { fewRowsChains(R.self, V.self, kc: $0, x: $1, ldx: $2, b: $3, ldb: $4, d: $5, ldd: $6, out: $7, first: $8) }
}

/// One K block of C[0..<R, 0..<8V] (rows `ldd` apart at `d`) from x `[R, kc]` (rows `ldx` apart) and
/// B `[kc, 8V]` (rows `ldb` apart): R × V accumulators of 8 columns, each a sequential FMA chain over
/// the block, then folded into C. Inlined into its closure in `fewRowsKernels`, so each entry is the kernel.
@inline(__always)
func fewRowsChains<R: StaticCount, V: StaticCount>(_: R.Type, _: V.Type, kc: Int, x: UnsafePointer<Float>, ldx: Int,
                                                   b: UnsafePointer<Float>, ldb: Int, d: UnsafeMutablePointer<Float>,
                                                   ldd: Int, out: FewRowsOutput, first: Bool) {
    let r = R.value
    var a0 = Chains8<V>(), a1 = Chains8<V>(), a2 = Chains8<V>(), a3 = Chains8<V>()
    let x0 = x, x1 = x + ldx, x2 = x + 2 * ldx, x3 = x + 3 * ldx
    var bp = UnsafeRawPointer(b)
    let step = ldb * 4
    for p in 0..<kc {
        let w = Chains8<V>(loading: bp)
        a0.add(x0[p], w)
        if r > 1 { a1.add(x1[p], w) }
        if r > 2 { a2.add(x2[p], w) }
        if r > 3 { a3.add(x3[p], w) }
        bp += step
    }
    a0.fold(into: d, out, first: first)
    if r > 1 { a1.fold(into: d + ldd, out, first: first) }
    if r > 2 { a2.fold(into: d + 2 * ldd, out, first: first) }
    if r > 3 { a3.fold(into: d + 3 * ldd, out, first: first) }
}

/// Up to eight SIMD8 vectors (V.value of them in use): one row's accumulators across 8V columns, or
/// one row of B.
struct Chains8<V: StaticCount> {
    var v0 = SIMD8<Float>(), v1 = SIMD8<Float>(), v2 = SIMD8<Float>(), v3 = SIMD8<Float>()
    var v4 = SIMD8<Float>(), v5 = SIMD8<Float>(), v6 = SIMD8<Float>(), v7 = SIMD8<Float>()

    @inline(__always) init() {}

    /// 8V floats at `p`.
    @inline(__always)
    init(loading p: UnsafeRawPointer) {
        let n = V.value
        v0 = p.loadUnaligned(as: SIMD8<Float>.self)
        if n > 1 { v1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) }
        if n > 2 { v2 = p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self) }
        if n > 3 { v3 = p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self) }
        if n > 4 { v4 = p.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self) }
        if n > 5 { v5 = p.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self) }
        if n > 6 { v6 = p.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self) }
        if n > 7 { v7 = p.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self) }
    }

    /// self += s · w, lane by lane (one FMA per lane).
    @inline(__always)
    mutating func add(_ s: Float, _ w: Chains8<V>) {
        let n = V.value
        let xs = SIMD8<Float>(repeating: s)
        v0.addProduct(xs, w.v0)
        if n > 1 { v1.addProduct(xs, w.v1) }
        if n > 2 { v2.addProduct(xs, w.v2) }
        if n > 3 { v3.addProduct(xs, w.v3) }
        if n > 4 { v4.addProduct(xs, w.v4) }
        if n > 5 { v5.addProduct(xs, w.v5) }
        if n > 6 { v6.addProduct(xs, w.v6) }
        if n > 7 { v7.addProduct(xs, w.v7) }
    }

    /// Folds the block sums into 8V columns of C at `d`.
    @inline(__always)
    func fold(into d: UnsafeMutablePointer<Float>, _ out: FewRowsOutput, first: Bool) {
        let n = V.value
        out.fold(v0, into: d, first: first)
        if n > 1 { out.fold(v1, into: d + 8, first: first) }
        if n > 2 { out.fold(v2, into: d + 16, first: first) }
        if n > 3 { out.fold(v3, into: d + 24, first: first) }
        if n > 4 { out.fold(v4, into: d + 32, first: first) }
        if n > 5 { out.fold(v5, into: d + 40, first: first) }
        if n > 6 { out.fold(v6, into: d + 48, first: first) }
        if n > 7 { out.fold(v7, into: d + 56, first: first) }
    }
}

/// A count fixed at compile time: `fewRowsChains` is generic over its row and vector counts so that
/// each combination is specialised into its own function with its own loop. (Sixteen inlined copies
/// in one dispatcher made the optimiser stop inlining and run one generic copy, with the count checks
/// inside the loop.)
protocol StaticCount { static var value: Int { get } }
enum One: StaticCount { static var value: Int { 1 } }
enum Two: StaticCount { static var value: Int { 2 } }
enum Three: StaticCount { static var value: Int { 3 } }
enum Four: StaticCount { static var value: Int { 4 } }
enum Five: StaticCount { static var value: Int { 5 } }
enum Six: StaticCount { static var value: Int { 6 } }
enum Seven: StaticCount { static var value: Int { 7 } }
enum Eight: StaticCount { static var value: Int { 8 } }
