import TensorsAVX512

// Register-blocked micro-kernels for AVX2+FMA (x86-64-v3): 16 ymm registers hold a 6×16 tile of C
// (12 accumulators), two B vectors and one broadcast of A. Everything here is @inline(__always) and
// specialised per panel source, so the hot loops are straight vfmadd231ps on ymm registers.

/// Rows of C per micro-tile.
let microRows = 6
/// Columns of C per micro-tile (one packed panel).
let microCols = 16

/// How a packed B panel row of 16 columns is read.
protocol PanelSource {
    /// Bytes between consecutive k rows of a panel.
    static var rowBytes: Int { get }
    /// Columns 0..<8 and 8..<16 of the panel row at `p`.
    static func load(_ p: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>)
}

/// F32 panels: 16 contiguous Floats per row.
enum F32Panel: PanelSource {
    static var rowBytes: Int { @inline(__always) get { 64 } }
    @inline(__always)
    static func load(_ p: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>) {
        (p.loadUnaligned(as: SIMD8<Float>.self), p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
    }
}

/// BF16 panels: 8 UInt32 per row, each holding column c (low half) and column c + 8 (high half).
enum BF16Panel: PanelSource {
    static var rowBytes: Int { @inline(__always) get { 32 } }
    @inline(__always)
    static func load(_ p: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>) {
        let w = p.loadUnaligned(as: SIMD8<UInt32>.self)
        let lo = w &<< 16
        let hi = w & SIMD8<UInt32>(repeating: 0xFFFF_0000)
        return (unsafeBitCast(lo, to: SIMD8<Float>.self), unsafeBitCast(hi, to: SIMD8<Float>.self))
    }
}

/// tile[6, 16] = Σ_k a[k, 0..<6] ⊗ b[k, 0..<16] over `kc` steps, for the first `rows` rows only
/// (a constant at every call site, so each row count compiles to its own loop without dead FMAs).
/// `a` is a packed A micro-panel `// [kc, 6]`, `b` a panel `// [kc, 16]` in `S`'s format.
/// `mode` (a constant per call site) says where the tile goes: `.tile` = the buffer `tile` (row stride 16);
/// `.store`, `.storeWithBias`, `.accumulate` = straight into C at `tile` with rows `ldc` apart.
@inline(__always)
func microKernel6x16<S: PanelSource>(_: S.Type, rows r: Int, kc: Int, a: UnsafePointer<Float>,
                                     b: UnsafeRawPointer, tile: UnsafeMutablePointer<Float>,
                                     mode: DirectOutput = .tile, ldc: Int = 16, bias: UnsafePointer<Float>? = nil) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
    var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
    var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
    var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
    var ap = a
    var bp = b
    for _ in 0..<kc {
        let (b0, b1) = S.load(bp)
        // Row i of the tile += a[k, i] · b[k, :].
        @inline(__always) func row(_ ai: Float, _ x0: inout SIMD8<Float>, _ x1: inout SIMD8<Float>) {
            let s = SIMD8<Float>(repeating: ai)
            x0.addProduct(s, b0); x1.addProduct(s, b1)
        }
        row(ap[0], &c00, &c01)
        if r > 1 { row(ap[1], &c10, &c11) }
        if r > 2 { row(ap[2], &c20, &c21) }
        if r > 3 { row(ap[3], &c30, &c31) }
        if r > 4 { row(ap[4], &c40, &c41) }
        if r > 5 { row(ap[5], &c50, &c51) }
        ap += 6
        bp += S.rowBytes
    }
    let t = UnsafeMutableRawPointer(tile)
    let braw = UnsafeRawPointer(bias)
    @inline(__always) func put(_ v: SIMD8<Float>, _ row: Int, _ half: Int) {
        let offset = (row * ldc + half * 8) * 4
        switch mode {
        case .tile, .store:
            t.storeBytes(of: v, toByteOffset: offset, as: SIMD8<Float>.self)
        case .accumulate:
            t.storeBytes(of: v + t.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self), toByteOffset: offset,
                         as: SIMD8<Float>.self)
        case .storeWithBias:
            t.storeBytes(of: v + braw!.loadUnaligned(fromByteOffset: half * 32, as: SIMD8<Float>.self),
                         toByteOffset: offset, as: SIMD8<Float>.self)
        }
    }
    put(c00, 0, 0); put(c01, 0, 1)
    if r > 1 { put(c10, 1, 0); put(c11, 1, 1) }
    if r > 2 { put(c20, 2, 0); put(c21, 2, 1) }
    if r > 3 { put(c30, 3, 0); put(c31, 3, 1) }
    if r > 4 { put(c40, 4, 0); put(c41, 4, 1) }
    if r > 5 { put(c50, 5, 0); put(c51, 5, 1) }
}

