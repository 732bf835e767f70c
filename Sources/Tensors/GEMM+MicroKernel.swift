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
        var s = SIMD8<Float>(repeating: ap[0])
        c00.addProduct(s, b0); c01.addProduct(s, b1)
        if r > 1 {
            s = SIMD8<Float>(repeating: ap[1])
            c10.addProduct(s, b0); c11.addProduct(s, b1)
        }
        if r > 2 {
            s = SIMD8<Float>(repeating: ap[2])
            c20.addProduct(s, b0); c21.addProduct(s, b1)
        }
        if r > 3 {
            s = SIMD8<Float>(repeating: ap[3])
            c30.addProduct(s, b0); c31.addProduct(s, b1)
        }
        if r > 4 {
            s = SIMD8<Float>(repeating: ap[4])
            c40.addProduct(s, b0); c41.addProduct(s, b1)
        }
        if r > 5 {
            s = SIMD8<Float>(repeating: ap[5])
            c50.addProduct(s, b0); c51.addProduct(s, b1)
        }
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

/// out[0..<16] = Σ_k x[k] · b[k, 0..<16]: one row against one panel (batch-1 decoding), plus `bias`.
/// Batch invariance: summed in exactly the tile path's order (sequential FMAs from 0 within each K block
/// of `blockK`, the first block's sum + bias, later blocks' sums added in turn), so a row's output is the
/// same bits whether `linear` saw it alone (m = 1) or among other rows. (Four interleaved accumulators
/// were faster only when not memory-bound.)
@inline(__always)
func rowKernel16<S: PanelSource>(_: S.Type, k: Int, x: UnsafePointer<Float>, b: UnsafeRawPointer,
                                 bias: UnsafePointer<Float>?) -> (SIMD8<Float>, SIMD8<Float>)
{
    var r0 = SIMD8<Float>(), r1 = SIMD8<Float>()
    var bp = b
    var k0 = 0
    while k0 < k {
        let kc = min(blockK, k - k0)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        for kk in k0..<(k0 + kc) {
            let (w0, w1) = S.load(bp)
            let xs = SIMD8<Float>(repeating: x[kk])
            a0.addProduct(xs, w0); a1.addProduct(xs, w1)
            bp += S.rowBytes
        }
        if k0 == 0 {
            r0 = a0; r1 = a1
            if let bias {
                r0 += UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self)
                r1 += UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            }
        } else {
            r0 = a0 + r0; r1 = a1 + r1
        }
        k0 += kc
    }
    return (r0, r1)
}
