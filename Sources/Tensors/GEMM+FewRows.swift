/// GEMM with very few rows of C (decoding, pooled vectors): packing all of B as the tile path does
/// would cost more than the product itself, so B is read in its own layout.
///
/// Batch invariance: every element of C is summed in exactly the packed kernels' order (one sequential
/// FMA chain per element from 0 within each K block of `blockK`, each block's sum folded into C as
/// `storeTile` does: α·acc (+ β·C) on the first block, α·acc + C on later ones), so a row of C has the
/// same bits whether its GEMM had few rows (decoding, a 2-residue sequence alone) or many (the same
/// sequence padded into a batch). Speed comes from running several such chains side by side, each SIMD
/// lane being one column of C: row-major B is read in place; transposed B (rows contiguous in K, as
/// attention's keys) is transposed 8 × 8 in registers on the way into the FMAs.
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
    let source = FewRowsSource(b: b, ldb: ldb, transposed: transposeB)
    let out = FewRowsOutput(alpha: alpha, beta: beta)
    let unit = 8 * (transposeB ? fewRowsGroups : fewRowsVectors(rows: m))
    let strips = (n + unit - 1) / unit
    // Estimated ns (≈ 30 GFLOP/s with transposed B, 60 without); a caller already running on a worker
    // (batched GEMM) passes threaded: false.
    let work = threaded ? Double(m) * Double(n) * Double(k) * (transposeB ? 0.07 : 0.035) : 0
    Parallel.forEach(range: strips, costPerItem: work / Double(strips)) { range in
        // Scratch for the last n mod 8 columns (see `fewRowsStrip`), on the stack.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * blockK + 32) { scratch in
            let pad = scratch.baseAddress!, tile = pad + 8 * blockK
            var j = range.lowerBound * unit
            let end = min(n, range.upperBound * unit)
            while j < end {
                let width = min(unit, end - j)
                fewRowsStrip(rows: m, k: k, x: x, ldx: ldx, source: source, col: j, width: width, c: c, ldc: ldc,
                             out: out, pad: pad, tile: tile)
                j += width
            }
        }
    }
}

/// Groups of 8 columns per strip with transposed B, one accumulator per row and group. Two groups
/// beat one by ~40% at M=1 (twice the chains in flight); three or four were slower (register spills,
/// and with K = 3072 their 24–32 rows of B, 12 KB apart, overflowed the L1 sets they share).
let fewRowsGroups = 2

/// SIMD8 accumulators per row of C: eight chains in all (enough to cover the FMA latency), so a strip
/// is 64 columns for one row and 16 for four.
@inline(__always)
func fewRowsVectors(rows: Int) -> Int { rows == 1 ? 8 : rows == 2 ? 4 : rows == 3 ? 3 : 2 }

/// op(B) of a few-row GEMM: `b[p·ldb + j]`, or `b[j·ldb + p]` when transposed.
struct FewRowsSource {
    var b: UnsafePointer<Float>
    var ldb: Int
    var transposed: Bool
}

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
func fewRowsStrip(rows m: Int, k: Int, x: UnsafePointer<Float>, ldx: Int, source: FewRowsSource, col: Int, width: Int,
                  c: UnsafeMutablePointer<Float>, ldc: Int, out: FewRowsOutput, pad: UnsafeMutablePointer<Float>,
                  tile: UnsafeMutablePointer<Float>) {
    let full = width / 8 * 8, rest = width - full
    let b = source.b, ldb = source.ldb
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
            if source.transposed {
                fewRowsTransposedBlock(rows: m, groups: full / 8, kc: kc, x: x + k0, ldx: ldx, b: b + col * ldb + k0,
                                       ldb: ldb, d: c + col, ldd: ldc, out: out, first: first)
            } else {
                fewRowsBlock(rows: m, vectors: full / 8, kc: kc, x: x + k0, ldx: ldx, b: b + k0 * ldb + col, ldb: ldb,
                             d: c + col, ldd: ldc, out: out, first: first)
            }
        }
        if rest > 0 {
            pad.initialize(repeating: 0, count: 8 * kc)
            if source.transposed {
                for l in 0..<rest { (pad + l * kc).update(from: b + (col + full + l) * ldb + k0, count: kc) }
                fewRowsTransposedBlock(rows: m, groups: 1, kc: kc, x: x + k0, ldx: ldx, b: pad, ldb: kc, d: tile,
                                       ldd: 8, out: out, first: first)
            } else {
                for p in 0..<kc { (pad + p * 8).update(from: b + (k0 + p) * ldb + col + full, count: rest) }
                fewRowsBlock(rows: m, vectors: 1, kc: kc, x: x + k0, ldx: ldx, b: pad, ldb: 8, d: tile, ldd: 8,
                             out: out, first: first)
            }
        }
        k0 += kc
    }
    if rest > 0 {
        for i in 0..<m { (c + i * ldc + col + full).update(from: tile + i * 8, count: rest) }
    }
}

