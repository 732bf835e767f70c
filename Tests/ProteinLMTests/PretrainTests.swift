import Foundation
import ProteinLM
import Transformers
import _TestSupport
import XCTest

/// protein.pretrain's data layout, seeded reproducibility and exact resume from a checkpoint.
final class PretrainTests: XCTestCase {
    static func data() -> PretrainData {
        var rng = SeededRandom(seed: 9)
        let seqs: [[Int32]] = (0..<40).map { i in (0..<(8 + i % 20)).map { _ in Int32(1 + rng.next() % 20) } }
        return PretrainData(sequences: seqs, heldOutFraction: 0.1)
    }

    static func options() -> PretrainOptions {
        var o = PretrainOptions()
        o.layers = 1; o.hidden = 16; o.heads = 2; o.ffn = 16; o.context = 24
        o.steps = 6; o.warmup = 2; o.tokensPerBatch = 96; o.evalEvery = 100; o.logEvery = 1; o.seed = 3
        o.dropout = 0.1
        return o
    }

    func testGLMAndMLMExampleLayout() throws {
        var o = Self.options()
        o.mlmRatio = 0.5
        let t = try PretrainTrainer(data: Self.data(), options: o)
        var sawGLM = false, sawMLM = false, sawContext = false
        for step in 0..<8 {
            let b = t.batch(step: step, micro: 0)
            for s in 0..<b.batch {
                let row = Array(b.ids[(s * b.length)..<((s + 1) * b.length)])
                if let g = row.firstIndex(of: PretrainData.gmask) {
                    sawGLM = true
                    XCTAssertEqual(row[g + 1], PretrainData.sop)
                    // The reference layout: `<eos>` opens the sample only when there is no context.
                    if g == 0 { XCTAssertEqual(row[g + 2], PretrainData.eos) } else { sawContext = true; XCTAssertNotEqual(row[g + 2], PretrainData.eos) }
                    XCTAssertEqual(b.mask.prefixes[s], g + 1, "context + <gmask> bidirectional, span causal")
                    for i in 0..<b.mask.lengths[s] {
                        XCTAssertEqual(b.positions[s * b.length + i], Int32(min(i, g)))
                        XCTAssertEqual(b.blocks![s * b.length + i], Int32(max(i - g, 0)))
                    }
                } else {
                    sawMLM = true
                    XCTAssertGreaterThanOrEqual(b.mask.prefixes[s], b.mask.lengths[s], "MLM rows are bidirectional")
                    XCTAssertEqual(row[b.mask.lengths[s] - 1], PretrainData.eos)
                }
            }
        }
        XCTAssertTrue(sawGLM && sawMLM && sawContext)
    }

    func testSplitEncodingAndBaselines() {
        XCTAssertEqual(PretrainData.encode("lagV*X?"), [1, 2, 3, 4, 21, 35])
        let d = Self.data()
        XCTAssertEqual(d.heldOut.count, 4)   // records 9, 19, 29, 39
        XCTAssertEqual(d.train.count, 36)
        let ppl = d.unigramPerplexity(context: 24)
        print("unigram baseline perplexity on synthetic held-out set: \(ppl)")
        XCTAssert(ppl > 15 && ppl < 25)
    }

    func testSameSeedSameRunAndExactResume() throws {
        let dir = try scratchDirectory("pretrain")
        func run(_ name: String, split: Bool) throws -> [Float] {
            let ckpt = dir.appendingPathComponent(name)
            var t = try PretrainTrainer(data: Self.data(), options: Self.options())
            t.say = { _ in }
            let log = dir.appendingPathComponent(name + ".jsonl")
            if split {
                try t.train(logURL: log, checkpoint: ckpt, until: 3) { _, _ in }
                t = try PretrainTrainer(data: Self.data(), options: Self.options())
                t.say = { _ in }
                XCTAssertTrue(try t.resume(from: ckpt))
                XCTAssertEqual(t.step, 3)
            }
            try t.train(logURL: log, checkpoint: nil) { _, _ in }
            return Array(UnsafeBufferPointer(start: t.model.parameters.values, count: t.model.parameters.count))
        }
        let a = try run("a", split: false), b = try run("b", split: false), c = try run("c", split: true)
        XCTAssertEqual(a, b, "same seed, same weights")
        XCTAssertEqual(a, c, "stopping at step 3, saving and resuming gives the uninterrupted run's weights")
    }

    /// `init_from`: a trainer started from a saved model has its weights (and so its held-out figures), with a
    /// fresh optimiser and step; a different architecture is refused.
    func testInitialiseFromSavedModel() throws {
        let dir = try scratchDirectory("pretrain-init")
        let a = try PretrainTrainer(data: Self.data(), options: Self.options())
        a.say = { _ in }
        try a.train(logURL: dir.appendingPathComponent("a.jsonl"), checkpoint: nil) { _, _ in }
        let saved = dir.appendingPathComponent("model")
        try a.model.save(to: saved, dtype: .f32)
        var o = Self.options()
        o.seed = 99
        let b = try PretrainTrainer(data: Self.data(), options: o)
        let fresh = b.evaluate()
        try b.initialise(from: saved)
        let ea = a.evaluate(), eb = b.evaluate()
        XCTAssertEqual(eb.mlm, ea.mlm); XCTAssertEqual(eb.clm, ea.clm); XCTAssertEqual(eb.glm, ea.glm)
        XCTAssertNotEqual(fresh.clm, eb.clm)
        XCTAssertEqual(b.step, 0)
        o.hidden = 32
        XCTAssertThrowsError(try PretrainTrainer(data: Self.data(), options: o).initialise(from: saved))
        // Same tensors, other layout: DeepNorm weights must not start a pre-LN run.
        o.hidden = Self.options().hidden
        o.preLN = true
        assertThrows(try PretrainTrainer(data: Self.data(), options: o).initialise(from: saved),
                     containing: "expected the layout this run trains (norm: pre)")
    }

    /// `norm: pre` trains the pre-LN layout and saves it as such (α = 1, residual from the layer input), so
    /// the runtime loads the same maths.
    func testPreLNLayoutIsSaved() throws {
        let dir = try scratchDirectory("pretrain-preln")
        var o = Self.options()
        o.preLN = true
        let t = try PretrainTrainer(data: Self.data(), options: o)
        XCTAssertEqual(t.model.config.alpha, 1)
        try t.model.save(to: dir, dtype: .f32)
        let c = try JSONDecoder().decode(PGLMConfiguration.self, from: Data(contentsOf: dir.appendingPathComponent("config.json")))
        XCTAssertFalse(c.deepnorm)
        XCTAssertFalse(c.applyResidualConnectionPostLayernorm)
    }
}
