#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif
import Foundation
import TensorsAVX512

// Cache blocking around the micro-kernel (the BLIS loop nest): for each block of N (nc columns) and of
// K (kc), pack an mc×kc block of A (L2) and sweep it against every B micro-panel of the block; each B
// micro-panel (kc × 48 floats for the AVX-512 kernel) is reused from L1 across the A micro-panels.
// Measured on Zen 5 (48 KB L1d, 1 MB L2): kc = 256 overflows L1 with the 48-wide micro-panel and
// M = 512 shapes fell to ~100 GFLOP/s; kc = 128 keeps them at ~210.

/// Rows × columns of the AVX-512 micro-tile (`TensorsAVX512.kernel8`). Kept here rather than read from
/// that module, whose code (even a global's accessor) must never run on a CPU without AVX-512.
let avx512MicroRows = 8
let avx512MicroCols = 48

/// Depth of one K block.
let blockK = tuning("TRELLIS_GEMM_KC", 128)
/// K blocks the AVX2 macro-kernel runs through per pass over a micro-tile (`TRELLIS_GEMM_AVX2_KBLOCKS`).
/// The numerics stay per `blockK` block (each block's sums start from 0 and are added to C in turn),
/// but the tile's rows of C are still in L1 when the next block is added to them, and A and B are
/// packed for the longer depth at once.
let avx2DepthBlocks = min(tuning("TRELLIS_GEMM_AVX2_KBLOCKS", 2, minimum: 1), 8)

/// Rows of A packed at a time (a multiple of both kernels' micro-rows, 6 and 8).
let blockM = tuning("TRELLIS_GEMM_MC", 192) / 24 * 24
/// Columns of B per block (a multiple of 48, the widest micro-tile).
let blockN = tuning("TRELLIS_GEMM_NC", 768) / 48 * 48

/// A blocking parameter, overridable through the environment for tuning experiments (at least `minimum`).
func tuning(_ name: String, _ value: Int, minimum: Int = 48) -> Int {
    ProcessInfo.processInfo.environment[name].flatMap { Int($0) }.map { max($0, minimum) } ?? value
}

/// Where C goes and how: C = α·acc + β·C (+ bias) on the first K block, C += α·acc on later ones.
struct OutputSpec {
    var c: UnsafeMutablePointer<Float>
    var ldc: Int
    var alpha: Float
    var beta: Float
    /// Bias per output column, added once (first K block); already offset to column 0 of `c`.
    var bias: UnsafePointer<Float>?
}

/// Packs rows `i0 ..< i0+mc`, depth `k0 ..< k0+kc` of op(A) into micro-panels `// [ceil(mc/MR), kc, MR]`
/// (MR = `microRows`), zero-padding the last panel. op(A)[i, k] is `a[i·lda + k]`, or `a[k·lda + i]`
/// when transposed.
@inline(__always)
func packA(_ a: UnsafePointer<Float>, lda: Int, transposed: Bool, i0: Int, mc: Int, k0: Int, kc: Int,
           microRows: Int, into dst: UnsafeMutablePointer<Float>) {
    var ir = 0
    var d = dst
    while ir < mc {
        let mr = min(microRows, mc - ir)
        if !transposed && mr == 8 && microRows == 8 {
            // Gather one k from each of the 8 rows into a vector: contiguous 32-byte stores (the
            // row-by-row loop below writes with a stride and cost ~9% of an M=512 GEMM).
            let p0 = a + (i0 + ir) * lda + k0
            var raw = UnsafeMutableRawPointer(d)
            for k in 0..<kc {
                let p = p0 + k
                let v = SIMD8<Float>(p[0], p[lda], p[2 * lda], p[3 * lda], p[4 * lda], p[5 * lda], p[6 * lda],
                                     p[7 * lda])
                raw.storeBytes(of: v, as: SIMD8<Float>.self)
                raw += 32
            }
        } else if !transposed && mr == microRows {
            let p0 = a + (i0 + ir) * lda + k0
            var k = 0
            if microRows == 6 {
                // Eight k at a time through an 8×8 transpose: the scalar copy below (six stores per k) was
                // ~5 % of an ESM-2 150M forward on the AVX2 kernel.
                while k + 8 <= kc {
                    packSixRows(p0 + k, lda: lda, into: d + k * 6)
                    k += 8
                }
            }
            while k < kc {
                let p = p0 + k
                let row = d + k * microRows
                for r in 0..<microRows { row[r] = p[r * lda] }
                k += 1
            }
        } else if !transposed {
            for r in 0..<microRows {
                if r < mr {
                    let src = a + (i0 + ir + r) * lda + k0
                    for k in 0..<kc { d[k * microRows + r] = src[k] }
                } else {
                    for k in 0..<kc { d[k * microRows + r] = 0 }
                }
            }
        } else {
            for k in 0..<kc {
                let src = a + (k0 + k) * lda + i0 + ir
                for r in 0..<microRows { d[k * microRows + r] = r < mr ? src[r] : 0 }
            }
        }
        d += kc * microRows
        ir += microRows
    }
}