/// `microKernel6x16` into the tile buffer for `rows` ∈ 1...6, each row count with its own specialised
/// loop. Not inlined itself, so every call site of the kernel stays a single inlinable one (the
/// optimiser stopped inlining the kernel once the macro-kernel had several, and the row checks then
/// ran inside the loop at half speed).
@inline(never)
func microKernel<S: PanelSource>(_ s: S.Type, rows: Int, kc: Int, a: UnsafePointer<Float>, b: UnsafeRawPointer,
                                 tile: UnsafeMutablePointer<Float>) {
    switch rows {
    case 6: microKernel6x16(s, rows: 6, kc: kc, a: a, b: b, tile: tile)
    case 5: microKernel6x16(s, rows: 5, kc: kc, a: a, b: b, tile: tile)
    case 4: microKernel6x16(s, rows: 4, kc: kc, a: a, b: b, tile: tile)
    case 3: microKernel6x16(s, rows: 3, kc: kc, a: a, b: b, tile: tile)
    case 2: microKernel6x16(s, rows: 2, kc: kc, a: a, b: b, tile: tile)
    default: microKernel6x16(s, rows: 1, kc: kc, a: a, b: b, tile: tile)
    }
}

/// A full 6×16 tile written straight into C (rows `ldc` apart) as `mode` says.
@inline(never)
func microKernelDirect<S: PanelSource>(_ s: S.Type, kc: Int, a: UnsafePointer<Float>, b: UnsafeRawPointer,
                                       c: UnsafeMutablePointer<Float>, ldc: Int, mode: DirectOutput,
                                       bias: UnsafePointer<Float>?) {
    switch mode {
    case .accumulate: microKernel6x16(s, rows: 6, kc: kc, a: a, b: b, tile: c, mode: .accumulate, ldc: ldc)
    case .storeWithBias:
        microKernel6x16(s, rows: 6, kc: kc, a: a, b: b, tile: c, mode: .storeWithBias, ldc: ldc, bias: bias)
    default: microKernel6x16(s, rows: 6, kc: kc, a: a, b: b, tile: c, mode: .store, ldc: ldc)
    }
}

