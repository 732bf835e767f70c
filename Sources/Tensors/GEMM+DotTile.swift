import TensorsAVX512

// Many-row C = α·op(A)·Bᵀ in the dot order (see GEMM+Dot.swift): blocks of A are packed into
// chunk-interleaved groups `// [chunks, 3, 8]` of three rows, zero-padded to whole chunks and groups (a zero
// product adds +0 to a lane sum, which never holds −0, so the padding does not change a bit); each group
// of four columns of op(B) (rows of B, contiguous in K like A's) stays in L1 while the A block streams
// from L2. The AVX2 kernel reads those four rows of B where they lie (packing B cost up to 10 % at M = 128,
// where each column is used by few rows); the AVX-512 tile, and the AVX2 kernel when K spans several
// blocks and three or more row blocks reuse the packing, read them packed `// [chunks, 4, 8]`.

/// Columns of op(B) per block of the dot path: how many share one packing of the A block (and, for the
/// AVX-512 tile, the B block packed beside it). 768 rather than 384 (A packed half as often): 1–2 % at
/// 512 × 3072 × 768 on both kernels; 384 had beaten 192 by 3–8 % at K = 3072; the whole width (3072)
/// lost 8 % (`bench gemm`, Zen 4).
let dotBlockN = 768
/// Rows of A per packed block of the dot path (a multiple of 6: whole AVX-512 tiles).
let dotBlockM = 96