/// Eight consecutive k of six rows of A (`p`, rows `lda` apart) as `// [8, 6]` at `d`: exactly 48 floats
/// written (the last column through a 6-lane masked store).
@inline(__always)
func packSixRows(_ p: UnsafePointer<Float>, lda: Int, into d: UnsafeMutablePointer<Float>) {
    typealias V = SIMD8<Float>
    @inline(__always) func row(_ r: Int) -> V { UnsafeRawPointer(p + r * lda).loadUnaligned(as: V.self) }
    #if arch(x86_64)
    let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5)
    let t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1)
    let t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3)
    let t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5)
    // lo/hi: 64-bit interleaves (the pairs of rows 0–1 with 2–3, or 4–5 with zeros).
    @inline(__always) func lo(_ a: V, _ b: V) -> V {
        _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(a), _mm256_castps_pd(b)))
    }
    @inline(__always) func hi(_ a: V, _ b: V) -> V {
        _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(a), _mm256_castps_pd(b)))
    }
    let z = V()
    // u<k mod 4>: rows 0…3 of k (low half) and k + 4 (high half); w<k mod 4>: rows 4, 5 and two zeros.
    let u0 = lo(t0, t2), u1 = hi(t0, t2), u2 = lo(t1, t3), u3 = hi(t1, t3)
    let w0 = lo(t4, z), w1 = hi(t4, z), w2 = lo(t5, z), w3 = hi(t5, z)
    let o = UnsafeMutableRawPointer(d)
    // Column k is 8 floats at d + 6k whose last two lanes the next column overwrites; the last is masked.
    o.storeBytes(of: V(lowHalf: u0.lowHalf, highHalf: w0.lowHalf), toByteOffset: 0, as: V.self)
    o.storeBytes(of: V(lowHalf: u1.lowHalf, highHalf: w1.lowHalf), toByteOffset: 24, as: V.self)
    o.storeBytes(of: V(lowHalf: u2.lowHalf, highHalf: w2.lowHalf), toByteOffset: 48, as: V.self)
    o.storeBytes(of: V(lowHalf: u3.lowHalf, highHalf: w3.lowHalf), toByteOffset: 72, as: V.self)
    o.storeBytes(of: V(lowHalf: u0.highHalf, highHalf: w0.highHalf), toByteOffset: 96, as: V.self)
    o.storeBytes(of: V(lowHalf: u1.highHalf, highHalf: w1.highHalf), toByteOffset: 120, as: V.self)
    o.storeBytes(of: V(lowHalf: u2.highHalf, highHalf: w2.highHalf), toByteOffset: 144, as: V.self)
    let six = SIMD4<Int64>(-1, -1, -1, 0)
    _mm256_maskstore_ps(d + 42, six, V(lowHalf: u3.highHalf, highHalf: w3.highHalf))
    #else
    for k in 0..<8 { for r in 0..<6 { d[k * 6 + r] = p[r * lda + k] } }
    #endif
}

