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

/// tile[6, 16] = Σ_k a[k, 0..<6] ⊗ b[k, 0..<16] over `kc` steps.
/// `a` is a packed A micro-panel `// [kc, 6]`, `b` a panel `// [kc, 16]` in `S`'s format.
@inline(__always)
func microKernel6x16<S: PanelSource>(_: S.Type, kc: Int, a: UnsafePointer<Float>, b: UnsafeRawPointer,
                                     tile: UnsafeMutablePointer<Float>) {
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
        s = SIMD8<Float>(repeating: ap[1])
        c10.addProduct(s, b0); c11.addProduct(s, b1)
        s = SIMD8<Float>(repeating: ap[2])
        c20.addProduct(s, b0); c21.addProduct(s, b1)
        s = SIMD8<Float>(repeating: ap[3])
        c30.addProduct(s, b0); c31.addProduct(s, b1)
        s = SIMD8<Float>(repeating: ap[4])
        c40.addProduct(s, b0); c41.addProduct(s, b1)
        s = SIMD8<Float>(repeating: ap[5])
        c50.addProduct(s, b0); c51.addProduct(s, b1)
        ap += 6
        bp += S.rowBytes
    }
    let t = UnsafeMutableRawPointer(tile)
    t.storeBytes(of: c00, toByteOffset: 0, as: SIMD8<Float>.self)
    t.storeBytes(of: c01, toByteOffset: 32, as: SIMD8<Float>.self)
    t.storeBytes(of: c10, toByteOffset: 64, as: SIMD8<Float>.self)
    t.storeBytes(of: c11, toByteOffset: 96, as: SIMD8<Float>.self)
    t.storeBytes(of: c20, toByteOffset: 128, as: SIMD8<Float>.self)
    t.storeBytes(of: c21, toByteOffset: 160, as: SIMD8<Float>.self)
    t.storeBytes(of: c30, toByteOffset: 192, as: SIMD8<Float>.self)
    t.storeBytes(of: c31, toByteOffset: 224, as: SIMD8<Float>.self)
    t.storeBytes(of: c40, toByteOffset: 256, as: SIMD8<Float>.self)
    t.storeBytes(of: c41, toByteOffset: 288, as: SIMD8<Float>.self)
    t.storeBytes(of: c50, toByteOffset: 320, as: SIMD8<Float>.self)
    t.storeBytes(of: c51, toByteOffset: 352, as: SIMD8<Float>.self)
}

/// out[0..<16] = Σ_k x[k] · b[k, 0..<16]: one row against one panel (batch-1 decoding; memory-bound,
/// so four independent accumulator pairs keep enough loads in flight).
@inline(__always)
func rowKernel16<S: PanelSource>(_: S.Type, k: Int, x: UnsafePointer<Float>, b: UnsafeRawPointer)
    -> (SIMD8<Float>, SIMD8<Float>)
{
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b0 = SIMD8<Float>(), b1 = SIMD8<Float>()
    var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), d0 = SIMD8<Float>(), d1 = SIMD8<Float>()
    var bp = b
    var kk = 0
    while kk + 4 <= k {
        let (w00, w01) = S.load(bp)
        let (w10, w11) = S.load(bp + S.rowBytes)
        let (w20, w21) = S.load(bp + 2 * S.rowBytes)
        let (w30, w31) = S.load(bp + 3 * S.rowBytes)
        let x0 = SIMD8<Float>(repeating: x[kk]), x1 = SIMD8<Float>(repeating: x[kk + 1])
        let x2 = SIMD8<Float>(repeating: x[kk + 2]), x3 = SIMD8<Float>(repeating: x[kk + 3])
        a0.addProduct(x0, w00); a1.addProduct(x0, w01)
        b0.addProduct(x1, w10); b1.addProduct(x1, w11)
        c0.addProduct(x2, w20); c1.addProduct(x2, w21)
        d0.addProduct(x3, w30); d1.addProduct(x3, w31)
        bp += 4 * S.rowBytes
        kk += 4
    }
    while kk < k {
        let (w0, w1) = S.load(bp)
        let xs = SIMD8<Float>(repeating: x[kk])
        a0.addProduct(xs, w0); a1.addProduct(xs, w1)
        bp += S.rowBytes
        kk += 1
    }
    return ((a0 + b0) + (c0 + d0), (a1 + b1) + (c1 + d1))
}