/// One tile of C = α·op(A)·Bᵀ (+ β·C) on the calling thread (column j of op(B) is the row `b + j·ldb`).
func gemmTileDot(transposeA: Bool, rows: Range<Int>, cols: Range<Int>, k: Int, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int, out: OutputSpec, scratch: GemmScratch) {
    let fold = FewRowsOutput(alpha: out.alpha, beta: out.beta)
    let packedA = scratch.a, sums = scratch.tile
    let wide = CPU.avx512Active
    // Row blocks of at most `dotBlockM`, evened out (whole AVX-512 tiles) so that no short last block
    // reuses each group of B for only a few rows (512 rows: 6 × 86 → 90, not 5 × 96 + 32).
    let rowBlocks = (rows.count + dotBlockM - 1) / dotBlockM
    let rowBlock = max(6, ((rows.count + rowBlocks - 1) / rowBlocks + 5) / 6 * 6)
    // When K spans several blocks, a group of B in place is four short runs (one block of four rows, `ldb`
    // apart) that every row block's first strip over it waits for from L3; packed, the groups are one
    // sequential stream. With three or more row blocks reusing the packing: AVX2 (Zen 3) 512 × 3072 × 768,
    // median of 24 in-process alternations, +10 % at 1 and 2 threads (20–21 of 24 won); at two row blocks
    // (M = 128) it did not pay (14–17 of 24, the noise). A single K block (rows `ldb` = K apart) reads as one
    // stream already and stays in place.
    let packRowsOfB = !wide && k > dotBlockK && rowBlocks >= 3
    let packedColumns = (min(cols.count, dotBlockN) + 3) / 4 * 4
    let ownPackedB = packRowsOfB ? UnsafeMutablePointer<Float>.allocate(capacity: packedColumns * dotBlockK) : nil
    defer { ownPackedB?.deallocate() }
    let packedB = ownPackedB ?? scratch.b!
    let packAll = wide || packRowsOfB
    for jc in stride(from: cols.lowerBound, to: cols.upperBound, by: dotBlockN) {
        let nc = min(dotBlockN, cols.upperBound - jc)
        for pc in stride(from: 0, to: k, by: dotBlockK) {
            let kc = min(dotBlockK, k - pc), chunks = (kc + 7) / 8
            if packAll {
                packDotGroups(b, stride: ldb, transposed: false, first: jc, count: nc, group: 4, k0: pc, kc: kc,
                              into: packedB)
            } else if nc % 4 != 0 {
                // The AVX2 kernel reads whole groups of B in place; only a last, partial group is padded.
                packDotGroups(b, stride: ldb, transposed: false, first: jc + nc / 4 * 4, count: nc % 4, group: 4,
                              k0: pc, kc: kc, into: packedB)
            }
            for ic in stride(from: rows.lowerBound, to: rows.upperBound, by: rowBlock) {
                let mc = min(rowBlock, rows.upperBound - ic)
                packDotGroups(a, stride: lda, transposed: transposeA, first: ic, count: mc, group: 3, k0: pc, kc: kc,
                              into: packedA)
                /// Columns 4g..<4g+4 of the block for rows r0..<mc on the AVX2 kernel.
                func dotColumns(_ g: Int, from r0: Int) {
                    let col = jc + 4 * g, width = min(4, jc + nc - col)
                    // Rows of B where they lie (contiguous in K; the masked tail chunk reads the zeros the
                    // packed copy would hold), or the packed group.
                    let inPlace = !packAll && width == 4
                    let bg: UnsafePointer<Float> = inPlace ? b + col * ldb + pc
                        : UnsafePointer(packedB + (packAll ? g : 0) * chunks * 32)
                    dotRowsStrip(rows: mc - r0, width: width, chunks: inPlace ? kc / 8 : chunks,
                                 tail: inPlace ? kc % 8 : 0, a: packedA + r0 * chunks * 8, aGroup: chunks * 24,
                                 b: bg, bCol: inPlace ? ldb : 8, bChunk: inPlace ? 8 : 32,
                                 c: out.c + (ic + r0) * out.ldc + col, ldc: out.ldc, fold: fold, first: pc == 0)
                }
                var g = 0
                if wide {
                    // Pairs of B groups against pairs of A groups on the AVX-512 tile; what is left over
                    // (an odd group) goes to the AVX2 kernel below, with the same bits.
                    while g + 2 <= (nc + 3) / 4 {
                        var r = 0
                        while r + 6 <= (mc + 2) / 3 * 3 {
                            let ag = packedA + r * chunks * 8
                            avx512DotTile(chunks: chunks, a0: ag, a1: ag + chunks * 24, b0: packedB + g * chunks * 32,
                                          b1: packedB + (g + 1) * chunks * 32, sums: sums)
                            let col = jc + 4 * g, width = min(8, jc + nc - col)
                            for i in 0..<min(6, mc - r) {
                                let d = out.c + (ic + r + i) * out.ldc + col
                                if width == 8 {
                                    fold.fold(UnsafeRawPointer(sums + 8 * i).loadUnaligned(as: SIMD8<Float>.self),
                                              into: d, first: pc == 0)
                                } else {
                                    fold.fold4(sums + 8 * i, into: d, count: min(4, width), first: pc == 0)
                                    if width > 4 { fold.fold4(sums + 8 * i + 4, into: d + 4, count: width - 4, first: pc == 0) }
                                }
                            }
                            r += 6
                        }
                        if r < mc { dotColumns(g, from: r); dotColumns(g + 1, from: r) }
                        g += 2
                    }
                }
                while g < (nc + 3) / 4 {
                    dotColumns(g, from: 0)
                    g += 1
                }
            }
        }
    }
}

