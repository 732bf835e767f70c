import Foundation
import Tensors

/// An xTrimoPGLM / ProteinGLM model with its LM head, usable in MLM, CLM and GLM modes.
public final class PGLMForLM: LanguageModel {
    public let config: PGLMConfiguration
    let embedding: Embedding
    let blocks: [PGLMBlock]
    let finalNorm: Norm?
    let outputLayer: Linear

    /// Token ids of the xTrimoPGLM vocabulary used to lay out CLM and GLM inputs.
    public static let gmaskTokenId: Int32 = 29
    public static let sopTokenId: Int32 = 32
    public static let eosTokenId: Int32 = 34
    public static let maskTokenId: Int32 = 28

    public var family: String { "xtrimopglm" }
    public var hiddenSize: Int { config.hiddenSize }
    public var layerCount: Int { config.numLayers }
    public var vocabularySize: Int { config.paddedVocabSize }
    public var padTokenId: Int { config.padTokenId ?? 0 }
    /// The mode used when none is given: CLM when `is_causal`, else MLM.
    public var defaultMode: AttentionMode { config.isCausal ? .clm : .mlm }

    public init(config c: PGLMConfiguration, weights w: WeightLoader) throws {
        config = c
        let h = c.hiddenSize, v = c.paddedVocabSize
        let table = w.tensor(PGLMNames.wordEmbeddings + ".weight", shape: [v, h])
        embedding = Embedding(table: table, count: v, dim: h)
        blocks = (0..<c.numLayers).map { PGLMBlock(w, names: PGLMNames(layer: $0), config: c) }
        finalNorm = c.postLayerNorm ? pglmNorm(w, PGLMNames.finalNorm, c) : nil
        let weight = w.optional(PGLMNames.outputLayer + ".weight", shape: [v, h]) ?? table   // tied when absent
        let bias = w.optional(PGLMNames.outputLayer + ".bias", shape: [v])
        outputLayer = Linear(weight: weight, bias: bias, outFeatures: v, inFeatures: h, storage: w.storage)
        try w.finish()
    }

    // MARK: positions and masks

    /// Position ids, block position ids (2-D RoPE only) and the attention pattern of `mode` for a batch,
    /// following the reference `get_position_ids` / `get_masks`:
    /// MLM: arange (block 0); CLM: arange in 1-D, (0, arange) in 2-D; GLM with `<gmask>` at index n:
    /// context + `<gmask>` bidirectional, positions min(i, n) and blocks max(i − n, 0) in 2-D.
    public func layout(_ input: TokenBatch, mode: AttentionMode) throws
        -> (positions: [Int32], blocks: [Int32]?, pattern: AttentionMask.Pattern)
    {
        let b = input.batch, t = input.length
        var pos = [Int32](repeating: 0, count: b * t)
        var blk = [Int32](repeating: 0, count: b * t)
        var separators = [Int](repeating: 0, count: b)
        for s in 0..<b {
            var n = 0
            if mode == .glm {
                guard let g = (0..<t).first(where: { input.ids[s * t + $0] == Self.gmaskTokenId }) else {
                    throw TransformersError.badInput("GLM mode: sequence \(s) has no <gmask> (id \(Self.gmaskTokenId))")
                }
                n = g
                separators[s] = g + 1
            }
            for i in 0..<t {
                let k = s * t + i
                switch (mode, config.rotaryEmbedding2d) {
                case (.mlm, _), (.clm, false), (.glm, false):
                    pos[k] = Int32(i)
                case (.clm, true):
                    blk[k] = Int32(i)
                case (.glm, true):
                    pos[k] = Int32(min(i, n))
                    blk[k] = Int32(max(i - n, 0))
                }
            }
        }
        let pattern: AttentionMask.Pattern = mode == .mlm ? .bidirectional : mode == .clm ? .causal : .prefix(separators)
        return (pos, config.rotaryEmbedding2d ? blk : nil, pattern)
    }

    // MARK: forward