/// Packs columns `j0 ..< j0+nc`, depth `k0 ..< k0+kc` of row-major B (`b[k·ldb + j]`) into F32 panels
/// `// [ceil(nc/16), kc, 16]`. (Transposed B goes the dot path, GEMM+DotTile.swift.)
@inline(__always)
func packB(_ b: UnsafePointer<Float>, ldb: Int, k0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
    var jr = 0
    var d = dst
    while jr < nc {
        let nr = min(microCols, nc - jr)
        for k in 0..<kc {
            let src = b + (k0 + k) * ldb + j0 + jr
            let row = d + k * microCols
            if nr == microCols {
                UnsafeMutableRawPointer(row).storeBytes(of: UnsafeRawPointer(src).loadUnaligned(as: SIMD16<Float>.self),
                                                        as: SIMD16<Float>.self)
            } else {
                for c in 0..<microCols { row[c] = c < nr ? src[c] : 0 }
            }
        }
        d += kc * microCols
        jr += microCols
    }
}

/// Writes `mr` rows × `nr` (≤ 16) columns of an accumulator tile (rows `tileStride` apart) into C.
@inline(__always)
func storeTile(_ tile: UnsafeMutablePointer<Float>, tileStride: Int = microCols, _ out: OutputSpec, row: Int,
               col: Int, mr: Int, nr: Int, first: Bool) {
    let alpha = out.alpha
    for r in 0..<mr {
        let c = out.c + (row + r) * out.ldc + col
        let t = tile + r * tileStride
        if nr == microCols {
            let craw = UnsafeMutableRawPointer(c)
            let traw = UnsafeRawPointer(t)
            var v0 = traw.loadUnaligned(as: SIMD8<Float>.self) * alpha
            var v1 = traw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) * alpha
            if !first || out.beta != 0 {
                let scale: Float = first ? out.beta : 1
                v0.addProduct(SIMD8<Float>(repeating: scale), craw.loadUnaligned(as: SIMD8<Float>.self))
                v1.addProduct(SIMD8<Float>(repeating: scale), craw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            }
            if first, let bias = out.bias {
                let braw = UnsafeRawPointer(bias + col)
                v0 += braw.loadUnaligned(as: SIMD8<Float>.self)
                v1 += braw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            }
            craw.storeBytes(of: v0, as: SIMD8<Float>.self)
            craw.storeBytes(of: v1, toByteOffset: 32, as: SIMD8<Float>.self)
        } else {
            for j in 0..<nr {
                var v = alpha * t[j]
                if !first { v += c[j] } else if out.beta != 0 { v = v.addingProduct(out.beta, c[j]) }  // fused, as the vector path
                if first, let bias = out.bias { v += bias[col + j] }
                c[j] = v
            }
        }
    }
}

/// C[rows, cols] (+)= A-block · B-block for one packed A block `// [ceil(mc/6), kc, 6]` and B panels
/// starting at `b`, `panelBytes` apart; `row`/`col` locate the block in C. `kc` may span several
/// `blockK` blocks: each micro-tile runs them in turn, each block summed from 0 and added to C.
@inline(__always)
func macroKernel<S: PanelSource>(_ s: S.Type, mc: Int, nc: Int, kc: Int, a: UnsafePointer<Float>,
                                 b: UnsafeRawPointer, panelBytes: Int, out: OutputSpec, row: Int, col: Int,
                                 first: Bool, tile: UnsafeMutablePointer<Float>) {
    var jr = 0
    while jr < nc {
        let nr = min(microCols, nc - jr)
        let bp = b + (jr / microCols) * panelBytes
        var ir = 0
        while ir < mc {
            let mr = min(microRows, mc - ir)
            var p0 = 0
            while p0 < kc {
                let kb = min(blockK, kc - p0), firstBlock = first && p0 == 0
                let ap = a + ir * kc + p0 * microRows, bk = bp + p0 * S.rowBytes
                if mr == microRows && nr == microCols && out.alpha == 1 && (!firstBlock || out.beta == 0) {
                    // Full tile: straight into C, no round trip through the tile buffer.
                    let mode: DirectOutput = !firstBlock ? .accumulate : (out.bias == nil ? .store : .storeWithBias)
                    microKernelDirect(s, kc: kb, a: ap, b: bk, c: out.c + (row + ir) * out.ldc + col + jr,
                                      ldc: out.ldc, mode: mode, bias: out.bias.map { $0 + col + jr })
                } else {
                    microKernel(s, rows: mr, kc: kb, a: ap, b: bk, tile: tile)
                    storeTile(tile, out, row: row + ir, col: col + jr, mr: mr, nr: nr, first: firstBlock)
                }
                p0 += kb
            }
            ir += microRows
        }
        jr += microCols
    }
}

