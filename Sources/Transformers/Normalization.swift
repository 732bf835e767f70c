import Foundation
import Tensors

/// LayerNorm over the last dimension: (x − μ)/√(σ² + eps)·γ + β, biased variance, as torch.
public struct LayerNorm {
    /// [dim]
    let weight: FloatBuffer
    /// [dim]
    let bias: FloatBuffer
    public let eps: Float
    public var dim: Int { weight.count }

    public init(weight: [Float], bias: [Float], eps: Float) {
        precondition(weight.count == bias.count)
        self.weight = FloatBuffer(weight)
        self.bias = FloatBuffer(bias)
        self.eps = eps
    }

    /// out[r, :] = LN(x[r, :]) for r in 0..<rows; `out` may equal `x`.
    public func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, out: UnsafeMutablePointer<Float>) {
        Profiler.time(.norms) {
            Kernels.layerNorm(x, rows: rows, cols: dim, gamma: weight.pointer, beta: bias.pointer, eps: eps, out: out)
        }
    }
}

/// RMSNorm over the last dimension: x / √(mean(x²) + eps) · γ.
public struct RMSNorm {
    /// [dim]
    let weight: FloatBuffer
    public let eps: Float
    public var dim: Int { weight.count }

    public init(weight: [Float], eps: Float) {
        self.weight = FloatBuffer(weight)
        self.eps = eps
    }

    /// out[r, :] = RMSNorm(x[r, :]); `out` may equal `x`.
    public func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, out: UnsafeMutablePointer<Float>) {
        Profiler.time(.norms) { Kernels.rmsNorm(x, rows: rows, cols: dim, gamma: weight.pointer, eps: eps, out: out) }
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
