import Foundation
import Tensors

/// How a model keeps its matrix weights in memory. Computation is always F32.
public enum WeightStorage: String, Sendable {
    /// 4 bytes per weight: fastest for large batches.
    case f32
    /// 2 bytes per weight (bfloat16, rounded to nearest even): about half the memory traffic, for decoding.
    case bf16
}

/// A dense layer y = x·Wᵀ + b with W stored [out, in] as in PyTorch, packed once at load.
public final class Linear {
    public let inFeatures: Int
    public let outFeatures: Int
    /// W [out, in] packed into the GEMM's panels (F32 or BF16).
    let packed: PackedWeights
    /// [out]
    let bias: FloatBuffer?

    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int, storage: WeightStorage = .f32) {
        precondition(weight.count == outFeatures * inFeatures, "Linear weight has \(weight.count) values")
        precondition(bias == nil || bias!.count == outFeatures, "Linear bias has \(bias!.count) values")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        packed = weight.withUnsafeBufferPointer {
            PackedWeights($0.baseAddress!, outFeatures: outFeatures, inFeatures: inFeatures,
                          storage: storage == .bf16 ? .bf16 : .f32)
        }
        self.bias = bias.map { b in
            let buffer = FloatBuffer(b.count)
            b.withUnsafeBufferPointer { buffer.copy(from: $0.baseAddress!, count: b.count) }
            return buffer
        }
    }

    /// out[rows, out] = x[rows, in] · Wᵀ + b
    public func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, out: UnsafeMutablePointer<Float>) {
        Profiler.time(.gemm) {
            Tensors.linear(x, rows: rows, weights: packed, bias: bias.map { UnsafePointer($0.pointer) }, out: out)
        }
    }

    /// Convenience over arrays: x [rows, in] → [rows, out].
    public func callAsFunction(_ x: [Float], rows: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * outFeatures)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { self(xp.baseAddress!, rows: rows, out: $0.baseAddress!) }
        }
        return out
    }
}

/// Rounds an F32 value to the nearest bfloat16 (ties to even) and back.
@inline(__always)
func roundToBF16(_ x: Float) -> Float {
    if x.isNaN { return x }
    let bits = x.bitPattern
    let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
    return Float(bitPattern: rounded & 0xFFFF_0000)
}

/// A lookup table [count, dim]: row i is the vector of token i.
public final class Embedding {
    public let count: Int
    public let dim: Int
    /// [count, dim]
    let table: [Float]

    public init(table: [Float], count: Int, dim: Int) {
        precondition(table.count == count * dim)
        self.table = table
        self.count = count
        self.dim = dim
    }

    /// Writes out[i, :] = table[ids[i], :]; ids outside the table become zero rows (the caller validates ids).
    public func lookup(_ ids: [Int32], out: UnsafeMutablePointer<Float>) {
        Profiler.time(.copies) { table.withUnsafeBufferPointer { t in
            for (i, id) in ids.enumerated() {
                let dst = out + i * dim
                if id >= 0 && Int(id) < count {
                    dst.update(from: t.baseAddress! + Int(id) * dim, count: dim)
                } else {
                    dst.update(repeating: 0, count: dim)
                }
            }
        } }
    }

    /// Adds table[ids[i], :] into out[i, :].
    public func addLookup(_ ids: [Int32], into out: UnsafeMutablePointer<Float>) {
        Profiler.time(.copies) { table.withUnsafeBufferPointer { t in
            for (i, id) in ids.enumerated() where id >= 0 && Int(id) < count {
                let dst = out + i * dim
                let src = t.baseAddress! + Int(id) * dim
                for j in 0..<dim { dst[j] += src[j] }
            }
        } }
    }
}
