import Foundation
import Tensors

/// Rotary position embedding in the GPT-NeoX "rotate_half" form (not interleaved):
/// x' = x·cos(pθ) + rotate_half(x)·sin(pθ), θ_j = base^(−2j/dim), rotate_half(x) = [−x₂, x₁].
///
/// The GLM 2-D form applies one `Rotary` of dim = head_dim/2 to the first half of each head with the
/// position ids and another to the second half with the block position ids.
public struct Rotary: Sendable {
    /// Number of rotated values per head (even).
    public let dim: Int
    /// [dim/2] inverse frequencies, computed in F32 as torch does.
    let invFreq: [Float]

    public init(dim: Int, base: Float = 10000) {
        precondition(dim % 2 == 0, "rotary dim must be even")
        self.dim = dim
        // torch: 1 / base ** (arange(0, dim, 2).float() / dim), all in float32
        invFreq = (0..<dim / 2).map { j in 1 / powf(base, Float(2 * j) / Float(dim)) }
    }

    /// Rotates, for each of `rows` tokens and `heads` heads, the `dim` values starting at
    /// `x + r·rowStride + h·headStride + offset`, by the angle of `positions[r]`.
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int, headStride: Int,
                      offset: Int, positions: UnsafePointer<Int32>) {
        Profiler.time(.rotary) {
            Parallel.forEach(range: rows, costPerItem: Double(heads * dim) * 0.5) { range in
                rotate(x, rows: range, rowStride: rowStride, heads: heads, headStride: headStride, offset: offset,
                       positions: positions, inverse: false)
            }
        }
    }

    /// The one rotary loop: rotates rows `rows` as `apply` does; `inverse` rotates by −p·θ, which is the
    /// backward (the rotation is orthogonal).
    func rotate(_ x: UnsafeMutablePointer<Float>, rows: Range<Int>, rowStride: Int, heads: Int, headStride: Int,
                offset: Int, positions: UnsafePointer<Int32>, inverse: Bool) {
        guard !rows.isEmpty else { return }
        // cos/sin once per distinct position (torch's cos/sin cache), not once per row: rows of a batch
        // share positions, and sinf/cosf cost ~20 ns each. The values are the same F32 expressions, so the
        // result does not depend on which rows came together.
        var low = Int(positions[rows.lowerBound]), high = low
        for r in rows { low = min(low, Int(positions[r])); high = max(high, Int(positions[r])) }
        let span = high - low + 1
        let tabled = span <= 2 * rows.count + 64
        let entries = tabled ? span : 1
        withUnsafeTemporaryAllocation(of: Float.self, capacity: entries * dim) { table in
            let t = table.baseAddress!
            func fill(_ entry: Int, position p: Int) {
                let c = t + entry * dim, s = c + dim / 2
                let sign: Float = inverse ? -1 : 1
                invFreq.withUnsafeBufferPointer { inv in
                    for j in 0..<(dim / 2) {
                        let angle = Float(p) * inv[j]
                        c[j] = cosf(angle)
                        s[j] = sign * sinf(angle)
                    }
                }
            }
            if tabled { for e in 0..<span { fill(e, position: low + e) } }
            for r in rows {
                let p = Int(positions[r])
                if !tabled { fill(0, position: p) }
                let c = UnsafePointer(t + (tabled ? (p - low) * dim : 0))
                for h in 0..<heads { Rotary.rotatePair(x + r * rowStride + h * headStride + offset, half: dim / 2, cos: c) }
            }
        }
    }

    /// v[j], v[j + half] ← v[j]·c − v[j+half]·s, v[j+half]·c + v[j]·s with c = cos[j], s = cos[half + j]
    /// (no fused multiply-add, the same operations as torch's x·cos + rotate_half(x)·sin).
    @inline(__always)
    static func rotatePair(_ v: UnsafeMutablePointer<Float>, half: Int, cos c: UnsafePointer<Float>) {
        typealias V = SIMD8<Float>
        let s = c + half
        let raw = UnsafeMutableRawPointer(v), cr = UnsafeRawPointer(c), sr = UnsafeRawPointer(s)
        var j = 0
        while j + 8 <= half {
            let x1 = raw.loadUnaligned(fromByteOffset: 4 * j, as: V.self)
            let x2 = raw.loadUnaligned(fromByteOffset: 4 * (j + half), as: V.self)
            let cj = cr.loadUnaligned(fromByteOffset: 4 * j, as: V.self)
            let sj = sr.loadUnaligned(fromByteOffset: 4 * j, as: V.self)
            raw.storeBytes(of: x1 * cj - x2 * sj, toByteOffset: 4 * j, as: V.self)
            raw.storeBytes(of: x2 * cj + x1 * sj, toByteOffset: 4 * (j + half), as: V.self)
            j += 8
        }
        while j < half {
            let x1 = v[j], x2 = v[j + half]
            v[j] = x1 * c[j] - x2 * s[j]
            v[j + half] = x2 * c[j] + x1 * s[j]
            j += 1
        }
    }
}