/// `fewRowsTransposedChains` for `rows` ∈ 1...4 and `groups` ∈ 1...`fewRowsGroups`.
func fewRowsTransposedBlock(rows: Int, groups: Int, kc: Int, x: UnsafePointer<Float>, ldx: Int,
                            b: UnsafePointer<Float>, ldb: Int, d: UnsafeMutablePointer<Float>, ldd: Int,
                            out: FewRowsOutput, first: Bool) {
    switch (rows, groups) {
    case (1, 1): fewRowsTransposedChains(One.self, One.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d,
                                         ldd: ldd, out: out, first: first)
    case (1, _): fewRowsTransposedChains(One.self, Two.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d,
                                         ldd: ldd, out: out, first: first)
    case (2, 1): fewRowsTransposedChains(Two.self, One.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d,
                                         ldd: ldd, out: out, first: first)
    case (2, _): fewRowsTransposedChains(Two.self, Two.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d,
                                         ldd: ldd, out: out, first: first)
    case (3, 1): fewRowsTransposedChains(Three.self, One.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d,
                                         ldd: ldd, out: out, first: first)
    case (3, _): fewRowsTransposedChains(Three.self, Two.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d,
                                         ldd: ldd, out: out, first: first)
    case (_, 1): fewRowsTransposedChains(Four.self, One.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d,
                                         ldd: ldd, out: out, first: first)
    default: fewRowsTransposedChains(Four.self, Two.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d,
                                     ldd: ldd, out: out, first: first)
    }
}

