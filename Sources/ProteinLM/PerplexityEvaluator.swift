import Foundation
import Transformers

/// Per-residue perplexity of an xTrimoPGLM model on protein sequences in its three modes, each sequence
/// cropped to its first `context − 3` residues. Deterministic: the MLM masks are seeded by sequence index.
public struct PerplexityEvaluator: Sendable {
    /// Longest input in tokens (residues plus three special tokens); padded tokens per evaluation batch; 2-D
    /// RoPE positions (position min(i, g), block max(i − g, 0)) or arange positions for 1-D models.
    public var context: Int, tokensPerBatch: Int, rotary2D: Bool

    public init(context: Int, tokensPerBatch: Int, rotary2D: Bool) {
        (self.context, self.tokensPerBatch, self.rotary2D) = (context, tokensPerBatch, rotary2D)
    }

    /// Perplexities and how many residues each is over.
    public struct Result: Sendable {
        public var mlm: Double, clm: Double, glm: Double
        public var mlmResidues: Int, clmResidues: Int, glmResidues: Int
    }

    /// MLM: 15 % of residues → `<mask>` (fixed seed per sequence), over the masked positions. CLM:
    /// `<gmask><sop><eos>` + residues, over every residue. GLM: the first half of the window as context, the
    /// second half generated after `<gmask><sop>`, over the span's residues.
    public func evaluate(_ model: PGLMTrainingModel, sequences: [[Int32]]) -> Result {
        let maxResidues = context - 3
        var nll = [0.0, 0.0, 0.0], count = [0, 0, 0]
        var groups: [[PretrainExample]] = [[], [], []]
        func flush() {
            for m in 0..<3 where !groups[m].isEmpty {
                let r = model.evaluate(TrainingBatch(examples: groups[m]))
                nll[m] += r.nll
                count[m] += r.count
            }
            groups = [[], [], []]
        }
        // Length-sorted so batches carry little padding; the index seeds the masks, not the order.
        let order = sequences.indices.filter { !sequences[$0].isEmpty }.sorted { sequences[$0].count < sequences[$1].count }
        for i in order {
            let s = sequences[i]
            let window = s[0..<min(s.count, maxResidues)]
            var rng = SeededRandom(seed: 1234 + UInt64(i))
            if (groups[0].count + 1) * (window.count + 3) > tokensPerBatch { flush() }
            groups[0].append(PretrainExample.mlm(window, rng: &rng, maskOnly: true))
            groups[1].append(positioned(PretrainExample.glm(window, contextLength: 0)))
            if window.count >= 2 { groups[2].append(positioned(PretrainExample.glm(window, contextLength: window.count / 2))) }
        }
        flush()
        func ppl(_ m: Int) -> Double { exp(nll[m] / Double(max(count[m], 1))) }
        return Result(mlm: ppl(0), clm: ppl(1), glm: ppl(2), mlmResidues: count[0], clmResidues: count[1], glmResidues: count[2])
    }

    /// 1-D models use plain arange positions in every mode.
    func positioned(_ e: PretrainExample) -> PretrainExample {
        if rotary2D { return e }
        var e = e
        e.positions = (0..<e.ids.count).map(Int32.init)
        return e
    }
}
