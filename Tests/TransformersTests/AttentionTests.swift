import Foundation
import Tensors
import Transformers
import XCTest
import _TestSupport

/// The fused online-softmax attention and the explicit-probability path against the scalar reference, for
/// every mask mode, grouped KV heads, cache offsets, empty rows and head sizes around the 64-key blocks;
/// and the fused kernel's independence of batch composition, padding and thread count, bit for bit.
final class AttentionTests: XCTestCase {
    enum Path { case fused, explicit, reference }

    /// One attention problem: [B, Tq, heads·D] queries, [B, Tk, kvHeads·D] keys and values.
    struct Problem {
        var batch: Int, tq: Int, tk: Int, heads: Int, kvHeads: Int, d: Int
        var keyCount: [Int]
        var mask: AttentionMask
        var q: [Float], k: [Float], v: [Float]

        init(batch: Int, tq: Int, tk: Int, heads: Int, kvHeads: Int, d: Int, keyCount: [Int]? = nil,
             mask: AttentionMask, seed: UInt64) {
            self.batch = batch; self.tq = tq; self.tk = tk; self.heads = heads; self.kvHeads = kvHeads; self.d = d
            self.keyCount = keyCount ?? Array(repeating: tk, count: batch)
            self.mask = mask
            var rng = SeededRandom(seed: seed)
            // Spread of ±2 so softmax rows are far from uniform and the online rescaling matters.
            q = (0..<(batch * tq * heads * d)).map { _ in Float(rng.nextUnit()) * 4 - 2 }
            k = (0..<(batch * tk * kvHeads * d)).map { _ in Float(rng.nextUnit()) * 4 - 2 }
            v = (0..<(batch * tk * kvHeads * d)).map { _ in Float(rng.nextUnit()) * 2 - 1 }
        }

        /// The context [B, Tq, heads·D]; `probabilitySums` gets each probability row's sum on the explicit path.
        func run(_ path: Path, probabilitySums: UnsafeMutablePointer<[Float]>? = nil) -> [Float] {
            var q = q, k = k, v = v
            var out = [Float](repeating: .nan, count: batch * tq * heads * d)
            let (b, tq, tk, heads, kvHeads, d) = (batch, tq, tk, heads, kvHeads, d)
            let keyCount = keyCount, mask = mask
            q.withUnsafeMutableBufferPointer { qp in
                k.withUnsafeMutableBufferPointer { kp in
                    v.withUnsafeMutableBufferPointer { vp in
                        out.withUnsafeMutableBufferPointer { op in
                            let qv = HeadView(base: qp.baseAddress!, batchStride: tq * heads * d, rowStride: heads * d, headStride: d)
                            let kv = HeadView(base: kp.baseAddress!, batchStride: tk * kvHeads * d, rowStride: kvHeads * d, headStride: d)
                            let vv = HeadView(base: vp.baseAddress!, batchStride: tk * kvHeads * d, rowStride: kvHeads * d, headStride: d)
                            let ov = HeadView(base: op.baseAddress!, batchStride: tq * heads * d, rowStride: heads * d, headStride: d)
                            switch path {
                            case .reference:
                                ScaledDotProductAttention.reference(q: qv, k: kv, v: vv, out: ov, batch: b, queries: tq,
                                    keyCount: keyCount, heads: heads, kvHeads: kvHeads, headDim: d, scale: 0.35, mask: mask)
                            case .fused:
                                ScaledDotProductAttention.compute(q: qv, k: kv, v: vv, out: ov, batch: b, queries: tq,
                                    keyCount: keyCount, heads: heads, kvHeads: kvHeads, headDim: d, scale: 0.35, mask: mask)
                            case .explicit:
                                var sums: [Float] = []
                                ScaledDotProductAttention.compute(q: qv, k: kv, v: vv, out: ov, batch: b, queries: tq,
                                    keyCount: keyCount, heads: heads, kvHeads: kvHeads, headDim: d, scale: 0.35, mask: mask,
                                    probabilities: { seq, p, ld in
                                        for r in 0..<(heads * tq) {
                                            var s: Float = 0
                                            for j in 0..<keyCount[seq] { s += p[r * ld + j] }
                                            sums.append(s)
                                        }
                                    })
                                probabilitySums?.pointee = sums
                            }
                        }
                    }
                }
            }
            return out
        }
    }