/// The AVX-512 macro-kernel: as `macroKernel` with 8×48 tiles (three panels at a time). With
/// `aRows` (op(A) row `row`, column k0, rows `lda` apart) full 8-row groups read A in place and only
/// the last, partial group comes from the packed `a` (at its usual offset `ir·kc`).
@inline(__always)
func macroKernel512(mc: Int, nc: Int, kc: Int, a: UnsafePointer<Float>, aRows: UnsafePointer<Float>?, lda: Int,
                    b: UnsafeRawPointer, panelBytes: Int, out: OutputSpec, row: Int, col: Int, first: Bool,
                    tile: UnsafeMutablePointer<Float>) {
    var jr = 0
    while jr < nc {
        let ncr = min(avx512MicroCols, nc - jr)
        let panels = (ncr + microCols - 1) / microCols
        let bp = b + (jr / microCols) * panelBytes
        var ir = 0
        while ir < mc {
            let mr = min(avx512MicroRows, mc - ir)
            let inPlace = aRows != nil && mr == avx512MicroRows
            if mr == avx512MicroRows && ncr == panels * microCols && out.alpha == 1 && (!first || out.beta == 0) {
                let output: DirectOutput = !first ? .accumulate : (out.bias == nil ? .store : .storeWithBias)
                let c = out.c + (row + ir) * out.ldc + col + jr
                let bias = out.bias.map { $0 + col + jr }
                if inPlace {
                    avx512TileDirectRows(kc: kc, a: aRows! + ir * lda, lda: lda, b: bp, panelBytes: panelBytes,
                                         panels: panels, c: c, ldc: out.ldc, output: output, bias: bias)
                } else {
                    avx512TileDirect(kc: kc, a: a + ir * kc, b: bp, panelBytes: panelBytes, panels: panels,
                                     c: c, ldc: out.ldc, output: output, bias: bias)
                }
                ir += avx512MicroRows
                continue
            }
            if inPlace {
                avx512TileDirectRows(kc: kc, a: aRows! + ir * lda, lda: lda, b: bp, panelBytes: panelBytes,
                                     panels: panels, c: tile, ldc: avx512MicroCols, output: .store, bias: nil)
            } else {
                avx512Tile(kc: kc, a: a + ir * kc, b: bp, panelBytes: panelBytes, panels: panels, tile: tile)
            }
            for s in 0..<panels {
                storeTile(tile + s * microCols, tileStride: avx512MicroCols, out, row: row + ir,
                          col: col + jr + s * microCols, mr: mr, nr: min(microCols, ncr - s * microCols), first: first)
            }
            ir += avx512MicroRows
        }
        jr += avx512MicroCols
    }
}

/// Packs A for one block: everything for the AVX2 kernel or transposed A; for the AVX-512 kernel on
/// row-major A only the last partial 8-row group (the rest is read in place). Returns the in-place
/// row pointer, if any. In place wins when few columns share the packing (attention's P·V: 1.5–2×
/// at head dim 16) or kc is full (linear: equal or slightly better); with short kc and many columns
/// (Q·Kᵀ at head dim 64) packing is ~15% faster.
@inline(__always)
func prepareA(_ a: UnsafePointer<Float>, lda: Int, transposed: Bool, i0: Int, mc: Int, k0: Int, kc: Int, nc: Int,
              wide: Bool, into dst: UnsafeMutablePointer<Float>) -> UnsafePointer<Float>? {
    guard wide && !transposed && aInPlace && (kc >= 128 || nc <= 64) else {
        packA(a, lda: lda, transposed: transposed, i0: i0, mc: mc, k0: k0, kc: kc,
              microRows: wide ? avx512MicroRows : microRows, into: dst)
        return nil
    }
    let full = mc / avx512MicroRows * avx512MicroRows
    if full < mc {
        packA(a, lda: lda, transposed: false, i0: i0 + full, mc: mc - full, k0: k0, kc: kc,
              microRows: avx512MicroRows, into: dst + full * kc)
    }
    return a + i0 * lda + k0
}

