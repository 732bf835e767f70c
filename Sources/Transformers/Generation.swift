import Foundation

/// The outcome of `generate` for a batch of prompts.
public struct GenerationResult: Sendable {
    /// New ids per prompt, including the stop id that ended it (if any).
    public var tokens: [[Int32]]
    /// Whether each sequence ended on a stop id (false = hit the length limit).
    public var stopped: [Bool]
}

extension PGLMForLM {
    /// Generates continuations of `prompts` (each laid out for `mode`: CLM `<gmask><sop><eos>` + residues, or
    /// GLM context + `<gmask><sop>`), with the KV cache (`useCache`) or by recomputing the whole sequence each
    /// step (the reference the cache is tested against). `onStep(step, logits [B, V])` sees the raw logits.
    public func generate(prompts: [[Int32]], mode: AttentionMode = .clm, config c: GenerationConfig,
                         useCache: Bool = true, onStep: ((Int, [Float]) -> Void)? = nil) throws -> GenerationResult {
        guard !prompts.isEmpty else { return GenerationResult(tokens: [], stopped: []) }
        guard mode != .mlm else { throw TransformersError.badInput("generation needs mode clm or glm") }
        if let empty = prompts.firstIndex(where: \.isEmpty) { throw TransformersError.badInput("prompt \(empty) is empty") }
        let b = prompts.count, v = vocabularySize
        let longest = prompts.map(\.count).max()!
        let steps = max(0, c.maxNewTokens ?? ((c.maxLength ?? (longest + 20)) - prompts.map(\.count).min()!))
        var sequences = prompts
        var tokens = [[Int32]](repeating: [], count: b)
        var done = [Bool](repeating: false, count: b), stopped = done
        var rng = SeededRandom(seed: c.seed)
        let (capacity, overflow) = longest.addingReportingOverflow(steps)
        try checkCache(batch: b, capacity: overflow ? Int.max : capacity)
        let cache = useCache ? makeCache(batch: b, capacity: capacity) : nil
        var logits: [Float] = []
        for step in 0..<steps {
            if step == 0 || !useCache {
                let batch = TokenBatch(sequences: sequences.map { $0.map(Int.init) }, padId: padTokenId)
                if let cache {
                    logits = try prefill(batch, mode: mode, cache: cache)
                } else {
                    let out = try forward(batch, options: ForwardOptions(hiddenStates: false, mode: mode))
                    let all = out.logits!, t = batch.length
                    logits = []
                    for s in 0..<b {
                        let row: Int = s * t + sequences[s].count - 1
                        logits += all[(row * v)..<((row + 1) * v)]
                    }
                }
            } else {
                logits = try decode(sequences.map { $0.last! }, cache: cache!)
            }
            onStep?(step, logits)
            for s in 0..<b {
                var next: Int32
                if done[s] {
                    next = sequences[s].last!
                } else {
                    var scores = Array(logits[(s * v)..<((s + 1) * v)])
                    LogitsProcessing.process(&scores, sequence: sequences[s], generated: tokens[s].count, config: c)
                    next = LogitsProcessing.choose(scores, sample: c.doSample, rng: &rng)
                    tokens[s].append(next)
                    if c.stopTokenIds.contains(next) { done[s] = true; stopped[s] = true }
                    if let maxLength = c.maxLength, c.maxNewTokens == nil, sequences[s].count + 1 >= maxLength {
                        done[s] = true
                    }
                }
                sequences[s].append(next)
            }
            if done.allSatisfy({ $0 }) { break }
        }
        return GenerationResult(tokens: tokens, stopped: stopped)
    }
}
