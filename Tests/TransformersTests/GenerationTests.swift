import Foundation
import XCTest
import Transformers
import _TestSupport

/// A random xTrimoPGLM-layout checkpoint held in memory.
func randomPGLM(_ c: PGLMConfiguration, seed: UInt64 = 7, tied: Bool = false, storage: WeightStorage = .f32) throws -> PGLMForLM {
    try PGLMForLM(config: c, weights: WeightLoader(source: RandomWeights.pglm(c, seed: seed, tied: tied), storage: storage))
}

final class GenerationTests: XCTestCase {
    private let prompts: [[Int32]] = [
        [29, 32, 34, 11, 2, 7, 7, 4],
        [29, 32, 34, 16],
        [29, 32, 34, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    ]

    func testCachedDecodingEqualsFullRecomputation() throws {
        var mqa = PGLMConfiguration(layers: 2, hidden: 32, heads: 4, ffn: 48, vocabSize: 40)
        mqa.multiQueryAttention = true
        mqa.multiQueryGroupNum = 2
        let cases: [(String, PGLMConfiguration, AttentionMode, [[Int32]])] = [
            ("1d-clm", PGLMConfiguration(layers: 2, hidden: 32, heads: 4, ffn: 48, vocabSize: 40), .clm, prompts),
            ("2d-clm", PGLMConfiguration(layers: 2, hidden: 32, heads: 4, ffn: 48, vocabSize: 40, rotary2D: true), .clm, prompts),
            ("2d-glm", PGLMConfiguration(layers: 2, hidden: 32, heads: 4, ffn: 48, vocabSize: 40, rotary2D: true), .glm,
             [[5, 6, 7, 29, 32], [1, 29, 32], [9, 9, 8, 7, 6, 5, 4, 29, 32]]),
            ("mqa-clm", mqa, .clm, prompts),
            // Cached keys cross a 64-key block of the attention kernel's Kᵀ layout while decoding.
            ("1d-clm-long", PGLMConfiguration(layers: 2, hidden: 32, heads: 4, ffn: 48, vocabSize: 40), .clm,
             [[29, 32, 34] + (0..<58).map { Int32(1 + $0 % 20) }, [29, 32, 34, 16]]),
        ]
        var wide = PGLMConfiguration(layers: 3, hidden: 128, heads: 4, ffn: 300, vocabSize: 64)
        wide.gluActivation = "swiglu"
        for (label, config, mode, prompts, storage) in cases.map({ ($0.0, $0.1, $0.2, $0.3, WeightStorage.f32) })
            + [("wide-swiglu-bf16", wide, AttentionMode.clm, prompts, WeightStorage.bf16)] {
            let model = try randomPGLM(config, storage: storage)
            var full: [[Float]] = [], cached: [[Float]] = []
            let gen = GenerationConfig(maxNewTokens: 10)
            let a = try model.generate(prompts: prompts, mode: mode, config: gen, useCache: false) { full.append($1) }
            let b = try model.generate(prompts: prompts, mode: mode, config: gen, useCache: true) { cached.append($1) }
            XCTAssertEqual(a.tokens, b.tokens, label)
            XCTAssertEqual(full.count, cached.count, label)
            var worst: Float = 0
            for (x, y) in zip(full, cached) { worst = max(worst, TestSupport.maxAbsDiff(x, y)) }
            print("max abs diff [\(label) cached vs full, \(full.count) steps]: \(worst)")
            XCTAssertLessThan(worst, 1e-5, label)
        }
    }

    func testSamplingIsSeededAndRespectsAllowedIds() throws {
        let model = try randomPGLM(PGLMConfiguration(layers: 1, hidden: 16, heads: 2, ffn: 24, vocabSize: 40))
        let allowed = Set<Int32>((1...20).map(Int32.init))
        let c = GenerationConfig(maxNewTokens: 15, doSample: true, temperature: 0.9, topK: 10, topP: 0.8,
                                 repetitionPenalty: 1.2, stopTokenIds: [34], allowedTokenIds: allowed, seed: 42)
        let a = try model.generate(prompts: prompts, config: c)
        let b = try model.generate(prompts: prompts, config: c)
        XCTAssertEqual(a.tokens, b.tokens)
        for (s, t) in a.tokens.enumerated() {
            XCTAssertTrue(t.allSatisfy { allowed.contains($0) || $0 == 34 }, "sequence \(s): \(t)")
        }
        var other = c
        other.seed = 43
        XCTAssertNotEqual(try model.generate(prompts: prompts, config: other).tokens, a.tokens)
    }

    func testLogitsProcessorsFollowHuggingFace() {
        var rng = SeededRandom(seed: 1)
        // Repetition penalty divides positive and multiplies negative scores of seen ids.
        var s: [Float] = [2, -2, 1, 0.5]
        LogitsProcessing.process(&s, sequence: [0, 1], generated: 0, config: GenerationConfig(repetitionPenalty: 2))
        XCTAssertEqual(s, [1, -4, 1, 0.5])
        // top-k keeps the k largest; top-p drops the ascending tail with cumulative prob ≤ 1 − p.
        var k: [Float] = [1, 4, 3, 2]
        LogitsProcessing.process(&k, sequence: [], generated: 0, config: GenerationConfig(doSample: true, topK: 2))
        XCTAssertEqual(k.map { $0 == -.infinity }, [true, false, false, true])
        var p: [Float] = [log(0.5), log(0.3), log(0.15), log(0.05)]
        LogitsProcessing.process(&p, sequence: [], generated: 0, config: GenerationConfig(doSample: true, topP: 0.8))
        XCTAssertEqual(p.map { $0 == -.infinity }, [false, false, true, true])
        // Minimum length suppresses stop ids.
        var m: [Float] = [0, 5]
        LogitsProcessing.process(&m, sequence: [0], generated: 0, config: GenerationConfig(minNewTokens: 1, stopTokenIds: [1]))
        XCTAssertEqual(LogitsProcessing.choose(m, sample: false, rng: &rng), 0)
    }
}
