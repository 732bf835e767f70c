import Foundation
import Tokenizers
import Transformers

/// A corpus cut into token blocks for masked-LM training: each document's tokens in consecutive pieces of
/// at most `maxLength` tokens with the model's special tokens around them (documents are never joined),
/// with the word boundaries whole-word masking needs. Held-out blocks come from whole documents (every
/// round(1/fraction)-th), so no held-out text is trained on.
public struct MLMBlocks: Sendable {
    public struct Block: Sendable, Equatable {
        /// Token ids, special tokens included.
        public var ids: [Int32]
        /// Per token: whether masking may pick it (not a special token).
        public var maskable: [Bool]
        /// Per token: whether a word starts here (WordPiece: not `##…`; byte-level BPE: `Ġ…` or the block's
        /// first text token).
        public var wordStart: [Bool]

        public init(ids: [Int32], maskable: [Bool], wordStart: [Bool]) {
            self.ids = ids
            self.maskable = maskable
            self.wordStart = wordStart
        }
    }

    public var train: [Block]
    public var heldOut: [Block]

    /// Shortest tail of a document kept as a block of its own (shorter tails carry too little context).
    static let shortestTail = 8

    public init(documents: [MLMDocument], tokenizer: any Tokenizer, maxLength: Int, heldOutFraction: Double) throws {
        let pieces = tokenizer.template.single
        let added = pieces.filter { if case .special = $0 { return true } else { return false } }.count
        let room = maxLength - added
        guard room >= Self.shortestTail else {
            throw PromptAlignError.invalidParameter(name: "max_length", value: String(maxLength),
                                                    expected: "room for at least \(Self.shortestTail) text tokens besides \(added) special tokens")
        }
        guard (0..<1).contains(heldOutFraction) else {
            throw PromptAlignError.invalidParameter(name: "heldout_fraction", value: String(heldOutFraction), expected: "a value in [0, 1)")
        }
        let every = heldOutFraction > 0 ? max(2, Int((1 / heldOutFraction).rounded())) : 0
        let wordPiece = tokenizer.kind == "wordpiece", byteLevel = tokenizer.kind == "bpe"
        let raw = documents.map { tokenizer.tokenize($0.text).ids }
        // Word starts by token id, looked up once per distinct id.
        var startsWord: [Int: Bool] = [:]
        func isStart(_ id: Int) -> Bool {
            if let s = startsWord[id] { return s }
            let t = tokenizer.token(of: id) ?? ""
            let s = wordPiece ? !t.hasPrefix("##") : byteLevel ? t.hasPrefix("Ġ") : true
            startsWord[id] = s
            return s
        }
        var train: [Block] = [], heldOut: [Block] = []
        for (d, ids) in raw.enumerated() {
            var start = 0
            while start < ids.count {
                let end = min(ids.count, start + room)
                if end - start < Self.shortestTail && start > 0 { break }
                var block = Block(ids: [], maskable: [], wordStart: [])
                for piece in pieces {
                    switch piece {
                    case .special(let id, _):
                        block.ids.append(Int32(id)); block.maskable.append(false); block.wordStart.append(true)
                    case .sequence:
                        for (k, id) in ids[start..<end].enumerated() {
                            block.ids.append(Int32(id)); block.maskable.append(true)
                            block.wordStart.append(k == 0 || isStart(id))
                        }
                    }
                }
                if every > 0 && d % every == every - 1 { heldOut.append(block) } else { train.append(block) }
                start = end
            }
        }
        self.train = train
        self.heldOut = heldOut
    }
}

/// BERT's masking: 15 % of the text tokens (or of whole words) are chosen; of those 80 % become the mask
/// token, 10 % a random token, 10 % stay; the loss is on the chosen positions, with the original ids as
/// targets.
public struct MLMMasking: Sendable {
    public var probability: Double
    public var wholeWord: Bool
    public var maskId: Int32
    public var vocabulary: Int

    public init(probability: Double = 0.15, wholeWord: Bool = false, maskId: Int32, vocabulary: Int) {
        self.probability = probability
        self.wholeWord = wholeWord
        self.maskId = maskId
        self.vocabulary = vocabulary
    }

    /// The masked ids, the chosen positions (ascending) and their original ids. At least one position is
    /// chosen when the block has a text token.
    public func apply(_ block: MLMBlocks.Block, rng: inout SeededRandom) -> (ids: [Int32], positions: [Int], targets: [Int32]) {
        let candidates = block.maskable.indices.filter { block.maskable[$0] }
        guard !candidates.isEmpty else { return (block.ids, [], []) }
        var chosen = [Bool](repeating: false, count: block.ids.count)
        if wholeWord {
            // Words in random order, each taken whole while the budget allows (as transformers' collator).
            var words: [[Int]] = []
            for i in candidates {
                if block.wordStart[i] || words.isEmpty { words.append([i]) } else { words[words.count - 1].append(i) }
            }
            for i in stride(from: words.count - 1, to: 0, by: -1) { words.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            let budget = max(1, Int((Double(candidates.count) * probability).rounded()))
            var taken = 0
            for w in words where taken + w.count <= budget {
                for i in w { chosen[i] = true }
                taken += w.count
            }
        } else {
            for i in candidates where rng.nextUnit() < probability { chosen[i] = true }
        }
        if !chosen.contains(true) { chosen[candidates[Int(rng.next() % UInt64(candidates.count))]] = true }
        var ids = block.ids, positions: [Int] = [], targets: [Int32] = []
        for i in chosen.indices where chosen[i] {
            positions.append(i)
            targets.append(block.ids[i])
            let r = rng.nextUnit()
            if r < 0.8 { ids[i] = maskId } else if r < 0.9 { ids[i] = Int32(rng.next() % UInt64(vocabulary)) }
        }
        return (ids, positions, targets)
    }
}