/// out[r, 0..<16P] = Σ_k x[r, k] · panel_p[k, 0..<16] (+ bias[0..<16P]) for R ∈ 1...2 rows (x rows `ldx`
/// apart, out rows `ldo` apart) and P consecutive panels `panelBytes` apart (batch-1 and batch-2 decoding).
/// Batch invariance: each column summed in exactly the tile path's order (sequential FMAs from 0 within
/// each K block of `blockK`, the first block's sum + bias, later blocks' sums added in turn), so a row's
/// output is the same bits whether `linear` saw it alone (m = 1) or among other rows. R·P = 4 gives eight
/// independent chains, enough to hide the FMA latency (one panel's two chains ran at a quarter of the FMA
/// throughput when the weights were in cache; splitting K into interleaved partial sums would change the
/// bits). See `linearRows` for when it takes fewer.
@inline(never)
func rowKernel<S: PanelSource, R: StaticCount, P: StaticCount>(
    _: S.Type, _: R.Type, _: P.Type, k: Int, x: UnsafePointer<Float>, ldx: Int, b: UnsafeRawPointer, panelBytes: Int,
    bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, ldo: Int
) {
    typealias V = SIMD8<Float>
    let panels = P.value, two = R.value > 1
    // r<panel><half>: the running outputs of row 0 (s…: row 1, panels 0 and 1); a…/t…: one block's sums.
    var r00 = V(), r01 = V(), r10 = V(), r11 = V(), r20 = V(), r21 = V(), r30 = V(), r31 = V()
    var s00 = V(), s01 = V(), s10 = V(), s11 = V()
    let b1 = b + panelBytes, b2 = b + 2 * panelBytes, b3 = b + 3 * panelBytes
    let x1 = x + ldx
    var k0 = 0
    while k0 < k {
        let kc = min(blockK, k - k0)
        var a00 = V(), a01 = V(), a10 = V(), a11 = V(), a20 = V(), a21 = V(), a30 = V(), a31 = V()
        var t00 = V(), t01 = V(), t10 = V(), t11 = V()
        var offset = k0 * S.rowBytes
        for kk in k0..<(k0 + kc) {
            let xs = V(repeating: x[kk])
            let ys = two ? V(repeating: x1[kk]) : V()
            var (w0, w1) = S.load(b + offset)
            a00.addProduct(xs, w0); a01.addProduct(xs, w1)
            if two { t00.addProduct(ys, w0); t01.addProduct(ys, w1) }
            if panels > 1 {
                (w0, w1) = S.load(b1 + offset)
                a10.addProduct(xs, w0); a11.addProduct(xs, w1)
                if two { t10.addProduct(ys, w0); t11.addProduct(ys, w1) }
            }
            if panels > 2 { (w0, w1) = S.load(b2 + offset); a20.addProduct(xs, w0); a21.addProduct(xs, w1) }
            if panels > 3 { (w0, w1) = S.load(b3 + offset); a30.addProduct(xs, w0); a31.addProduct(xs, w1) }
            offset += S.rowBytes
        }
        if k0 == 0 {
            r00 = a00; r01 = a01; r10 = a10; r11 = a11; r20 = a20; r21 = a21; r30 = a30; r31 = a31
            s00 = t00; s01 = t01; s10 = t10; s11 = t11
            if let bias {
                let braw = UnsafeRawPointer(bias)
                @inline(__always) func add(_ v: inout V, _ i: Int) {
                    v += braw.loadUnaligned(fromByteOffset: i * 32, as: V.self)
                }
                add(&r00, 0); add(&r01, 1)
                if panels > 1 { add(&r10, 2); add(&r11, 3) }
                if panels > 2 { add(&r20, 4); add(&r21, 5) }
                if panels > 3 { add(&r30, 6); add(&r31, 7) }
                if two { add(&s00, 0); add(&s01, 1) }
                if two && panels > 1 { add(&s10, 2); add(&s11, 3) }
            }
        } else {
            r00 = a00 + r00; r01 = a01 + r01; r10 = a10 + r10; r11 = a11 + r11
            r20 = a20 + r20; r21 = a21 + r21; r30 = a30 + r30; r31 = a31 + r31
            s00 = t00 + s00; s01 = t01 + s01; s10 = t10 + s10; s11 = t11 + s11
        }
        k0 += kc
    }
    let o = UnsafeMutableRawPointer(out), o1 = UnsafeMutableRawPointer(out + ldo)
    @inline(__always) func put(_ v: V, _ i: Int) { o.storeBytes(of: v, toByteOffset: i * 32, as: V.self) }
    put(r00, 0); put(r01, 1)
    if panels > 1 { put(r10, 2); put(r11, 3) }
    if panels > 2 { put(r20, 4); put(r21, 5) }
    if panels > 3 { put(r30, 6); put(r31, 7) }
    if two {
        o1.storeBytes(of: s00, as: V.self); o1.storeBytes(of: s01, toByteOffset: 32, as: V.self)
        if panels > 1 {
            o1.storeBytes(of: s10, toByteOffset: 64, as: V.self); o1.storeBytes(of: s11, toByteOffset: 96, as: V.self)
        }
    }
}
