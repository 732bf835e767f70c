// Cache blocking around the micro-kernel (the BLIS loop nest): for each block of N (nc columns, the
// B block stays in L2/L3) and of K (kc, so one B panel slice of kc×16 stays in L1), pack an mc×kc block
// of A and sweep it against every panel of the block.

/// Depth of one K block.
let blockK = 256
/// Rows of A packed at a time (a multiple of `microRows`).
let blockM = 96
/// Columns of B per block (a multiple of `microCols`).
let blockN = 1536

/// Where C goes and how: C = α·acc + β·C (+ bias) on the first K block, C += α·acc on later ones.
struct OutputSpec {
    var c: UnsafeMutablePointer<Float>
    var ldc: Int
    var alpha: Float
    var beta: Float
    /// Bias per output column, added once (first K block); already offset to column 0 of `c`.
    var bias: UnsafePointer<Float>?
}

/// Packs rows `i0 ..< i0+mc`, depth `k0 ..< k0+kc` of op(A) into micro-panels `// [ceil(mc/6), kc, 6]`,
/// zero-padding the last panel. op(A)[i, k] is `a[i·lda + k]`, or `a[k·lda + i]` when transposed.
@inline(__always)
func packA(_ a: UnsafePointer<Float>, lda: Int, transposed: Bool, i0: Int, mc: Int, k0: Int, kc: Int,
           into dst: UnsafeMutablePointer<Float>) {
    var ir = 0
    var d = dst
    while ir < mc {
        let mr = min(microRows, mc - ir)
        if !transposed {
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

/// Packs columns `j0 ..< j0+nc`, depth `k0 ..< k0+kc` of op(B) into F32 panels `// [ceil(nc/16), kc, 16]`.
/// op(B)[k, j] is `b[k·ldb + j]`, or `b[j·ldb + k]` when transposed.
@inline(__always)
func packB(_ b: UnsafePointer<Float>, ldb: Int, transposed: Bool, k0: Int, kc: Int, j0: Int, nc: Int,
           into dst: UnsafeMutablePointer<Float>) {
    var jr = 0
    var d = dst
    while jr < nc {
        let nr = min(microCols, nc - jr)
        if !transposed {
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
        } else {
            for c in 0..<microCols {
                if c < nr {
                    let src = b + (j0 + jr + c) * ldb + k0
                    for k in 0..<kc { d[k * microCols + c] = src[k] }
                } else {
                    for k in 0..<kc { d[k * microCols + c] = 0 }
                }
            }
        }
        d += kc * microCols
        jr += microCols
    }
}

/// Writes a 6×16 accumulator tile (`mr`×`nr` of it valid) into C.
@inline(__always)
func storeTile(_ tile: UnsafeMutablePointer<Float>, _ out: OutputSpec, row: Int, col: Int, mr: Int, nr: Int,
               first: Bool) {
    let alpha = out.alpha
    for r in 0..<mr {
        let c = out.c + (row + r) * out.ldc + col
        let t = tile + r * microCols
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
                if !first { v += c[j] } else if out.beta != 0 { v += out.beta * c[j] }
                if first, let bias = out.bias { v += bias[col + j] }
                c[j] = v
            }
        }
    }
}

/// C[rows, cols] (+)= A-block · B-block for one packed A block `// [ceil(mc/6), kc, 6]` and B panels
/// starting at `b`, `panelBytes` apart; `row`/`col` locate the block in C.
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
            microKernel6x16(s, kc: kc, a: a + ir * kc, b: bp, tile: tile)
            storeTile(tile, out, row: row + ir, col: col + jr, mr: mr, nr: nr, first: first)
            ir += microRows
        }
        jr += microCols
    }
}

/// Scratch buffers of one worker.
struct GemmScratch {
    let a: UnsafeMutablePointer<Float>
    let b: UnsafeMutablePointer<Float>?
    let tile: UnsafeMutablePointer<Float>

    init(packB: Bool) {
        a = .allocate(capacity: blockM * blockK)
        b = packB ? .allocate(capacity: blockN * blockK) : nil
        tile = .allocate(capacity: microRows * microCols)
    }

    func free() {
        a.deallocate()
        b?.deallocate()
        tile.deallocate()
    }
}

/// Splits C `[m, n]` into at most `threads` rectangular tiles of whole panels, preferring column
/// splits (each worker then streams only its share of the weights).
func tilePlan(m: Int, n: Int, threads: Int) -> [(rows: Range<Int>, cols: Range<Int>)] {
    let panels = (n + microCols - 1) / microCols
    if threads <= 1 { return [(0..<m, 0..<n)] }
    // Column split when every tile keeps ≥ 4 panels; otherwise split rows too.
    var colParts = min(threads, max(1, panels / 4))
    var rowParts = max(1, min(threads / colParts, (m + microRows * 4 - 1) / (microRows * 4)))
    if colParts * rowParts < threads && panels >= threads { colParts = threads; rowParts = 1 }
    var tiles: [(Range<Int>, Range<Int>)] = []
    for rp in 0..<rowParts {
        let r0 = rp * m / rowParts / microRows * microRows
        let r1 = rp == rowParts - 1 ? m : (rp + 1) * m / rowParts / microRows * microRows
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