    public func forward(_ input: TokenBatch, options: ForwardOptions) throws -> ForwardOutput {
        let mode = options.mode ?? defaultMode
        try sizes.check(input, vocabularySize: vocabularySize, options: options)
        let lay = try Profiler.time(.other) { try layout(input, mode: mode) }
        let positions = input.positionIds ?? lay.positions
        let blocks = config.rotaryEmbedding2d ? (input.blockPositionIds ?? lay.blocks) : nil
        // An explicit [B, T, T] bias is laid out for the padded batch: it keeps the padded path.
        if options.skipPadding && input.attentionBias == nil, let packed = PackedRows(input) {
            let mask = AttentionMask(pattern: lay.pattern, keyValid: nil, keyStride: input.length,
                                     queryStart: Array(repeating: 0, count: input.batch))
            let r = run(ids: packed.gather(input.ids), batch: input.batch, length: input.length,
                        positions: packed.gather(positions), blocks: blocks.map(packed.gather), mask: mask,
                        keyCount: packed.counts, packed: packed, cache: nil, hiddenStates: options.hiddenStates,
                        logitRows: options.logits ? nil : [])
            let h = hiddenSize, v = vocabularySize
            return ForwardOutput(batch: input.batch, length: input.length, hiddenSize: h, vocabularySize: v,
                                 logits: options.logits ? packed.scatter(r.logits, width: v) : nil,
                                 hiddenStates: r.hidden.map { packed.scatter($0, width: h) },
                                 lastHiddenState: packed.scatter(r.last, width: h), contacts: nil)
        }
        var mask = AttentionMask.forward(pattern: lay.pattern, attentionMask: input.attentionMask,
                                         batch: input.batch, length: input.length)
        mask.additive = input.attentionBias
        mask.openPaddedQueries = true
        let r = run(ids: input.ids, batch: input.batch, length: input.length, positions: positions, blocks: blocks,
                    mask: mask, keyCount: Array(repeating: input.length, count: input.batch), cache: nil,
                    hiddenStates: options.hiddenStates, logitRows: options.logits ? nil : [])
        return ForwardOutput(batch: input.batch, length: input.length, hiddenSize: hiddenSize,
                             vocabularySize: vocabularySize, logits: options.logits ? r.logits : nil,
                             hiddenStates: r.hidden, lastHiddenState: r.last, contacts: nil)
    }

    /// The shared pass: embeddings → blocks → final norm; logits for `logitRows` (nil = every row) in order.
    /// With `packed`, `ids`, `positions` and `blockIds` are the N real tokens and so are the results' rows.
    func run(ids: [Int32], batch: Int, length: Int, positions: [Int32], blocks blockIds: [Int32]?,
             mask: AttentionMask, keyCount: [Int], packed: PackedRows? = nil, cache: KVCache?, hiddenStates: Bool,
             logitRows: [Int]?) -> (hidden: [[Float]], last: [Float], logits: [Float])
    {
        let n = packed?.rows ?? batch * length, h = hiddenSize
        let x = FloatBuffer(n * h)                                                        // [B, T, H] or [N, H]
        embedding.lookup(ids, out: x.pointer)
        var hidden: [[Float]] = hiddenStates ? [x.array] : []
        let scratch = PGLMScratch(rows: n, config: config)
        positions.withUnsafeBufferPointer { pos in
            (blockIds ?? []).withUnsafeBufferPointer { blk in
                for (l, block) in blocks.enumerated() {
                    block(x.pointer, batch: batch, length: length, positions: pos.baseAddress!,
                          blocks: blockIds == nil ? nil : blk.baseAddress!, mask: mask, keyCount: keyCount,
                          packed: packed, cache: cache.map { ($0, l) }, scratch: scratch)
                    if hiddenStates && l < blocks.count - 1 { hidden.append(x.array) }
                }
            }
        }
        let rows = logitRows ?? Array(0..<n)
        var last: [Float] = []
        if hiddenStates || logitRows == nil {
            finalNorm?(x.pointer, rows: n, out: x.pointer)
            last = x.array
            if hiddenStates { hidden.append(last) }
            let selected = FloatBuffer(rows.count * h)                                    // [R, H]
            for (i, r) in rows.enumerated() { selected.copy(from: x.pointer + r * h, count: h, offset: i * h) }
            return (hidden, last, logits(selected, rows: rows.count))
        }
        let selected = FloatBuffer(rows.count * h)                                        // [R, H]
        for (i, r) in rows.enumerated() { selected.copy(from: x.pointer + r * h, count: h, offset: i * h) }
        finalNorm?(selected.pointer, rows: rows.count, out: selected.pointer)
        return (hidden, last, logits(selected, rows: rows.count))
    }

