import Foundation
import XCTest
import Transformers
import _TestSupport

/// `ForwardOptions.skipPadding` computes only the real tokens of a right-padded batch: every real position
/// must keep the padded computation's bits (hidden states, last state, logits), padded positions read zero,
/// and batches it cannot pack (no padding, holes in the mask) take the padded path unchanged.
final class SkipPaddingTests: XCTestCase {
    /// Lengths spanning several 60-query and 64-key attention blocks, a 1-token sequence and the longest last.
    static let lengths = [3, 70, 1, 130, 64, 131]

    func testESM2() throws { try check("esm2-tiny", padId: 1, maskId: 32, vocabulary: 33) }
    func testBERT() throws { try check("bert-tiny", padId: 0, maskId: nil, vocabulary: 172) }
    func testRoBERTa() throws { try check("roberta-tiny", padId: 1, maskId: nil, vocabulary: 400) }

    func testESM2BF16() throws {
        try check("esm2-tiny", padId: 1, maskId: 32, vocabulary: 33, storage: .bf16)
    }

    private func sequences(vocabulary v: Int, maskId: Int?) -> [[Int]] {
        Self.lengths.enumerated().map { s, n in
            (0..<n).map { i in
                // ESM-2's token dropout rescales by each sequence's share of <mask>: put some in.
                if let maskId, i % 17 == 5 { return maskId }
                return 4 + (s * 31 + i * 7 + i / 3) % (v - 6)
            }
        }
    }

    /// xTrimoPGLM in every attention mode (GLM: a `<gmask>` early in each sequence), 1-D and 2-D RoPE,
    /// multi-query attention and mixture-of-experts MLPs.
    func testXTrimoPGLM() throws {
        for name in ["pglm-tiny", "pglm-tiny-2d", "pglm-tiny-mqa", "pglm-tiny-moe"] {
            for mode in [AttentionMode.mlm, .clm, .glm] {
                var seqs = sequences(vocabulary: 120, maskId: nil)
                if mode == .glm { for s in seqs.indices { seqs[s][min(2, seqs[s].count - 1)] = Int(PGLMForLM.gmaskTokenId) } }
                try check(name, sequences: seqs, padId: 0, mode: mode)
            }
        }
    }

    private func check(_ name: String, padId: Int, maskId: Int?, vocabulary: Int, storage: WeightStorage = .f32) throws {
        try check(name, sequences: sequences(vocabulary: vocabulary, maskId: maskId), padId: padId, storage: storage)
    }

    private func check(_ name: String, sequences: [[Int]], padId: Int, mode: AttentionMode? = nil,
                       storage: WeightStorage = .f32) throws {
        let name = mode.map { "\(name) \($0)" } ?? name
        let model = try Fixtures.load(name.split(separator: " ").first.map(String.init) ?? name, storage: storage)
        let input = TokenBatch(sequences: sequences, padId: padId)
        let padded = try model.forward(input, options: ForwardOptions(hiddenStates: true, logits: true, mode: mode))
        let packed = try model.forward(input, options: ForwardOptions(hiddenStates: true, logits: true, mode: mode,
                                                                      skipPadding: true))
        let t = input.length
        XCTAssertEqual(padded.hiddenStates.count, packed.hiddenStates.count)
        var pairs = [("last_hidden_state", padded.lastHiddenState, packed.lastHiddenState, padded.hiddenSize)]
        for (i, (a, b)) in zip(padded.hiddenStates, packed.hiddenStates).enumerated() {
            pairs.append(("hidden_states.\(i)", a, b, padded.hiddenSize))
        }
        if let a = padded.logits, let b = packed.logits { pairs.append(("logits", a, b, padded.vocabularySize)) }
        XCTAssertNotNil(packed.logits, name)
        for (label, a, b, width) in pairs {
            XCTAssertEqual(a.count, b.count, "\(name) \(label)")
            var differing = 0, nonzeroPad = 0
            for row in 0..<(input.batch * t) {
                let real = input.attentionMask[row] != 0
                for j in 0..<width {
                    let x = a[row * width + j], y = b[row * width + j]
                    if real && x.bitPattern != y.bitPattern { differing += 1 }
                    if !real && y != 0 { nonzeroPad += 1 }
                }
            }
            XCTAssertEqual(differing, 0, "\(name) \(label): real positions differ from the padded pass")
            XCTAssertEqual(nonzeroPad, 0, "\(name) \(label): padded positions are not zero")
        }
    }

    /// Without hidden states or logits an xTrimoPGLM pass returns nothing per token, packed or not.
    func testXTrimoPGLMWithoutOutputs() throws {
        let model = try Fixtures.load("pglm-tiny")
        let input = TokenBatch(sequences: sequences(vocabulary: 120, maskId: nil), padId: 0)
        let a = try model.forward(input, options: ForwardOptions(hiddenStates: false, logits: false))
        let b = try model.forward(input, options: ForwardOptions(hiddenStates: false, logits: false, skipPadding: true))
        XCTAssertEqual(a.lastHiddenState.count, b.lastHiddenState.count)
        XCTAssertNil(b.logits)
        XCTAssertTrue(b.hiddenStates.isEmpty)
    }

    /// A mask with a hole (not right padding) cannot be packed: the result is the padded pass, bit for bit.
    func testMaskWithHoleTakesThePaddedPath() throws {
        let model = try Fixtures.load("esm2-tiny")
        var input = TokenBatch(sequences: sequences(vocabulary: 33, maskId: nil), padId: 1)
        input.attentionMask[1] = 0                      // sequence 0 has 3 tokens: its second is masked out
        let a = try model.forward(input, options: ForwardOptions(hiddenStates: false, logits: true))
        let b = try model.forward(input, options: ForwardOptions(hiddenStates: false, logits: true, skipPadding: true))
        XCTAssertTrue(a.lastHiddenState.map(\.bitPattern) == b.lastHiddenState.map(\.bitPattern), "last hidden state")
        XCTAssertTrue(a.logits?.map(\.bitPattern) == b.logits?.map(\.bitPattern), "logits")
    }
}
