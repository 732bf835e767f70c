import Foundation
import Tensors

/// Element-wise activation functions, named as in Hugging Face configs (`hidden_act`).
public enum Activation: Sendable {
    /// x·½(1 + erf(x/√2)), torch `gelu` / `F.gelu`.
    case geluErf
    /// The tanh approximation (`gelu_new`, `gelu_pytorch_tanh`).
    case geluTanh
    case relu
    /// x·σ(x) (`silu`, `swish`).
    case silu

    /// Parses a `hidden_act` value; nil when unknown.
    public init?(name: String) {
        switch name {
        case "gelu", "gelu_python": self = .geluErf
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "relu": self = .relu
        case "silu", "swish": self = .silu
        default: return nil
        }
    }

    /// Every name `init(name:)` accepts, for messages.
    public static let knownNames = ["gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish"]

    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .geluErf: return 0.5 * x * (1 + erff(x * 0.70710678118654752))
        case .geluTanh:
            let inner: Float = 0.7978845608028654 * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1 + tanhf(inner))
        case .relu: return max(x, 0)
        case .silu: return x / (1 + expf(-x))
        }
    }

    /// Applies the activation in place to `count` values (vectorised kernels of `Tensors`).
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Profiler.time(.activations) {
            switch self {
            case .geluErf: Kernels.gelu(x, count: count)
            case .geluTanh: Kernels.geluTanh(x, count: count)
            case .silu: Kernels.silu(x, count: count)
            case .relu: for i in 0..<count { x[i] = max(x[i], 0) }
            }
        }
    }
}

/// Gated linear units over u = [rows, 2f]: out[rows, f] = u[:, :f] ⊙ act(u[:, f:]).
/// GeGLU (xTrimoPGLM `glu_activation: geglu`) uses exact GELU, SwiGLU uses SiLU; the *first* half is the linear one.
public enum GatedActivation: String, Sendable {
    case geglu
    case swiglu

    /// u is overwritten (its second half goes through the activation in place).
    public func apply(_ u: UnsafeMutablePointer<Float>, rows: Int, halfWidth f: Int, out: UnsafeMutablePointer<Float>) {
        let act: Activation = self == .geglu ? .geluErf : .silu
        Profiler.time(.activations) {
            Parallel.forEach(range: rows, costPerItem: Double(f) * 4) { range in
                for r in range {
                    let src = u + r * 2 * f, dst = out + r * f
                    act.apply(src + f, count: f)
                    Kernels.mul(src, src + f, dst, count: f)
                }
            }
        }
    }

    /// Scalar reference: out[r, j] = u[r, j] · act(u[r, f + j]).
    public func reference(_ u: UnsafePointer<Float>, rows: Int, halfWidth f: Int, out: UnsafeMutablePointer<Float>) {
        let act: Activation = self == .geglu ? .geluErf : .silu
        for r in 0..<rows {
            let src = u + r * 2 * f, dst = out + r * f
            for j in 0..<f { dst[j] = src[j] * act.apply(src[f + j]) }
        }
    }
}