/// Whether the AVX-512 path reads row-major A in place (`TRELLIS_GEMM_PACK_A=1` packs it instead).
let aInPlace = ProcessInfo.processInfo.environment["TRELLIS_GEMM_PACK_A"] != "1"

/// Scratch buffers of one worker.
struct GemmScratch {
    let a: UnsafeMutablePointer<Float>
    let b: UnsafeMutablePointer<Float>?
    let tile: UnsafeMutablePointer<Float>

    /// `dot`: buffers for the dot path (`gemmTileDot`), else for the packed-panel kernels.
    /// Floats of `a` for the packed-panel kernels.
    static var packedACapacity: Int { blockM * blockK * avx2DepthBlocks }

    init(packB: Bool, dot: Bool = false) {
        a = .allocate(capacity: dot ? dotBlockM * dotBlockK : Self.packedACapacity)
        // The AVX-512 dot tile packs a whole block of B; the AVX2 one only a last, partial group of four.
        let dotB = (CPU.avx512Active ? dotBlockN : 4) * dotBlockK
        b = dot ? .allocate(capacity: dotB) : packB ? .allocate(capacity: blockN * blockK * avx2DepthBlocks) : nil
        tile = .allocate(capacity: avx512MicroRows * avx512MicroCols)
    }

    func free() {
        a.deallocate()
        b?.deallocate()
        tile.deallocate()
    }
}

/// Splits C `[m, n]` into rectangular tiles of whole panels for `threads` workers: about two tiles per
/// worker (handed out dynamically, so a worker slowed by other processes on a shared machine does
/// fewer). Every column part re-packs all of A's rows and every row part re-streams all of B, so the
/// split minimises m·colParts + n·rowParts: colParts ≈ √(tiles·n/m). Rows split in multiples of 24
/// (whole micro-tiles of both kernels), columns in whole panels (at least 6 per part).
func tilePlan(m: Int, n: Int, threads: Int) -> [(rows: Range<Int>, cols: Range<Int>)] {
    if threads <= 1 { return [(0..<m, 0..<n)] }
    let panels = (n + microCols - 1) / microCols
    let target = threads * 2
    let maxCols = max(1, panels / 6), maxRows = max(1, m / 24)
    var colParts = Int((Double(target) * Double(n) / Double(max(m, 1))).squareRoot().rounded())
    colParts = max(1, min(colParts, maxCols, target))
    var rowParts = max(1, min(target / colParts, maxRows))
    // A tile count that is a multiple of the thread count keeps equal workers equally busy.
    if (colParts * rowParts) % threads != 0 {
        for c in [colParts + 1, colParts - 1, colParts + 2, colParts - 2] where c >= 1 && c <= maxCols {
            let r = max(1, min(target / c, maxRows))
            if (c * r) % threads == 0 { colParts = c; rowParts = r; break }
        }
    }
    if colParts * rowParts < threads {
        // Small C: use every worker, even with narrower tiles.
        colParts = min(max(colParts, (threads + rowParts - 1) / rowParts), panels)
        rowParts = max(1, min((threads + colParts - 1) / colParts, (m + 5) / 6))
    }
    var tiles: [(Range<Int>, Range<Int>)] = []
    for rp in 0..<rowParts {
        let r0 = rp * m / rowParts / 24 * 24
        let r1 = rp == rowParts - 1 ? m : (rp + 1) * m / rowParts / 24 * 24
        if r0 >= r1 { continue }
        for cp in 0..<colParts {
            let c0 = cp * panels / colParts * microCols
            let c1 = min(n, (cp + 1) * panels / colParts * microCols)
            if c0 < c1 { tiles.append((r0..<r1, c0..<c1)) }
        }
    }
    return tiles
}

/// Estimated nanoseconds for 2·m·n·k flops, at a conservative 50 GFLOP/s per thread.
@inline(__always)
func gemmWorkNanoseconds(m: Int, n: Int, k: Int) -> Double {
    Double(2 * m) * Double(n) * Double(k) / 50
}
