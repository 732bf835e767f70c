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
            rotate(x, rows: 0..<rows, rowStride: rowStride, heads: heads, headStride: headStride, offset: offset,
                   positions: positions, inverse: false)
        }
    }

    /// The one rotary loop: rotates rows `rows` as `apply` does; `inverse` rotates by −p·θ, which is the
    /// backward (the rotation is orthogonal).
    func rotate(_ x: UnsafeMutablePointer<Float>, rows: Range<Int>, rowStride: Int, heads: Int, headStride: Int,
                offset: Int, positions: UnsafePointer<Int32>, inverse: Bool) {
        let half = dim / 2
        let sign: Float = inverse ? -1 : 1
        withUnsafeTemporaryAllocation(of: Float.self, capacity: dim) { cs in
            let c = cs.baseAddress!, s = c + half
            invFreq.withUnsafeBufferPointer { inv in
                for r in rows {
                    let p = Float(positions[r])
                    for j in 0..<half {
                        let angle = p * inv[j]
                        c[j] = cosf(angle)
                        s[j] = sign * sinf(angle)
                    }
                    for h in 0..<heads {
                        let v = x + r * rowStride + h * headStride + offset
                        for j in 0..<half {
                            let x1 = v[j], x2 = v[j + half]
                            v[j] = x1 * c[j] - x2 * s[j]
                            v[j + half] = x2 * c[j] + x1 * s[j]
                        }
                    }
                }
            }
        }
    }
}
