import Foundation

/// Settings of `generate`, with Hugging Face's meanings and defaults where it has them.
public struct GenerationConfig: Sendable {
    /// New tokens to generate at most (takes precedence over `maxLength`).
    public var maxNewTokens: Int?
    /// Total length (prompt + new tokens) at most, as HF `max_length`.
    public var maxLength: Int?
    /// Stop ids are suppressed until this many new tokens exist (HF `min_new_tokens`).
    public var minNewTokens: Int
    /// Stop ids are suppressed until the total length reaches this (HF `min_length`).
    public var minLength: Int
    /// false = greedy (argmax); true = sample.
    public var doSample: Bool
    public var temperature: Float
    /// 0 = off.
    public var topK: Int
    /// 1 = off.
    public var topP: Float
    /// 1 = off; > 1 discourages ids already in the sequence (prompt included).
    public var repetitionPenalty: Float
    /// A sequence ends when it produces one of these.
    public var stopTokenIds: Set<Int32>
    /// When set, only these ids (and the stop ids) can be produced.
    public var allowedTokenIds: Set<Int32>?
    public var seed: UInt64

    public init(maxNewTokens: Int? = 20, maxLength: Int? = nil, minNewTokens: Int = 0, minLength: Int = 0,
                doSample: Bool = false, temperature: Float = 1, topK: Int = 0, topP: Float = 1,
                repetitionPenalty: Float = 1, stopTokenIds: Set<Int32> = [], allowedTokenIds: Set<Int32>? = nil,
                seed: UInt64 = 0) {
        self.maxNewTokens = maxNewTokens
        self.maxLength = maxLength
        self.minNewTokens = minNewTokens
        self.minLength = minLength
        self.doSample = doSample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.stopTokenIds = stopTokenIds
        self.allowedTokenIds = allowedTokenIds
        self.seed = seed
    }
}

/// The logits processors and warpers of Hugging Face generation, in its order:
/// repetition penalty → allowed ids → minimum length → temperature → top-k → top-p (the last three only when sampling).
public enum LogitsProcessing {
    /// Scores seen by the chooser for one sequence (in place). `sequence` = prompt + generated ids so far;
    /// `generated` = how many of them are new.
    public static func process(_ scores: inout [Float], sequence: [Int32], generated: Int, config c: GenerationConfig) {
        let v = scores.count
        if c.repetitionPenalty != 1 {
            for id in Set(sequence) where id >= 0 && Int(id) < v {
                let s = scores[Int(id)]
                scores[Int(id)] = s < 0 ? s * c.repetitionPenalty : s / c.repetitionPenalty
            }
        }
        if let allowed = c.allowedTokenIds {
            for i in 0..<v where !allowed.contains(Int32(i)) && !c.stopTokenIds.contains(Int32(i)) {
                scores[i] = -.infinity
            }
        }
        if generated < c.minNewTokens || sequence.count < c.minLength {
            for id in c.stopTokenIds where id >= 0 && Int(id) < v { scores[Int(id)] = -.infinity }
        }
        guard c.doSample else { return }
        if c.temperature != 1 {
            for i in 0..<v { scores[i] /= c.temperature }
        }
        if c.topK > 0 && c.topK < v {
            // Keep every score ≥ the k-th largest (ties kept, as torch.topk + `<` does).
            let kth = scores.sorted(by: >)[c.topK - 1]
            for i in 0..<v where scores[i] < kth { scores[i] = -.infinity }
        }
        if c.topP < 1 {
            // Ascending sort; drop the low tail whose cumulative probability ≤ 1 − top_p; keep at least one.
            let order = (0..<v).sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            let probs = softmax(order.map { scores[$0] })
            var cumulative: Float = 0
            for (rank, i) in order.enumerated() where rank < v - 1 {
                cumulative += probs[rank]
                if cumulative <= 1 - c.topP { scores[i] = -.infinity }
            }
        }
    }

    /// Picks the next id from processed scores: argmax (lowest id on ties) or a draw from softmax(scores).
    public static func choose(_ scores: [Float], sample: Bool, rng: inout SeededRandom) -> Int32 {
        if !sample {
            var best = 0
            for i in 1..<scores.count where scores[i] > scores[best] { best = i }
            return Int32(best)
        }
        let probs = softmax(scores)
        let u = Float(rng.nextUnit())
        var cumulative: Float = 0
        var last = 0
        for (i, p) in probs.enumerated() where p > 0 {
            cumulative += p
            last = i
            if u < cumulative { return Int32(i) }
        }
        return Int32(last)
    }

    /// softmax over a row; −∞ entries get 0.
    public static func softmax(_ x: [Float]) -> [Float] {
        let m = x.max() ?? 0
        guard m > -.infinity else { return x.map { _ in 1 / Float(x.count) } }
        var e = x.map { expf($0 - m) }
        let s = e.reduce(0, +)
        for i in e.indices { e[i] /= s }
        return e
    }
}
