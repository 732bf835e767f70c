import Foundation
import Tensors

// Right-padded batches waste the padded rows' work in every projection, norm and activation. Sorted by length,
// a few dozen proteins still batch with 10-20 % padding (issue 13's 24 proteins: 19 %), a whole proteome with
// under 1 %. Laying the real tokens end to end removes it; attention keeps each sequence to its own rows, which
// gives the bits of the padded computation (padded keys are skipped there).

/// The real tokens of a right-padded [B, T] batch laid end to end: sequence b is rows
/// `firstRows[b] ..< firstRows[b] + counts[b]` of an [N, ·] buffer.
struct PackedRows {
    let batch: Int, length: Int
    /// [B] real tokens per sequence.
    let counts: [Int]
    /// [B] first packed row of each sequence.
    let firstRows: [Int]
    /// N, the real tokens of the batch.
    let rows: Int

    /// nil when the batch has no padding or some sequence's mask is not a prefix of ones (left padding, holes).
    init?(_ input: TokenBatch) {
        let t = input.length
        var counts = [Int](repeating: 0, count: input.batch), firstRows = counts, n = 0
        for b in 0..<input.batch {
            let m = input.attentionMask[(b * t)..<((b + 1) * t)]
            let c = m.firstIndex(of: 0).map { $0 - b * t } ?? t
            guard !m[(b * t + c)...].contains(where: { $0 != 0 }) else { return nil }
            counts[b] = c
            firstRows[b] = n
            n += c
        }
        guard n < input.batch * t else { return nil }
        (batch, length, self.counts, self.firstRows, rows) = (input.batch, t, counts, firstRows, n)
    }

    /// Copies the real rows of `src` [B, T, W] into `dst` [N, W].
    func gather(_ src: UnsafePointer<Float>, width w: Int, into dst: UnsafeMutablePointer<Float>) {
        Profiler.time(.copies) {
            for b in 0..<batch { (dst + firstRows[b] * w).update(from: src + b * length * w, count: counts[b] * w) }
        }
    }

    /// `src` [N, W] spread back to [B, T, W], zeros at padded positions.
    func scatter(_ src: UnsafePointer<Float>, width w: Int) -> [Float] {
        Profiler.time(.copies) {
            var out = [Float](repeating: 0, count: batch * length * w)
            out.withUnsafeMutableBufferPointer { o in
                for b in 0..<batch { (o.baseAddress! + b * length * w).update(from: src + firstRows[b] * w, count: counts[b] * w) }
            }
            return out
        }
    }

    /// The real rows of per-token values `[B, T]` as `[N]`.
    func gather(_ values: [Int32]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(rows)
        for b in 0..<batch { out += values[(b * length)..<(b * length + counts[b])] }
        return out
    }

    /// `x` [N, W] spread back to [B, T, W], zeros at padded positions; an empty array (an output not asked
    /// for) stays empty.
    func scatter(_ x: [Float], width w: Int) -> [Float] {
        x.isEmpty ? [] : x.withUnsafeBufferPointer { scatter($0.baseAddress!, width: w) }
    }

    /// Position of each packed row within its sequence (`[N]`).
    var positions: [Int32] {
        var p: [Int32] = []
        p.reserveCapacity(rows)
        for c in counts { p += (0..<c).map(Int32.init) }
        return p
    }
}