/// Rows `0 ..< rows` of C (`c`, rows `ldc` apart) against one group of `width` ≤ 4 columns of op(B), one
/// K block: `dotKernel`'s 3 × 4 arithmetic, each block of three rows reduced and folded into C straight
/// from registers. A is packed `// [groups, chunks, 3, 8]` (`aGroup` floats per group, zero-padded);
/// column c of B, chunk q, is at `b + c·bCol + q·bChunk`, `chunks` whole chunks then one of `tail`
/// (< 8) floats, read masked. Running the whole strip in one call, rather than one 3 × 4 block per call
/// with its sums stored and folded by the caller, was 3–4 % of AVX2 `bench gemm` at every M ≥ 128 shape.
@inline(never)
func dotRowsStrip(rows: Int, width: Int, chunks: Int, tail: Int, a: UnsafePointer<Float>, aGroup: Int,
                  b: UnsafePointer<Float>, bCol: Int, bChunk: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                  fold: FewRowsOutput, first: Bool) {
    typealias V = SIMD8<Float>
    @inline(__always) func ld(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    var ag = a, r = 0
    while r < rows {
        // u<row><column>
        var u00 = V(), u01 = V(), u02 = V(), u03 = V()
        var u10 = V(), u11 = V(), u12 = V(), u13 = V()
        var u20 = V(), u21 = V(), u22 = V(), u23 = V()
        // The three rows of A stay in registers and each column of B is loaded once for them: 12
        // accumulators + 3 + 1 = all 16 ymm registers.
        @inline(__always) func step(_ ap: UnsafePointer<Float>, _ bp: UnsafePointer<Float>,
                                    _ load: (UnsafePointer<Float>) -> V) {
            let x0 = ld(ap), x1 = ld(ap + 8), x2 = ld(ap + 16)
            var bj = load(bp)
            u00.addProduct(x0, bj); u10.addProduct(x1, bj); u20.addProduct(x2, bj)
            bj = load(bp + bCol)
            u01.addProduct(x0, bj); u11.addProduct(x1, bj); u21.addProduct(x2, bj)
            bj = load(bp + 2 * bCol)
            u02.addProduct(x0, bj); u12.addProduct(x1, bj); u22.addProduct(x2, bj)
            bj = load(bp + 3 * bCol)
            u03.addProduct(x0, bj); u13.addProduct(x1, bj); u23.addProduct(x2, bj)
        }
        var ap = ag, bp = b
        for _ in 0..<chunks {
            step(ap, bp, ld)
            ap += 24
            bp += bChunk
        }
        if tail > 0 { step(ap, bp) { dotLoadPartial($0, tail) } }
        let d = c + r * ldc
        fold.fold4(dotReduce4(u00, u01, u02, u03), into: d, count: width, first: first)
        if r + 1 < rows { fold.fold4(dotReduce4(u10, u11, u12, u13), into: d + ldc, count: width, first: first) }
        if r + 2 < rows { fold.fold4(dotReduce4(u20, u21, u22, u23), into: d + 2 * ldc, count: width, first: first) }
        ag += aGroup
        r += 3
    }
}

/// Packs vectors `first ..< first + count` (rows of `m` at `stride` apart, contiguous in K; or, when
/// `transposed`, columns: vector i's element p at `m[p·stride + i]`), depth `k0 ..< k0 + kc`, into groups
/// of `group` vectors `// [ceil(count/group), ceil(kc/8), group, 8]`, zero-padded.
func packDotGroups(_ m: UnsafePointer<Float>, stride: Int, transposed: Bool, first: Int, count: Int, group: Int,
                   k0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
    let chunks = (kc + 7) / 8, full = kc / 8, tail = kc % 8
    var d = dst
    for g in 0..<((count + group - 1) / group) {
        for v in 0..<group {
            let i = g * group + v
            var o = d + v * 8
            guard i < count else {
                for _ in 0..<chunks { o.update(repeating: 0, count: 8); o += group * 8 }
                continue
            }
            if transposed {
                let src = m + k0 * stride + first + i
                for p in 0..<(chunks * 8) { o[(p / 8) * group * 8 + p % 8] = p < kc ? src[p * stride] : 0 }
                continue
            }
            var src = UnsafeRawPointer(m + (first + i) * stride + k0)
            for _ in 0..<full {
                UnsafeMutableRawPointer(o).storeBytes(of: src.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                src += 32
                o += group * 8
            }
            if tail > 0 {
                let s = src.assumingMemoryBound(to: Float.self)
                for l in 0..<8 { o[l] = l < tail ? s[l] : 0 }
            }
        }
        d += chunks * group * 8
    }
}
