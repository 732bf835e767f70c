import Foundation

/// LayerNorm over the last dimension: (x − μ)/√(σ² + eps)·γ + β, biased variance, as torch.
public struct LayerNorm {
    /// [dim]
    let weight: [Float]
    /// [dim]
    let bias: [Float]
    public let eps: Float
    public var dim: Int { weight.count }

    public init(weight: [Float], bias: [Float], eps: Float) {
        precondition(weight.count == bias.count)
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    /// out[r, :] = LN(x[r, :]) for r in 0..<rows; `out` may equal `x`.
    public func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, out: UnsafeMutablePointer<Float>) {
        let d = dim
        weight.withUnsafeBufferPointer { g in
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    let src = x + r * d, dst = out + r * d
                    var mean: Float = 0
                    for j in 0..<d { mean += src[j] }
                    mean /= Float(d)
                    var variance: Float = 0
                    for j in 0..<d { let c = src[j] - mean; variance += c * c }
                    variance /= Float(d)
                    let inv = 1 / (variance + eps).squareRoot()
                    for j in 0..<d { dst[j] = (src[j] - mean) * inv * g[j] + b[j] }
                }
            }
        }
    }
}

/// RMSNorm over the last dimension: x / √(mean(x²) + eps) · γ.
public struct RMSNorm {
    /// [dim]
    let weight: [Float]
    public let eps: Float
    public var dim: Int { weight.count }

    public init(weight: [Float], eps: Float) {
        self.weight = weight
        self.eps = eps
    }

    /// out[r, :] = RMSNorm(x[r, :]); `out` may equal `x`.
    public func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, out: UnsafeMutablePointer<Float>) {
        let d = dim
        weight.withUnsafeBufferPointer { g in
            for r in 0..<rows {
                let src = x + r * d, dst = out + r * d
                var ss: Float = 0
                for j in 0..<d { ss += src[j] * src[j] }
                let inv = 1 / (ss / Float(d) + eps).squareRoot()
                for j in 0..<d { dst[j] = src[j] * inv * g[j] }
            }
        }
    }
}

/// Either normalisation, as chosen by a config flag.
public enum Norm {
    case layer(LayerNorm)
    case rms(RMSNorm)

    public func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, out: UnsafeMutablePointer<Float>) {
        switch self {
        case .layer(let n): n(x, rows: rows, out: out)
        case .rms(let n): n(x, rows: rows, out: out)
        }
    }
}