    static func padded(batch: Int, tk: Int, from starts: [Int]) -> [UInt8] {
        var valid = [UInt8](repeating: 1, count: batch * tk)
        for (b, s) in starts.enumerated() where s < tk { for j in s..<tk { valid[b * tk + j] = 0 } }
        return valid
    }

    /// Every mask mode against the reference, through both paths.
    func checkModes(tq: Int, tk: Int, heads: Int, kvHeads: Int, d: Int, tolerance: Float) {
        let b = 3
        let valid = Self.padded(batch: b, tk: tk, from: [tk, tk * 2 / 3, tk - 1])
        var cases: [(String, AttentionMask, [Int]?)] = []
        cases.append(("bidirectional", AttentionMask(pattern: .bidirectional, keyValid: valid, keyStride: tk,
                                                     queryStart: [0, 0, 0]), nil))
        var causal = AttentionMask(pattern: .causal, keyValid: valid, keyStride: tk, queryStart: [0, 0, 0])
        cases.append(("causal", causal, nil))
        causal.openPaddedQueries = true
        cases.append(("causal, open padded queries", causal, nil))
        cases.append(("prefix", AttentionMask(pattern: .prefix([2, tk / 2, tk]), keyValid: valid, keyStride: tk,
                                              queryStart: [0, 0, 0]), nil))
        // A padded key in the middle of sequence 0, not only at its end.
        var holes = valid
        holes[tk / 3] = 0
        cases.append(("bidirectional with a hole", AttentionMask(pattern: .bidirectional, keyValid: holes, keyStride: tk,
                                                                 queryStart: [0, 0, 0]), nil))
        // Decoding with a cache: query i of sequence b sits at key start[b] + i; keys past keyCount[b] unused.
        let start = [tk - tq, max(0, tk / 2 - tq), 0]
        cases.append(("cached causal", AttentionMask(pattern: .causal, keyValid: nil, keyStride: tk, queryStart: start),
                      start.map { $0 + tq }))
        // Explicit additive mask: random blocking, one row of sequence 1 fully −∞ (uniform), one fully finfo.min.
        var rng = SeededRandom(seed: 9)
        var add = (0..<(b * tq * tk)).map { _ in rng.nextUnit() < 0.3 ? -Float.infinity : 0 }
        for j in 0..<tk { add[(1 * tq + 0) * tk + j] = -.infinity; add[(2 * tq + tq - 1) * tk + j] = -Float.greatestFiniteMagnitude }
        cases.append(("additive", AttentionMask(pattern: .bidirectional, keyValid: nil, keyStride: tk, queryStart: [0, 0, 0],
                                                additive: add), nil))
        // Sequence 2 has no real key at all: its rows attend uniformly.
        var empty = valid
        for j in 0..<tk { empty[2 * tk + j] = 0 }
        cases.append(("empty rows", AttentionMask(pattern: .bidirectional, keyValid: empty, keyStride: tk,
                                                  queryStart: [0, 0, 0]), nil))
        for (label, mask, keyCount) in cases {
            let p = Problem(batch: b, tq: tq, tk: tk, heads: heads, kvHeads: kvHeads, d: d, keyCount: keyCount,
                            mask: mask, seed: UInt64(tq * 1000 + d))
            let slow = p.run(.reference)
            let name = "\(label), Tq \(tq) Tk \(tk) D \(d) heads \(heads)/\(kvHeads)"
            let fused = p.run(.fused)
            XCTAssertLessThan(TestSupport.maxAbsDiff(fused, slow, label: "fused " + name), tolerance, name)
            if CPU.hasAVX512 {
                // The other tile width gives the same bits.
                let saved = CPU.useAVX512
                CPU.useAVX512 = !saved
                let other = p.run(.fused)
                CPU.useAVX512 = saved
                XCTAssertEqual(zip(fused, other).filter { $0.bitPattern != $1.bitPattern }.count, 0,
                               "AVX2 vs AVX-512 tiles, \(name)")
            }
            var sums: [Float] = []
            let explicit = p.run(.explicit, probabilitySums: &sums)
            XCTAssertLessThan(TestSupport.maxAbsDiff(explicit, slow, label: "explicit " + name), tolerance, name)
            XCTAssertEqual(sums.count, b * heads * tq)
            XCTAssertLessThan(sums.map { abs($0 - 1) }.max() ?? 1, 1e-4, "probability rows of \(name) sum to 1")
        }
    }

