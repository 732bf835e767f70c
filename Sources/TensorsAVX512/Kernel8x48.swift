// The AVX-512 (x86-64-v4) GEMM micro-kernel, in its own module because this module alone is compiled
// with -march=x86-64-v4: its code must only run after `Tensors.CPU` has found AVX-512 at run time.
// Nothing here runs at load time (no globals), so linking it on an AVX2-only machine is harmless.
//
// 32 zmm registers hold an 8×48 tile of C (24 accumulators of 16 lanes), three B vectors (one per packed
// 16-column panel) and a broadcast of A. On CPUs with a full 512-bit FMA datapath (Zen 5, Xeon) this
// doubles the flops per instruction of the AVX2 kernel.
import CKernelsBF16

/// Rows of C per AVX-512 micro-tile.
let avx512MicroRows = 8
/// Columns of C per AVX-512 micro-tile (three 16-column panels).
let avx512MicroCols = 48

/// tile[8, 48] = Σ_k a[k, 0..<8] ⊗ B[k, 0..<16·panels] for F32 panels `// [kc, 16]` that start
/// `panelBytes` apart (`panels` ∈ 1...3; the tile's unused columns are left untouched).
/// `a` is a packed A micro-panel `// [kc, 8]`.
public func avx512Tile(kc: Int, a: UnsafePointer<Float>, b: UnsafeRawPointer, panelBytes: Int, panels: Int,
                       tile: UnsafeMutablePointer<Float>) {
    kernelStore(panels: panels, packed: true, kc: kc, a: a, lda: 0, b: b, panelBytes: panelBytes, c: tile, ldc: 48)
}

/// How `avx512TileDirect` writes a full 8 × 16·panels block of C.
public enum DirectOutput: Sendable {
    /// C = acc.
    case store
    /// C = acc + bias[column].
    case storeWithBias
    /// C += acc.
    case accumulate
    /// The tile buffer of `avx512Tile` (row stride 48).
    case tile
}

/// As `avx512Tile`, but writes straight into C (rows `ldc` apart), skipping the tile buffer: for full
/// 8-row tiles with α = 1, where the tile round trip cost ~10% at kc = 128.
public func avx512TileDirect(kc: Int, a: UnsafePointer<Float>, b: UnsafeRawPointer, panelBytes: Int, panels: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int, output: DirectOutput,
                             bias: UnsafePointer<Float>?) {
    switch output {
    case .accumulate:
        kernelAccumulate(panels: panels, packed: true, kc: kc, a: a, lda: 0, b: b, panelBytes: panelBytes, c: c, ldc: ldc)
    case .storeWithBias:
        kernelBias(panels: panels, packed: true, kc: kc, a: a, lda: 0, b: b, panelBytes: panelBytes, c: c, ldc: ldc,
                   bias: bias!)
    case .store, .tile:
        kernelStore(panels: panels, packed: true, kc: kc, a: a, lda: 0, b: b, panelBytes: panelBytes, c: c, ldc: ldc)
    }
}

/// As `avx512TileDirect`, reading A in place: 8 rows starting at `a`, `lda` apart (no packing; for
/// row-major A whose packing would cost as much as the product, e.g. attention's P·V with small D).
public func avx512TileDirectRows(kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafeRawPointer, panelBytes: Int,
                                 panels: Int, c: UnsafeMutablePointer<Float>, ldc: Int, output: DirectOutput,
                                 bias: UnsafePointer<Float>?) {
    precondition(lda > 0)
    switch output {
    case .accumulate:
        kernelAccumulate(panels: panels, packed: false, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c,
                         ldc: ldc)
    case .storeWithBias:
        kernelBias(panels: panels, packed: false, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c, ldc: ldc,
                   bias: bias!)
    case .store, .tile:
        kernelStore(panels: panels, packed: false, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c, ldc: ldc)
    }
}

// One non-inlined function per output mode, each with the six constant-argument call sites of `kernel8`
// in `kernelPanels`: few enough that the optimiser inlines every one (with more call sites it outlined a
// generic copy whose panel/packing checks ran inside the loop).

@inline(never)
func kernelStore(panels: Int, packed: Bool, kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafeRawPointer,
                 panelBytes: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
    kernelPanels(.store, panels: panels, packed: packed, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c,
                 ldc: ldc, bias: nil)
}

@inline(never)
func kernelAccumulate(panels: Int, packed: Bool, kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafeRawPointer,
                      panelBytes: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
    kernelPanels(.accumulate, panels: panels, packed: packed, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes,
                 c: c, ldc: ldc, bias: nil)
}

@inline(never)
func kernelBias(panels: Int, packed: Bool, kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafeRawPointer,
                panelBytes: Int, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>) {
    kernelPanels(.storeWithBias, panels: panels, packed: packed, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes,
                 c: c, ldc: ldc, bias: bias)
}

