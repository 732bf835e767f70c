#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif
import Foundation

// The dot order of C = α·A·Bᵀ (`gemm` with `transposeB`), the one order every transposed-B path uses
// (few rows, many rows, AVX2, AVX-512), so a row of C has the same bits whatever M, the thread count or
// the kernel:
//
//   per K block [k0, k0 + dotBlockK): lane l ∈ 0..<8 sums a[p]·b[p] for p = k0 + l, k0 + l + 8, … as one
//   sequential FMA chain from +0; the block's sum is ((s0 + s2) + (s1 + s3)) + ((s4 + s6) + (s5 + s7));
//   it is folded into C as `storeTile` does (α·sum (+ β·C) on the first block, α·sum + C on later ones).
//
// Rows of A and of B are both contiguous in K, so each lane reads 8 consecutive floats of each: no
// transposes, which kept the previous column-lane order shuffle-bound at M = 1 (26–61 % of numpy).
// `gemmDotNaive` is the scalar statement of this order.

/// Depth of one K block of the dot order (a multiple of 8). Part of the numerics of transposed-B GEMM.
/// 768 rather than 512: a hidden size of 768 is one block, which saved 3–5 % of an AVX2 `bench gemm`
/// at K = 768 (one kernel call and one fold into C per tile, not two); four B rows and three A rows of
/// 768 floats (21 KB) still fit a 32 KB L1. The AVX-512 tile measured the same at 512, 768 and 1024.
let dotBlockK = max(8, tuning("TRELLIS_GEMM_DOT_KC", 768) / 8 * 8)

/// The four 8-lane partial sums of one row of C against four columns, reduced with the dot order's tree:
/// lane c of the result is ((s0 + s2) + (s1 + s3)) + ((s4 + s6) + (s5 + s7)) of `x<c>`.
@inline(__always)
func dotReduce4(_ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ x3: SIMD8<Float>) -> SIMD4<Float> {
    #if arch(x86_64)
    // t = [x0 s0+s2, x1 s0+s2, x0 s1+s3, x1 s1+s3 | the same for s4…s7], u likewise for x2, x3.
    let t = _mm256_unpacklo_ps(x0, x1) + _mm256_unpackhi_ps(x0, x1)
    let u = _mm256_unpacklo_ps(x2, x3) + _mm256_unpackhi_ps(x2, x3)
    // w = [x0 (s0+s2)+(s1+s3), x1 …, x2 …, x3 … | x0 (s4+s6)+(s5+s7), …]
    let td = _mm256_castps_pd(t), ud = _mm256_castps_pd(u)
    let w = _mm256_castpd_ps(_mm256_unpacklo_pd(td, ud)) + _mm256_castpd_ps(_mm256_unpackhi_pd(td, ud))
    return w.lowHalf + w.highHalf
    #else
    @inline(__always) func tree(_ s: SIMD8<Float>) -> Float { ((s[0] + s[2]) + (s[1] + s[3])) + ((s[4] + s[6]) + (s[5] + s[7])) }
    return SIMD4(tree(x0), tree(x1), tree(x2), tree(x3))
    #endif
}

/// 8 floats at `p`, lanes ≥ `count` zero and not read.
@inline(__always)
func dotLoadPartial(_ p: UnsafePointer<Float>, _ count: Int) -> SIMD8<Float> {
    #if arch(x86_64)
    let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    let mask = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: count)) .> lanes
    let bits = SIMD8<Int32>(repeating: -1).replacing(with: 0, where: .!mask)
    return _mm256_maskload_ps(p, unsafeBitCast(bits, to: SIMD4<Int64>.self))
    #else
    var v = SIMD8<Float>()
    for l in 0..<count { v[l] = p[l] }
    return v
    #endif
}