    private func logits(_ x: FloatBuffer, rows: Int) -> [Float] {
        guard rows > 0 else { return [] }
        let out = FloatBuffer(rows * vocabularySize)                                      // [R, V]
        outputLayer(x.pointer, rows: rows, out: out.pointer)
        return out.array
    }

    // MARK: incremental decoding

    /// A cache for `batch` sequences of up to `capacity` tokens.
    public func makeCache(batch: Int, capacity: Int) -> KVCache {
        KVCache(batch: batch, capacity: capacity, layers: config.numLayers, kvHeads: config.kvHeads,
                headDim: config.kvChannels)
    }

    /// Runs the prompts (right-padded; `mode` is `.clm` or `.glm`) into an empty cache and returns the logits
    /// [B, V] at each prompt's last real token.
    public func prefill(_ input: TokenBatch, mode: AttentionMode, cache: KVCache) throws -> [Float] {
        guard mode != .mlm else { throw TransformersError.badInput("incremental decoding needs mode clm or glm") }
        guard cache.batch == input.batch, input.length <= cache.capacity else {
            throw TransformersError.badInput("cache holds \(cache.batch)×\(cache.capacity) tokens, prompts are \(input.batch)×\(input.length)")
        }
        try sizes.check(input, vocabularySize: vocabularySize, options: ForwardOptions(hiddenStates: false, logits: false))
        let lengths = input.lengths
        if let empty = lengths.firstIndex(of: 0) { throw TransformersError.badInput("prompt \(empty) is empty") }
        let lay = try layout(input, mode: mode)
        let positions = input.positionIds ?? lay.positions
        let blocks = config.rotaryEmbedding2d ? (input.blockPositionIds ?? lay.blocks) : nil
        cache.reset()
        let mask = AttentionMask.forward(pattern: lay.pattern, attentionMask: input.attentionMask,
                                         batch: input.batch, length: input.length)
        let lastRows = (0..<input.batch).map { $0 * input.length + lengths[$0] - 1 }
        let r = run(ids: input.ids, batch: input.batch, length: input.length, positions: positions, blocks: blocks,
                    mask: mask, keyCount: Array(repeating: input.length, count: input.batch), cache: cache,
                    hiddenStates: false, logitRows: lastRows)
        for b in 0..<input.batch {
            let k = lastRows[b]
            cache.lengths[b] = lengths[b]
            if let blocks {
                cache.nextPosition[b] = positions[k]
                cache.nextBlockPosition[b] = blocks[k] + 1
            } else {
                cache.nextPosition[b] = positions[k] + 1
            }
        }
        return r.logits
    }

    /// Appends one token per sequence and returns the logits [B, V] of the new tokens.
    public func decode(_ tokens: [Int32], cache: KVCache) throws -> [Float] {
        guard tokens.count == cache.batch else {
            throw TransformersError.badInput("decode: \(tokens.count) tokens for a batch of \(cache.batch)")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw TransformersError.badInput("decode: token id \(bad) is outside 0..<\(vocabularySize)")
        }
        if let full = cache.lengths.firstIndex(where: { $0 >= cache.capacity }) {
            throw TransformersError.badInput("decode: sequence \(full) filled the cache (\(cache.capacity) tokens)")
        }
        let mask = AttentionMask(pattern: .causal, keyValid: nil, keyStride: cache.capacity, queryStart: cache.lengths)
        let keyCount = cache.lengths.map { $0 + 1 }
        let r = run(ids: tokens, batch: cache.batch, length: 1, positions: cache.nextPosition,
                    blocks: config.rotaryEmbedding2d ? cache.nextBlockPosition : nil, mask: mask, keyCount: keyCount,
                    cache: cache, hiddenStates: false, logitRows: Array(0..<cache.batch))
        for b in 0..<cache.batch {
            cache.lengths[b] += 1
            if config.rotaryEmbedding2d { cache.nextBlockPosition[b] += 1 } else { cache.nextPosition[b] += 1 }
        }
        return r.logits
    }
}