/// `kernel8` with its panel count and packing made constants, for one output mode (a constant at each call site).
@inline(__always)
func kernelPanels(_ mode: DirectOutput, panels: Int, packed: Bool, kc: Int, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafeRawPointer, panelBytes: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                  bias: UnsafePointer<Float>?) {
    switch (panels, packed) {
    case (3, true): kernel8(3, mode, packed: true, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c, ldc: ldc, bias: bias)
    case (2, true): kernel8(2, mode, packed: true, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c, ldc: ldc, bias: bias)
    case (_, true): kernel8(1, mode, packed: true, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c, ldc: ldc, bias: bias)
    case (3, false): kernel8(3, mode, packed: false, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c, ldc: ldc, bias: bias)
    case (2, false): kernel8(2, mode, packed: false, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c, ldc: ldc, bias: bias)
    case (_, false): kernel8(1, mode, packed: false, kc: kc, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c, ldc: ldc, bias: bias)
    }
}

typealias F16x = SIMD16<Float>

@inline(__always)
func kernel8(_ p: Int, _ mode: DirectOutput, packed: Bool, kc: Int, a: UnsafePointer<Float>, lda: Int,
             b: UnsafeRawPointer, panelBytes: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
             bias: UnsafePointer<Float>?) {
    // A is packed (`// [kc, 8]`) or read in place from 8 rows `lda` apart; either way row r's k-th
    // value is a_r[k · step], and `step` folds to a constant in each specialisation.
    let step = packed ? 8 : 1
    let rowStride = packed ? 1 : lda
    let a0 = a, a1 = a + rowStride, a2 = a + 2 * rowStride, a3 = a + 3 * rowStride
    let a4 = a + 4 * rowStride, a5 = a + 5 * rowStride, a6 = a + 6 * rowStride, a7 = a + 7 * rowStride
    // A later K block adds to C rows `ldc` apart, out in L2 or L3 at real sizes: asked for now, they
    // arrive during the loop instead of stalling its end (1-2 % on an ESM-2 150M forward, Zen 4).
    if mode == .accumulate {
        for r in 0..<8 { for j in 0..<p { trellis_prefetch_write(c + r * ldc + j * 16) } }
    }
    var c00 = F16x(), c01 = F16x(), c02 = F16x()
    var c10 = F16x(), c11 = F16x(), c12 = F16x()
    var c20 = F16x(), c21 = F16x(), c22 = F16x()
    var c30 = F16x(), c31 = F16x(), c32 = F16x()
    var c40 = F16x(), c41 = F16x(), c42 = F16x()
    var c50 = F16x(), c51 = F16x(), c52 = F16x()
    var c60 = F16x(), c61 = F16x(), c62 = F16x()
    var c70 = F16x(), c71 = F16x(), c72 = F16x()
    var b0p = b
    let d1 = p > 1 ? panelBytes : 0
    let d2 = p > 2 ? 2 * panelBytes : 0
    for k in 0..<kc {
        let ko = k * step
        let b0 = b0p.loadUnaligned(as: F16x.self)
        let b1 = p > 1 ? (b0p + d1).loadUnaligned(as: F16x.self) : F16x()
        let b2 = p > 2 ? (b0p + d2).loadUnaligned(as: F16x.self) : F16x()
        // Row r of the tile += a_r[k] · B[k, :].
        @inline(__always) func row(_ ar: UnsafePointer<Float>, _ x0: inout F16x, _ x1: inout F16x, _ x2: inout F16x) {
            let s = F16x(repeating: ar[ko])
            x0.addProduct(s, b0); if p > 1 { x1.addProduct(s, b1) }; if p > 2 { x2.addProduct(s, b2) }
        }
        row(a0, &c00, &c01, &c02); row(a1, &c10, &c11, &c12)
        row(a2, &c20, &c21, &c22); row(a3, &c30, &c31, &c32)
        row(a4, &c40, &c41, &c42); row(a5, &c50, &c51, &c52)
        row(a6, &c60, &c61, &c62); row(a7, &c70, &c71, &c72)
        b0p += 64
    }
    let t = UnsafeMutableRawPointer(c)
    let braw = UnsafeRawPointer(bias)
    @inline(__always) func put(_ v: F16x, _ r: Int, _ j: Int) {
        let offset = (r * ldc + j * 16) * 4
        switch mode {
        case .tile, .store:
            t.storeBytes(of: v, toByteOffset: offset, as: F16x.self)
        case .accumulate:
            t.storeBytes(of: v + t.loadUnaligned(fromByteOffset: offset, as: F16x.self), toByteOffset: offset,
                         as: F16x.self)
        case .storeWithBias:
            t.storeBytes(of: v + braw!.loadUnaligned(fromByteOffset: j * 64, as: F16x.self), toByteOffset: offset,
                         as: F16x.self)
        }
    }
    put(c00, 0, 0); put(c10, 1, 0); put(c20, 2, 0); put(c30, 3, 0)
    put(c40, 4, 0); put(c50, 5, 0); put(c60, 6, 0); put(c70, 7, 0)
    if p > 1 {
        put(c01, 0, 1); put(c11, 1, 1); put(c21, 2, 1); put(c31, 3, 1)
        put(c41, 4, 1); put(c51, 5, 1); put(c61, 6, 1); put(c71, 7, 1)
    }
    if p > 2 {
        put(c02, 0, 2); put(c12, 1, 2); put(c22, 2, 2); put(c32, 3, 2)
        put(c42, 4, 2); put(c52, 5, 2); put(c62, 6, 2); put(c72, 7, 2)
    }
}