/// One K block of the dot order for U units of four columns: either U rows × 4 columns (`Rows`, B
/// shared) or 1 row × 4U columns (`Columns`, A shared); U·4 ≤ 12 accumulators plus loads fit the 16
/// ymm registers. A's row r, chunk q (8 floats) is at `a + r·aRow + q·aChunk`; B's column c, chunk q
/// at `b + c·bCol + q·bChunk`. `chunks` full chunks are followed by one of `tail` (< 8) floats if
/// `tail > 0`. Writes the unit sums `// [U, 4]` to `sums`.
@inline(never)
func dotKernel<U: StaticCount, L: DotLayout>(_: U.Type, _: L.Type, chunks: Int, tail: Int,
                                             a: UnsafePointer<Float>, aRow: Int, aChunk: Int,
                                             b: UnsafePointer<Float>, bCol: Int, bChunk: Int,
                                             sums: UnsafeMutablePointer<Float>) {
    typealias V = SIMD8<Float>
    let u = U.value, rows = L.rows
    // u<unit><column>
    var u00 = V(), u01 = V(), u02 = V(), u03 = V()
    var u10 = V(), u11 = V(), u12 = V(), u13 = V()
    var u20 = V(), u21 = V(), u22 = V(), u23 = V()
    @inline(__always) func ld(_ p: UnsafePointer<Float>, _ n: Int) -> V {
        n == 8 ? UnsafeRawPointer(p).loadUnaligned(as: V.self) : dotLoadPartial(p, n)
    }
    // Rows: the (up to) three rows of A stay in registers and each column of B is loaded once for them,
    // 12 accumulators + 3 + 1 = all 16 ymm registers (with all four B columns loaded up front, two
    // accumulators spilled to the stack and the kernel ran at half speed).
    @inline(__always) func step(_ ap: UnsafePointer<Float>, _ bp: UnsafePointer<Float>, _ n: Int) {
        let x0 = ld(ap, n)
        if rows {
            let x1 = u > 1 ? ld(ap + aRow, n) : V(), x2 = u > 2 ? ld(ap + 2 * aRow, n) : V()
            @inline(__always) func column(_ c0: inout V, _ c1: inout V, _ c2: inout V, _ bj: V) {
                c0.addProduct(x0, bj)
                if u > 1 { c1.addProduct(x1, bj) }
                if u > 2 { c2.addProduct(x2, bj) }
            }
            column(&u00, &u10, &u20, ld(bp, n))
            column(&u01, &u11, &u21, ld(bp + bCol, n))
            column(&u02, &u12, &u22, ld(bp + 2 * bCol, n))
            column(&u03, &u13, &u23, ld(bp + 3 * bCol, n))
        } else {
            @inline(__always) func group(_ c0: inout V, _ c1: inout V, _ c2: inout V, _ c3: inout V,
                                         _ g: UnsafePointer<Float>) {
                c0.addProduct(x0, ld(g, n)); c1.addProduct(x0, ld(g + bCol, n))
                c2.addProduct(x0, ld(g + 2 * bCol, n)); c3.addProduct(x0, ld(g + 3 * bCol, n))
            }
            group(&u00, &u01, &u02, &u03, bp)
            if u > 1 { group(&u10, &u11, &u12, &u13, bp + 4 * bCol) }
            if u > 2 { group(&u20, &u21, &u22, &u23, bp + 8 * bCol) }
        }
    }
    var ap = a, bp = b
    for _ in 0..<chunks {
        step(ap, bp, 8)
        ap += aChunk
        bp += bChunk
    }
    if tail > 0 { step(ap, bp, tail) }
    let s = UnsafeMutableRawPointer(sums)
    s.storeBytes(of: dotReduce4(u00, u01, u02, u03), as: SIMD4<Float>.self)
    if u > 1 { s.storeBytes(of: dotReduce4(u10, u11, u12, u13), toByteOffset: 16, as: SIMD4<Float>.self) }
    if u > 2 { s.storeBytes(of: dotReduce4(u20, u21, u22, u23), toByteOffset: 32, as: SIMD4<Float>.self) }
}

/// How `dotKernel`'s units are laid out: rows of C sharing four columns, or column groups sharing a row.
protocol DotLayout { static var rows: Bool { get } }
enum Rows: DotLayout { static var rows: Bool { true } }
enum Columns: DotLayout { static var rows: Bool { false } }

/// `dotKernel` for `units` ∈ 1...3 (`rows`: units are rows of C, else groups of four columns).
@inline(__always)
func dotBlock(units: Int, rows: Bool, chunks: Int, tail: Int, a: UnsafePointer<Float>, aRow: Int, aChunk: Int,
              b: UnsafePointer<Float>, bCol: Int, bChunk: Int, sums: UnsafeMutablePointer<Float>) {
    switch (units, rows) {
    case (1, _): dotKernel(One.self, Rows.self, chunks: chunks, tail: tail, a: a, aRow: aRow, aChunk: aChunk,
                           b: b, bCol: bCol, bChunk: bChunk, sums: sums)
    case (2, true): dotKernel(Two.self, Rows.self, chunks: chunks, tail: tail, a: a, aRow: aRow, aChunk: aChunk,
                              b: b, bCol: bCol, bChunk: bChunk, sums: sums)
    case (2, false): dotKernel(Two.self, Columns.self, chunks: chunks, tail: tail, a: a, aRow: aRow,
                               aChunk: aChunk, b: b, bCol: bCol, bChunk: bChunk, sums: sums)
    case (_, true): dotKernel(Three.self, Rows.self, chunks: chunks, tail: tail, a: a, aRow: aRow, aChunk: aChunk,
                              b: b, bCol: bCol, bChunk: bChunk, sums: sums)
    default: dotKernel(Three.self, Columns.self, chunks: chunks, tail: tail, a: a, aRow: aRow, aChunk: aChunk,
                       b: b, bCol: bCol, bChunk: bChunk, sums: sums)
    }
}

extension FewRowsOutput {
    /// Folds one K block's sums of `count` (≤ 4) columns into C at `d`, as `fold` does for 8.
    @inline(__always)
    func fold4(_ sums: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, count: Int, first: Bool) {
        fold4(UnsafeRawPointer(sums).loadUnaligned(as: SIMD4<Float>.self), into: d, count: count, first: first)
    }

    /// `fold4` of sums held in a vector (lanes ≥ `count` ignored).
    @inline(__always)
    func fold4(_ sums: SIMD4<Float>, into d: UnsafeMutablePointer<Float>, count: Int, first: Bool) {
        if count == 4 {
            let raw = UnsafeMutableRawPointer(d)
            var v = sums * alpha
            if !first {
                v = v + raw.loadUnaligned(as: SIMD4<Float>.self)
            } else if beta != 0 {
                v.addProduct(SIMD4<Float>(repeating: beta), raw.loadUnaligned(as: SIMD4<Float>.self))
            }
            raw.storeBytes(of: v, as: SIMD4<Float>.self)
            return
        }
        for j in 0..<count {
            var v = sums[j] * alpha
            if !first { v = v + d[j] } else if beta != 0 { v.addProduct(beta, d[j]) }
            d[j] = v
        }
    }
}