/// One K block of C[0..<R, 0..<8G] (rows `ldd` apart at `d`) from x `[R, kc]` (rows `ldx` apart) and
/// the 8G rows of B at `b` (`ldb` apart, contiguous in K): R × G accumulators of 8 columns, each a
/// sequential FMA chain, fed 8 k at a time by an 8 × 8 register transpose of B (the transposed
/// vectors go straight into the FMAs: through a panel in memory, M=1 was ~25% slower).
@inline(never)
func fewRowsTransposedChains<R: StaticCount, G: StaticCount>(_: R.Type, _: G.Type, kc: Int, x: UnsafePointer<Float>,
                                                             ldx: Int, b: UnsafePointer<Float>, ldb: Int,
                                                             d: UnsafeMutablePointer<Float>, ldd: Int,
                                                             out: FewRowsOutput, first: Bool) {
    typealias V = SIMD8<Float>
    let r = R.value, g = G.value
    let rowBytes = ldb * 4, groupBytes = 8 * ldb * 4
    @inline(__always) func chain(_ acc: inout V, _ xs: UnsafePointer<Float>, _ t: Block8x8) {
        acc.addProduct(V(repeating: xs[0]), t.0); acc.addProduct(V(repeating: xs[1]), t.1)
        acc.addProduct(V(repeating: xs[2]), t.2); acc.addProduct(V(repeating: xs[3]), t.3)
        acc.addProduct(V(repeating: xs[4]), t.4); acc.addProduct(V(repeating: xs[5]), t.5)
        acc.addProduct(V(repeating: xs[6]), t.6); acc.addProduct(V(repeating: xs[7]), t.7)
    }
    @inline(__always) func chains(_ a0: inout V, _ a1: inout V, _ a2: inout V, _ a3: inout V,
                                  _ xs: UnsafePointer<Float>, _ t: Block8x8) {
        chain(&a0, xs, t)
        if r > 1 { chain(&a1, xs + ldx, t) }
        if r > 2 { chain(&a2, xs + 2 * ldx, t) }
        if r > 3 { chain(&a3, xs + 3 * ldx, t) }
    }
    @inline(__always) func step(_ a0: inout V, _ a1: inout V, _ a2: inout V, _ a3: inout V,
                                _ xs: UnsafePointer<Float>, _ col: V) {
        a0.addProduct(V(repeating: xs[0]), col)
        if r > 1 { a1.addProduct(V(repeating: xs[ldx]), col) }
        if r > 2 { a2.addProduct(V(repeating: xs[2 * ldx]), col) }
        if r > 3 { a3.addProduct(V(repeating: xs[3 * ldx]), col) }
    }
    // a<row><group>
    var a00 = V(), a10 = V(), a20 = V(), a30 = V()
    var a01 = V(), a11 = V(), a21 = V(), a31 = V()
    let q0 = UnsafeRawPointer(b)
    var p = 0
    while p + 8 <= kc {
        let q = q0 + p * 4
        chains(&a00, &a10, &a20, &a30, x + p, transposed8x8(q, rowBytes: rowBytes))
        if g > 1 { chains(&a01, &a11, &a21, &a31, x + p, transposed8x8(q + groupBytes, rowBytes: rowBytes)) }
        p += 8
    }
    // The block's last kc mod 8 steps, one column vector at a time.
    while p < kc {
        step(&a00, &a10, &a20, &a30, x + p, column8(q0, rowBytes: rowBytes, p))
        if g > 1 { step(&a01, &a11, &a21, &a31, x + p, column8(q0 + groupBytes, rowBytes: rowBytes, p)) }
        p += 1
    }
    @inline(__always) func fold(_ acc: V, _ row: Int, _ group: Int) {
        out.fold(acc, into: d + row * ldd + group * 8, first: first)
    }
    fold(a00, 0, 0)
    if r > 1 { fold(a10, 1, 0) }
    if r > 2 { fold(a20, 2, 0) }
    if r > 3 { fold(a30, 3, 0) }
    if g > 1 {
        fold(a01, 0, 1)
        if r > 1 { fold(a11, 1, 1) }
        if r > 2 { fold(a21, 2, 1) }
        if r > 3 { fold(a31, 3, 1) }
    }
}

/// `fewRowsChains` for `rows` ∈ 1...4 and `vectors` ∈ 1...`fewRowsVectors(rows)`.
func fewRowsBlock(rows: Int, vectors: Int, kc: Int, x: UnsafePointer<Float>, ldx: Int, b: UnsafePointer<Float>,
                  ldb: Int, d: UnsafeMutablePointer<Float>, ldd: Int, out: FewRowsOutput, first: Bool) {
    switch (rows, vectors) {
    case (1, 1): fewRowsChains(One.self, One.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (1, 2): fewRowsChains(One.self, Two.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (1, 3): fewRowsChains(One.self, Three.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (1, 4): fewRowsChains(One.self, Four.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (1, 5): fewRowsChains(One.self, Five.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (1, 6): fewRowsChains(One.self, Six.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (1, 7): fewRowsChains(One.self, Seven.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (1, _): fewRowsChains(One.self, Eight.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (2, 1): fewRowsChains(Two.self, One.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (2, 2): fewRowsChains(Two.self, Two.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (2, 3): fewRowsChains(Two.self, Three.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (2, _): fewRowsChains(Two.self, Four.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (3, 1): fewRowsChains(Three.self, One.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (3, 2): fewRowsChains(Three.self, Two.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (3, _): fewRowsChains(Three.self, Three.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    case (_, 1): fewRowsChains(Four.self, One.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
                 out: out, first: first)
    default: fewRowsChains(Four.self, Two.self, kc: kc, x: x, ldx: ldx, b: b, ldb: ldb, d: d, ldd: ldd,
             out: out, first: first)
    }
}

/// One K block of C[0..<R, 0..<8V] (rows `ldd` apart at `d`) from x `[R, kc]` (rows `ldx` apart) and
/// B `[kc, 8V]` (rows `ldb` apart): R × V accumulators of 8 columns, each a sequential FMA chain over
/// the block, then folded into C.
@inline(never)
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
