import Foundation
import Transformers

/// Protein sequences encoded with the xTrimoPGLM table, split into train and held-out sets, and turned into
/// MLM and GLM training batches (xTrimoPGLM's two objectives).
public struct PretrainData: Sendable {
    /// xTrimoPGLM ids: 0 `<pad>`, 1–27 residues, 28 `<mask>`, 29 `<gmask>`, 32 `<sop>`, 34 `<eos>`, 35 `<unk>`.
    public static let residues = Array("LAGVSERTIDPKQNFYMHWCXBUZO.-")
    public static let pad: Int32 = 0, mask: Int32 = 28, gmask: Int32 = 29, sop: Int32 = 32, eos: Int32 = 34, unk: Int32 = 35
    /// The 20 standard amino acids are ids 1–20 (`LAGVSERTIDPKQNFYMHWC`), used for MLM's random replacements.
    public static let standardRange: ClosedRange<Int32> = 1...20

    public var train: [[Int32]]
    public var heldOut: [[Int32]]

    /// Residue ids of a sequence: upper-cased, `*` stop symbols dropped, unknown letters → `<unk>`.
    public static func encode(_ sequence: String) -> [Int32] {
        var table = [Int32](repeating: unk, count: 128)
        for (i, c) in residues.enumerated() { table[Int(c.asciiValue!)] = Int32(i + 1) }
        var out: [Int32] = []
        for b in sequence.utf8 where b != UInt8(ascii: "*") && b > 32 {
            let u = (b >= 97 && b <= 122) ? b - 32 : b
            out.append(u < 128 ? table[Int(u)] : unk)
        }
        return out
    }

    /// Deterministic split: record i is held out when i mod round(1/fraction) is the last residue class
    /// (every 10th record for 10 %), so the split depends only on the file's order.
    public init(sequences: [[Int32]], heldOutFraction: Double) {
        // A fraction so small that 1/f exceeds Int (or NaN) holds nothing out, as 0 does.
        let period = heldOutFraction > 0 ? max(2, Int(exactly: (1 / heldOutFraction).rounded()) ?? Int.max) : Int.max
        var tr: [[Int32]] = [], ho: [[Int32]] = []
        for (i, s) in sequences.enumerated() where !s.isEmpty {
            if period != Int.max && i % period == period - 1 { ho.append(s) } else { tr.append(s) }
        }
        train = tr
        heldOut = ho
    }

    /// Given training and evaluation sets (e.g. a corpus and a separate file of unseen organisms).
    public init(train: [[Int32]], heldOut: [[Int32]]) {
        self.train = train.filter { !$0.isEmpty }
        self.heldOut = heldOut.filter { !$0.isEmpty }
    }

    /// Unigram residue distribution of the training set (add-one smoothed over ids 1–27).
    public func unigram() -> [Double] {
        var counts = [Double](repeating: 0, count: 36)
        for s in train { for t in s { counts[Int(t)] += 1 } }
        for i in 1...27 { counts[i] += 1 }
        let total = counts.reduce(0, +)
        return counts.map { $0 / total }
    }

    /// Perplexity of the held-out residues under the training unigram distribution.
    public func unigramPerplexity(context: Int) -> Double {
        let p = unigram()
        var nll = 0.0, n = 0
        for s in heldOut {
            for t in s.prefix(context - 3) { nll -= log(p[Int(t)]); n += 1 }
        }
        return exp(nll / Double(max(n, 1)))
    }
}

/// One example before padding: ids, positions, blocks, bidirectional prefix and loss targets.
struct PretrainExample {
    var ids: [Int32]
    var positions: [Int32]
    var blocks: [Int32]
    var prefix: Int
    var targets: [(index: Int, id: Int32)]
}

extension PretrainExample {
    /// MLM: residues + `<eos>`, 15 % of residues selected (80 % `<mask>`, 10 % random residue, 10 % kept),
    /// bidirectional, positions arange (blocks 0). `maskOnly` replaces every selected residue by `<mask>`
    /// (evaluation).
    static func mlm(_ residues: ArraySlice<Int32>, rng: inout SeededRandom, maskOnly: Bool = false) -> PretrainExample {
        var ids = Array(residues) + [PretrainData.eos]
        let n = residues.count
        var picked: [Int] = []
        for i in 0..<n where rng.nextUnit() < 0.15 { picked.append(i) }
        if picked.isEmpty && n > 0 { picked = [Int(rng.next() % UInt64(n))] }
        var targets: [(Int, Int32)] = []
        for i in picked {
            targets.append((i, ids[i]))
            let u = maskOnly ? 0 : rng.nextUnit()
            if u < 0.8 {
                ids[i] = PretrainData.mask
            } else if u < 0.9 {
                ids[i] = Int32(1 + Int(rng.next() % 20))
            }
        }
        let t = ids.count
        return PretrainExample(ids: ids, positions: (0..<t).map(Int32.init), blocks: [Int32](repeating: 0, count: t),
                               prefix: t, targets: targets)
    }

    /// GLM with the span at the end, in the reference layout: context residues + `<gmask>` (bidirectional),
    /// then `<sop>` and the span generated causally. With an empty context this is the released CLM prefix
    /// `<gmask><sop><eos>` + residues (the `<eos>` is the delimiter that opens every training sample, so it
    /// only appears when no context precedes the span).
    /// 2-D positions: position min(i, g), block max(i − g, 0) with `<gmask>` at g. Every span residue is a target.
    static func glm(_ residues: ArraySlice<Int32>, contextLength k: Int) -> PretrainExample {
        let r = Array(residues)
        let infix: [Int32] = k == 0 ? [PretrainData.gmask, PretrainData.sop, PretrainData.eos]
                                    : [PretrainData.gmask, PretrainData.sop]
        let ids = Array(r[0..<k]) + infix + Array(r[k...])
        let g = k
        let t = ids.count
        var targets: [(Int, Int32)] = []
        // The token at index i predicts ids[i + 1]; the span starts after the infix and is predicted from
        // its last token.
        for i in (g + infix.count - 1)..<(t - 1) { targets.append((i, ids[i + 1])) }
        return PretrainExample(ids: ids, positions: (0..<t).map { Int32(min($0, g)) },
                               blocks: (0..<t).map { Int32(max($0 - g, 0)) }, prefix: g + 1, targets: targets)
    }
}

extension TrainingBatch {
    /// Pads examples to a common length (`<pad>`, excluded by the key mask) and flattens their targets.
    init(examples: [PretrainExample]) {
        let t = examples.map(\.ids.count).max() ?? 1, b = examples.count
        var ids = [Int32](repeating: PretrainData.pad, count: b * t)
        var pos = [Int32](repeating: 0, count: b * t), blk = pos
        var selected: [Int] = [], targets: [Int32] = []
        for (s, e) in examples.enumerated() {
            for i in 0..<e.ids.count {
                ids[s * t + i] = e.ids[i]; pos[s * t + i] = e.positions[i]; blk[s * t + i] = e.blocks[i]
            }
            for (i, id) in e.targets { selected.append(s * t + i); targets.append(id) }
        }
        self.init(batch: b, length: t, ids: ids, positions: pos, blocks: blk,
                  mask: TrainingMask(lengths: examples.map(\.ids.count), prefixes: examples.map(\.prefix)),
                  selected: selected, targets: targets)
    }
}
