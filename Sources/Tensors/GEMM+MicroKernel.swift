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

/// out[r, 0..<16P] = Σ_k x[r, k] · panel_p[k, 0..<16] (+ bias[0..<16P]) for R ∈ 1...4 rows (x rows `ldx`
/// apart, out rows `ldo` apart) and P consecutive panels `panelBytes` apart, R·P ≤ 4 (batch-1…4 decoding).
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
    let panels = P.value, rows = R.value
    // Chains, named <row><panel><half>: row 0 has up to four panels, row 1 two, rows 2 and 3 one.
    // o…: the running outputs; a…: one K block's sums (each starts from 0).
    var o000 = V(), o001 = V(), o010 = V(), o011 = V(), o020 = V(), o021 = V(), o030 = V(), o031 = V()
    var o100 = V(), o101 = V(), o110 = V(), o111 = V(), o200 = V(), o201 = V(), o300 = V(), o301 = V()
    let b1 = b + panelBytes, b2 = b + 2 * panelBytes, b3 = b + 3 * panelBytes
    let x1 = x + ldx, x2 = x + 2 * ldx, x3 = x + 3 * ldx
    var k0 = 0
    while k0 < k {
        let kc = min(blockK, k - k0)
        var a000 = V(), a001 = V(), a010 = V(), a011 = V(), a020 = V(), a021 = V(), a030 = V(), a031 = V()
        var a100 = V(), a101 = V(), a110 = V(), a111 = V(), a200 = V(), a201 = V(), a300 = V(), a301 = V()
        var offset = k0 * S.rowBytes
        for kk in k0..<(k0 + kc) {
            let s0 = V(repeating: x[kk])
            let s1 = rows > 1 ? V(repeating: x1[kk]) : V()
            var (w0, w1) = S.load(b + offset)
            a000.addProduct(s0, w0); a001.addProduct(s0, w1)
            if rows > 1 { a100.addProduct(s1, w0); a101.addProduct(s1, w1) }
            if rows > 2 { let s2 = V(repeating: x2[kk]); a200.addProduct(s2, w0); a201.addProduct(s2, w1) }
            if rows > 3 { let s3 = V(repeating: x3[kk]); a300.addProduct(s3, w0); a301.addProduct(s3, w1) }
            if panels > 1 {
                (w0, w1) = S.load(b1 + offset)
                a010.addProduct(s0, w0); a011.addProduct(s0, w1)
                if rows > 1 { a110.addProduct(s1, w0); a111.addProduct(s1, w1) }
            }
            if panels > 2 { (w0, w1) = S.load(b2 + offset); a020.addProduct(s0, w0); a021.addProduct(s0, w1) }
            if panels > 3 { (w0, w1) = S.load(b3 + offset); a030.addProduct(s0, w0); a031.addProduct(s0, w1) }
            offset += S.rowBytes
        }
        if k0 == 0 {
            o000 = a000; o001 = a001; o010 = a010; o011 = a011; o020 = a020; o021 = a021; o030 = a030; o031 = a031
            o100 = a100; o101 = a101; o110 = a110; o111 = a111; o200 = a200; o201 = a201; o300 = a300; o301 = a301
            if let bias {
                let braw = UnsafeRawPointer(bias)
                @inline(__always) func add(_ v: inout V, _ i: Int) {
                    v += braw.loadUnaligned(fromByteOffset: i * 32, as: V.self)
                }
                add(&o000, 0); add(&o001, 1)
                if panels > 1 { add(&o010, 2); add(&o011, 3) }
                if panels > 2 { add(&o020, 4); add(&o021, 5) }
                if panels > 3 { add(&o030, 6); add(&o031, 7) }
                if rows > 1 { add(&o100, 0); add(&o101, 1) }
                if rows > 1 && panels > 1 { add(&o110, 2); add(&o111, 3) }
                if rows > 2 { add(&o200, 0); add(&o201, 1) }
                if rows > 3 { add(&o300, 0); add(&o301, 1) }
            }
        } else {
            o000 = a000 + o000; o001 = a001 + o001; o010 = a010 + o010; o011 = a011 + o011
            o020 = a020 + o020; o021 = a021 + o021; o030 = a030 + o030; o031 = a031 + o031
            o100 = a100 + o100; o101 = a101 + o101; o110 = a110 + o110; o111 = a111 + o111
            o200 = a200 + o200; o201 = a201 + o201; o300 = a300 + o300; o301 = a301 + o301
        }
        k0 += kc
    }
    @inline(__always) func put(_ v: V, _ row: Int, _ i: Int) {
        UnsafeMutableRawPointer(out + row * ldo).storeBytes(of: v, toByteOffset: i * 32, as: V.self)
    }
    put(o000, 0, 0); put(o001, 0, 1)
    if panels > 1 { put(o010, 0, 2); put(o011, 0, 3) }
    if panels > 2 { put(o020, 0, 4); put(o021, 0, 5) }
    if panels > 3 { put(o030, 0, 6); put(o031, 0, 7) }
    if rows > 1 { put(o100, 1, 0); put(o101, 1, 1) }
    if rows > 1 && panels > 1 { put(o110, 1, 2); put(o111, 1, 3) }
    if rows > 2 { put(o200, 2, 0); put(o201, 2, 1) }
    if rows > 3 { put(o300, 3, 0); put(o301, 3, 1) }
}