    func testSmallShapesAllModesAndGroupedHeads() {
        for kvHeads in [4, 2, 1] { checkModes(tq: 7, tk: 7, heads: 4, kvHeads: kvHeads, d: 8, tolerance: 1e-5) }
        checkModes(tq: 3, tk: 16, heads: 4, kvHeads: 2, d: 8, tolerance: 1e-5)
    }

    /// Tq, Tk past one and two 64-key blocks and not multiples of 16; D of 8, 64, 80, 128 and odd ones.
    func testBlockedShapesAndHeadSizes() {
        for d in [8, 64, 80, 128, 24, 13] {
            checkModes(tq: 70, tk: 133, heads: 2, kvHeads: d == 64 ? 1 : 2, d: d, tolerance: 2e-5)
        }
        checkModes(tq: 129, tk: 129, heads: 3, kvHeads: 3, d: 16, tolerance: 2e-5)
    }

    /// Decode steps: one query per sequence against caches of different lengths.
    func testDecodeSteps() {
        for tk in [1, 9, 64, 65, 200] {
            let start = [tk - 1, max(0, tk / 2 - 1), 0]
            let mask = AttentionMask(pattern: .causal, keyValid: nil, keyStride: tk, queryStart: start)
            let p = Problem(batch: 3, tq: 1, tk: tk, heads: 6, kvHeads: 2, d: 64, keyCount: start.map { $0 + 1 },
                            mask: mask, seed: UInt64(tk))
            XCTAssertLessThan(TestSupport.maxAbsDiff(p.run(.fused), p.run(.reference), label: "decode Tk \(tk)"), 1e-5)
        }
    }

    /// A sequence's fused attention has the same bits alone, among longer and shorter padded sequences,
    /// with 1, 2 or 3 threads, and on the AVX2 or the AVX-512 tiles, for every pattern.
    func testFusedAttentionIsBatchAndThreadInvariant() {
        let heads = 4, d = 24, probe = 77
        for pattern in [AttentionMask.Pattern.bidirectional, .causal, .prefix([30])] {
            func crowdPattern(_ seps: [Int]) -> AttentionMask.Pattern {
                if case .prefix = pattern { return .prefix(seps) }
                return pattern
            }
            // Alone: B = 1, T = probe, no padding.
            let alone = Problem(batch: 1, tq: probe, tk: probe, heads: heads, kvHeads: 2, d: d,
                                mask: AttentionMask(pattern: pattern, keyValid: [UInt8](repeating: 1, count: probe),
                                                    keyStride: probe, queryStart: [0]), seed: 1)
            // In a crowd: the probe is sequence 1 of 3, padded to T = 200 (four key blocks).
            let t = 200, lengths = [200, probe, 5]
            var crowd = Problem(batch: 3, tq: t, tk: t, heads: heads, kvHeads: 2, d: d,
                                mask: AttentionMask(pattern: crowdPattern([30, 30, 3]),
                                                    keyValid: Self.padded(batch: 3, tk: t, from: lengths),
                                                    keyStride: t, queryStart: [0, 0, 0]), seed: 2)
            let w = heads * d
            for i in 0..<probe {
                for x in 0..<w {
                    crowd.q[(t + i) * w + x] = alone.q[i * w + x]
                }
                for x in 0..<(2 * d) {
                    crowd.k[(t + i) * 2 * d + x] = alone.k[i * 2 * d + x]
                    crowd.v[(t + i) * 2 * d + x] = alone.v[i * 2 * d + x]
                }
            }
            let saved = Parallel.threadCount
            defer { Parallel.threadCount = saved }
            Parallel.threadCount = 1
            let reference = alone.run(.fused)
            // The AVX-512 and AVX2 tiles compute the same FMA chains: the same bits on either path.
            let savedWidth = CPU.useAVX512
            defer { CPU.useAVX512 = savedWidth }
            for (threads, wide) in [(1, false), (2, false), (3, false), (1, true), (2, true), (3, true)] {
                Parallel.threadCount = threads
                CPU.useAVX512 = wide && CPU.hasAVX512
                let a = alone.run(.fused)
                let c = Array(crowd.run(.fused)[(t * w)..<((t + probe) * w)])
                let differing = zip(reference, c).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(differing, 0, "\(pattern), \(threads) threads: \(differing) values differ in the crowd, "
                               + "max |diff| \(TestSupport.maxAbsDiff(reference, c))")
                XCTAssertEqual(zip(reference, a).filter { $0.bitPattern != $1.bitPattern }.count, 0,
                               "\(pattern), \(threads) threads alone")
            }
        }
    }
}
