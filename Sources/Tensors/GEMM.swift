import TensorsAVX512

/// C `[m, n]` = α · op(A) · op(B) + β · C, single precision, row-major with leading dimensions.
///
/// op(A) is `[m, k]`: `A[i·lda + p]`, or `A[p·lda + i]` when `transposeA`. op(B) is `[k, n]`:
/// `B[p·ldb + j]`, or `B[j·ldb + p]` when `transposeB` (so `x·Wᵀ` with W `[n, k]` is `transposeB: true`).
/// When β is 0, C is not read (it may hold NaN). Multi-threaded over tiles of C when worth it.
public func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
                 c: UnsafeMutablePointer<Float>, ldc: Int) {
    Profiler.time(.gemm) {
        gemmUntimed(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                    b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

/// `gemm` without the profiler region (for `gemmBatched`, already inside one).
func gemmUntimed(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
                 c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0 && n > 0 else { return }
    let out = OutputSpec(c: c, ldc: ldc, alpha: alpha, beta: beta, bias: nil)
    if k == 0 { scaleOutput(out, m: m, n: n); return }
    if m <= fewRowsLimit {
        gemmFewRows(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                    b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    let threads = Parallel.usefulThreads(forWork: gemmWorkNanoseconds(m: m, n: n, k: k))
    let tiles = tilePlan(m: m, n: n, threads: threads)
    let wide = useWideKernel(m: m)
    Parallel.forEach(chunks: tiles.count) { t in
        let scratch = GemmScratch(packB: true, dot: transposeB)
        defer { scratch.free() }
        gemmTile(transposeA: transposeA, transposeB: transposeB, rows: tiles[t].rows, cols: tiles[t].cols, k: k,
                 a: a, lda: lda, b: b, ldb: ldb, out: out, scratch: scratch, wide: wide)
    }
}

/// `batchCount` independent GEMMs (as `gemm`), matrix `i` at `a + i·strideA`, `b + i·strideB`,
/// `c + i·strideC` — attention's Q·Kᵀ and P·V over `[B·H]` heads. Threads over the batch.
public func gemmBatched(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                        a: UnsafePointer<Float>, lda: Int, strideA: Int,
                        b: UnsafePointer<Float>, ldb: Int, strideB: Int, beta: Float = 0,
                        c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int, batchCount: Int) {
    Profiler.time(.gemm) {
        gemmBatchedUntimed(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a,
                           lda: lda, strideA: strideA, b: b, ldb: ldb, strideB: strideB, beta: beta, c: c, ldc: ldc,
                           strideC: strideC, batchCount: batchCount)
    }
}

func gemmBatchedUntimed(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                        a: UnsafePointer<Float>, lda: Int, strideA: Int,
                        b: UnsafePointer<Float>, ldb: Int, strideB: Int, beta: Float,
                        c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int, batchCount: Int) {
    guard batchCount > 0 && m > 0 && n > 0 else { return }
    let work = gemmWorkNanoseconds(m: m, n: n, k: max(k, 1))
    let threads = Parallel.usefulThreads(forWork: work * Double(batchCount))
    if batchCount < threads {
        // Few large products: let each one use every thread.
        for i in 0..<batchCount {
            gemmUntimed(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                 a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb, beta: beta,
                 c: c + i * strideC, ldc: ldc)
        }
        return
    }
    let chunks = min(batchCount, threads * 4)
    let wide = useWideKernel(m: m)
    Parallel.forEach(chunks: chunks) { chunk in
        let scratch = GemmScratch(packB: true, dot: transposeB)
        defer { scratch.free() }
        for i in (chunk * batchCount / chunks)..<((chunk + 1) * batchCount / chunks) {
            let out = OutputSpec(c: c + i * strideC, ldc: ldc, alpha: alpha, beta: beta, bias: nil)
            if k == 0 { scaleOutput(out, m: m, n: n); continue }
            if m <= fewRowsLimit {
                // Decoding attention (one query row per head): dot products beat packing K or V.
                gemmFewRows(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                            a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb, beta: beta,
                            c: c + i * strideC, ldc: ldc, threaded: false)
                continue
            }
            gemmTile(transposeA: transposeA, transposeB: transposeB, rows: 0..<m, cols: 0..<n, k: k,
                     a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb, out: out, scratch: scratch,
                     wide: wide)
        }
    }
}

/// out `[m, N]` = x `[m, K]` · Wᵀ + bias, with W packed once (`PackedWeights`, `[N, K]`), bias `[N]` or nil.
/// Rows of x and out are contiguous (leading dimension K and N). Multi-threaded when worth it.
public func linear(_ x: UnsafePointer<Float>, rows m: Int, weights w: PackedWeights, bias: UnsafePointer<Float>?,
                   out: UnsafeMutablePointer<Float>) {
    Profiler.time(.gemm) { linearUntimed(x, rows: m, weights: w, bias: bias, out: out) }
}

func linearUntimed(_ x: UnsafePointer<Float>, rows m: Int, weights w: PackedWeights, bias: UnsafePointer<Float>?,
                   out: UnsafeMutablePointer<Float>) {
    let n = w.outFeatures, k = w.inFeatures
    guard m > 0 && n > 0 else { return }
    let spec = OutputSpec(c: out, ldc: n, alpha: 1, beta: 0, bias: bias)
    if k == 0 { scaleOutput(spec, m: m, n: n); return }
    if w.bf16Pairs {
        linearBF16Pairs(x, rows: m, weights: w, bias: bias, out: out)
        return
    }
    if m <= rowKernelLimit && !useWideKernel(m: m) {
        linearRows(x, rows: m, weights: w, bias: bias, out: out)
        return
    }
    // A few rows against large weights are bound by reading them: as many threads as that takes.
    let threads = max(Parallel.usefulThreads(forWork: gemmWorkNanoseconds(m: m, n: n, k: k)),
                      m <= rowKernelLimit ? weightStreamingThreads(bytes: w.byteCount) : 1)
    let tiles = tilePlan(m: m, n: n, threads: threads)
    let wide = useWideKernel(m: m)
    Parallel.forEach(chunks: tiles.count) { t in
        let scratch = GemmScratch(packB: wide && w.storage == .bf16)
        defer { scratch.free() }
        switch w.storage {
        case .f32: linearTile(F32Panel.self, x: x, rows: tiles[t].rows, cols: tiles[t].cols, weights: w,
                              out: spec, scratch: scratch, wide: wide)
        case .bf16: linearTile(BF16Panel.self, x: x, rows: tiles[t].rows, cols: tiles[t].cols, weights: w,
                               out: spec, scratch: scratch, wide: wide)
        }
    }
}

/// One tile of a general GEMM on the calling thread (`wide`: the AVX-512 kernel; transposed B: the dot path).
func gemmTile(transposeA: Bool, transposeB: Bool, rows: Range<Int>, cols: Range<Int>, k: Int,
              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, out: OutputSpec,
              scratch: GemmScratch, wide: Bool) {
    if transposeB {
        gemmTileDot(transposeA: transposeA, rows: rows, cols: cols, k: k, a: a, lda: lda, b: b, ldb: ldb, out: out,
                    scratch: scratch)
        return
    }
    let bPack = scratch.b!
    blockedTile(F32Panel.self, a: a, lda: lda, transposeA: transposeA, rows: rows, cols: cols, k: k, out: out,
                scratch: scratch, wide: wide) { jc, nc, pc, kc in
        packB(b, ldb: ldb, k0: pc, kc: kc, j0: jc, nc: nc, into: bPack)
        return (UnsafeRawPointer(bPack), kc * F32Panel.rowBytes)
    }
}

/// One tile of `linear` on the calling thread; B comes straight from the pre-packed weights (the
/// AVX-512 kernel reads F32 only, so BF16 blocks are widened into scratch first, once per M sweep).
@inline(__always)
func linearTile<S: PanelSource>(_ s: S.Type, x: UnsafePointer<Float>, rows: Range<Int>, cols: Range<Int>,
                                weights w: PackedWeights, out: OutputSpec, scratch: GemmScratch, wide: Bool) {
    let k = w.inFeatures
    blockedTile(s, a: x, lda: k, transposeA: false, rows: rows, cols: cols, k: k, out: out, scratch: scratch,
                wide: wide) { jc, nc, pc, kc in
        let b = UnsafeRawPointer(w.base) + (jc / microCols) * w.panelBytes + pc * S.rowBytes
        guard wide && S.rowBytes != F32Panel.rowBytes else { return (b, w.panelBytes) }
        widenBF16Block(b, panelBytes: w.panelBytes, panels: (nc + microCols - 1) / microCols, kc: kc, into: scratch.b!)
        return (UnsafeRawPointer(scratch.b!), kc * F32Panel.rowBytes)
    }
}

/// The cache blocking both tile functions run: column blocks of `blockN`, depth blocks of `blockK` (on the
/// AVX2 kernel, `avx2DepthBlocks` of them per pass) whose panels `bBlock(jc, nc, pc, kc)` provides (with
/// their panel stride), row blocks of `blockM` packed from A, each handed to the AVX-512 (`wide`) or AVX2
/// macro-kernel; the first depth block stores, later ones add.
@inline(__always)
func blockedTile<S: PanelSource>(_ s: S.Type, a: UnsafePointer<Float>, lda: Int, transposeA: Bool, rows: Range<Int>,
                                 cols: Range<Int>, k: Int, out: OutputSpec, scratch: GemmScratch, wide: Bool,
                                 bBlock: (_ jc: Int, _ nc: Int, _ pc: Int, _ kc: Int) -> (UnsafeRawPointer, Int)) {
    // One AVX-512 row tile (≤ 8 rows: decoding a batch) sweeps each 48-column group down all of K before the
    // next, so a thread streams three panels of weights at a time instead of a `blockN` block's 48 (same block
    // sums, added in the same order). Its A is read in place, or packed once for all of K (`// [k, 8]`).
    let oneTile = wide && rows.count <= avx512MicroRows
    let inPlace = oneTile && rows.count == avx512MicroRows && !transposeA && aInPlace
    let prepacked = oneTile && !inPlace && k * avx512MicroRows <= GemmScratch.packedACapacity
    if prepacked {
        packA(a, lda: lda, transposed: transposeA, i0: rows.lowerBound, mc: rows.count, k0: 0, kc: k,
              microRows: avx512MicroRows, into: scratch.a)
    }
    let columnBlock = inPlace || prepacked ? avx512MicroCols : blockN
    var jc = cols.lowerBound
    while jc < cols.upperBound {
        let nc = min(columnBlock, cols.upperBound - jc)
        var pc = 0
        while pc < k {
            let kc = min(wide ? blockK : blockK * avx2DepthBlocks, k - pc)
            let (b, panelBytes) = bBlock(jc, nc, pc, kc)
            var ic = rows.lowerBound
            while ic < rows.upperBound {
                let mc = min(blockM, rows.upperBound - ic)
                if prepacked {
                    macroKernel512(mc: mc, nc: nc, kc: kc, a: scratch.a + pc * avx512MicroRows, aRows: nil, lda: lda,
                                   b: b, panelBytes: panelBytes, out: out, row: ic, col: jc, first: pc == 0,
                                   tile: scratch.tile)
                    ic += mc
                    continue
                }
                let aRows = prepareA(a, lda: lda, transposed: transposeA, i0: ic, mc: mc, k0: pc, kc: kc, nc: nc, wide: wide,
                                     into: scratch.a)
                if wide {
                    macroKernel512(mc: mc, nc: nc, kc: kc, a: scratch.a, aRows: aRows, lda: lda, b: b,
                                   panelBytes: panelBytes, out: out, row: ic, col: jc, first: pc == 0, tile: scratch.tile)
                } else {
                    macroKernel(s, mc: mc, nc: nc, kc: kc, a: scratch.a, b: b, panelBytes: panelBytes, out: out,
                                row: ic, col: jc, first: pc == 0, tile: scratch.tile)
                }
                ic += mc
            }
            pc += kc
        }
        jc += nc
    }
}

/// Widens `panels` BF16 panel slices of depth `kc` (each `panelBytes` apart) into contiguous F32 panels
/// `// [panels, kc, 16]`.
@inline(__always)
func widenBF16Block(_ src: UnsafeRawPointer, panelBytes: Int, panels: Int, kc: Int,
                    into dst: UnsafeMutablePointer<Float>) {
    for p in 0..<panels {
        var s = src + p * panelBytes
        var d = UnsafeMutableRawPointer(dst + p * kc * microCols)
        for _ in 0..<kc {
            let (lo, hi) = BF16Panel.load(s)
            d.storeBytes(of: lo, as: SIMD8<Float>.self)
            d.storeBytes(of: hi, toByteOffset: 32, as: SIMD8<Float>.self)
            s += BF16Panel.rowBytes
            d += F32Panel.rowBytes
        }
    }
}

/// Threads worth reading `bytes` of weights once (batch-1 and batch-2 `linear`, memory-bound): ~20 GB/s
/// per thread out of cache (AVX2 `bench gemm --decode`: F32 24, BF16 20), and a second thread pays off
/// from ~25 µs of streaming, as it adds bandwidth rather than only compute. (10 GB/s against the 100 µs
/// default left a 768 × 768 BF16 projection on one thread: 12 × 768 BF16 decode +6 % on AVX2, median of
/// eight alternations; F32 unchanged.)
@inline(__always)
func weightStreamingThreads(bytes: Int) -> Int {
    Parallel.usefulThreads(forWork: Double(bytes) / 20, perThread: 25_000)
}

/// Up to this many rows, `linear` runs `linearRows` (no packing of x, threads over panels), except that with
/// AVX-512 active five rows and more take its 8-row tile: one read of each weight for all rows, where
/// `linearRows` reads a panel once per four rows (out of cache, 4096 × 4096, 2 threads, Zen 4: 5…8 rows
/// 89–141 GFLOP/s on the tile, 73–111 in fours).
let rowKernelLimit = 8

/// `linear` for 1…`rowKernelLimit` rows (decoding a few sequences): the rows against every panel, each weight
/// read from memory once, threads over panels (memory-bound at one or two rows). Three or more rows take one
/// panel per pass, four rows at a time (eight chains), the second four reading the panel again from L1/L2.
/// The blocked tile path ran 3…8 rows at 68–141 GFLOP/s where this runs ~150–200: its 6-row (AVX2) or 8-row
/// (AVX-512) tile partly empty, x packed per block, and one thread below ~118 µs of estimated work (Zen 4,
/// 2 threads, `bench gemm --rows 3,…,8`, 768 × 768 in cache and 4096 × 4096 out of it).
func linearRows(_ x: UnsafePointer<Float>, rows m: Int, weights w: PackedWeights, bias: UnsafePointer<Float>?,
                out: UnsafeMutablePointer<Float>) {
    let n = w.outFeatures, k = w.inFeatures
    // Reading the weights decides at one or two rows; the flops can ask for more threads from three on.
    let threads = max(weightStreamingThreads(bytes: w.byteCount),
                      Parallel.usefulThreads(forWork: gemmWorkNanoseconds(m: m, n: n, k: k)))
    // Two panels per pass (two weight streams per thread), except one BF16 row, which takes four. Over a 1B
    // model's weights, Zen 4 read the same 34 GB/s with one, two or four panels; a Zen 5 guest reads DRAM
    // slower with more streams in flight (a C copy of this loop over the 1B decode shapes, 2 threads, in-process
    // alternation: four panels 25 GB/s, two 36, 20 of 20; one the same as two), though in the real 1B F32
    // decode two panels gained only ~4 % (per-token alternation, 9 of 12). BF16 widening costs more per byte: on an
    // Intel Emerald Rapids guest one BF16 panel's chains could not keep up with memory (604 MB of weights,
    // `bench gemm --decode`, 1 / 2 threads: one panel 8.5–9.8 / 16.6–18.6 GB/s, four 12.7–12.8 / 23.5–25.0),
    // so BF16 keeps four until two are measured there.
    let per = m == 1 && w.storage == .bf16 ? 4 : m <= 2 ? 2 : 1
    let groups = (w.panelCount + per - 1) / per
    let chunks = threads == 1 ? 1 : min(groups, threads * 4)
    Parallel.forEach(chunks: chunks) { chunk in
        // Outputs `// [m, per·16]` and bias of a group that runs past n, zero-padded to whole panels.
        let tail = UnsafeMutablePointer<Float>.allocate(capacity: m * 4 * microCols)
        let tailBias = UnsafeMutablePointer<Float>.allocate(capacity: 4 * microCols)
        defer { tail.deallocate(); tailBias.deallocate() }
        for g in (chunk * groups / chunks)..<((chunk + 1) * groups / chunks) {
            let panels = min(per, w.panelCount - per * g), col = per * g * microCols
            let inside = col + panels * microCols <= n
            var groupBias = bias.map { $0 + col }
            if let bias, !inside {
                for j in 0..<(panels * microCols) { tailBias[j] = col + j < n ? bias[col + j] : 0 }
                groupBias = UnsafePointer(tailBias)
            }
            let b = UnsafeRawPointer(w.base) + per * g * w.panelBytes
            let dst = inside ? out + col : tail, ldo = inside ? n : per * microCols
            @inline(__always) func run<S: PanelSource, R: StaticCount, P: StaticCount>(_ s: S.Type, _ r: R.Type,
                                                                                         _ p: P.Type, row: Int = 0) {
                rowKernel(s, r, p, k: k, x: x + row * k, ldx: k, b: b, panelBytes: w.panelBytes,
                          bias: groupBias, out: dst + row * ldo, ldo: ldo)
            }
            @inline(__always) func runPanels<S: PanelSource>(_ s: S.Type) {
                switch (m, panels) {
                case (1, 4): run(s, One.self, Four.self)
                case (1, 3): run(s, One.self, Three.self)
                case (1, 2): run(s, One.self, Two.self)
                case (1, _): run(s, One.self, One.self)
                case (2, 2): run(s, Two.self, Two.self)
                case (2, _): run(s, Two.self, One.self)
                default:
                    // One panel, four rows at a time.
                    var r0 = 0
                    while r0 < m {
                        switch m - r0 {
                        case 1: run(s, One.self, One.self, row: r0)
                        case 2: run(s, Two.self, One.self, row: r0)
                        case 3: run(s, Three.self, One.self, row: r0)
                        default: run(s, Four.self, One.self, row: r0)
                        }
                        r0 += 4
                    }
                }
            }
            switch w.storage {
            case .f32: runPanels(F32Panel.self)
            case .bf16: runPanels(BF16Panel.self)
            }
            if !inside {
                for r in 0..<m { (out + r * n + col).update(from: tail + r * ldo, count: n - col) }
            }
        }
    }
}

/// Up to this many rows of C, `gemm` skips packing (see `gemmFewRows`).
let fewRowsLimit = 4

/// The AVX-512 8×48 kernel pays off once there are enough rows to fill its tiles.
@inline(__always)
func useWideKernel(m: Int) -> Bool { CPU.avx512Active && m >= 5 }

/// C = β·C (+ bias) for an empty inner dimension.
func scaleOutput(_ out: OutputSpec, m: Int, n: Int) {
    for i in 0..<m {
        for j in 0..<n {
            let p = out.c + i * out.ldc + j
            p.pointee = (out.beta == 0 ? 0 : out.beta * p.pointee) + (out.bias?[j] ?? 0)
        }
    }
}
