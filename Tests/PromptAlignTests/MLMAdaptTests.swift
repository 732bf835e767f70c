import Foundation
import PromptAlign
import Tensors
import Tokenizers
import Transformers
import XCTest
import _TestSupport

/// Continued masked-LM training (`mlm.adapt`): frozen-part gradients and AdamW steps against torch
/// (Tests/Fixtures/mlm, scripts/fixtures/mlm_adapt.py), the saved layout, resuming, masking and the corpus.
final class MLMAdaptTests: XCTestCase {
    static let dir = TestSupport.fixtures.appendingPathComponent("mlm")
    static let bertTiny = TestSupport.fixtures.appendingPathComponent("models/bert-tiny")

    /// Sentences made of bert-tiny's 172-token vocabulary.
    static let sentences = [
        "President Bush went to a Muslim community center just six days after the attacks.",
        "Davis was narrowly elected in 2014 to the job in the office.", "Trump raised new questions about NATO!",
        "Is this news fake?", "The president raised questions about the job six days after the news.",
        "Muslim community center elected Davis in the office.", "NATO attacks: fake news, said Trump.",
    ]

    func checkMode(_ mode: String, options: MLMAdaptOptions) throws {
        let ref = try SafetensorsFile(url: Self.dir.appendingPathComponent("bert-tiny-\(mode).safetensors"))
        let model = try EncoderTrainingModel(directory: Self.bertTiny)
        model.trainedLayers = options.mode == .head ? 0 : options.mode == .top ? options.topLayers : .max
        let shape = try ref.shape("input_ids"), (b, t) = (shape[0], shape[1])
        let ids = try ref.int64s("input_ids").map(Int32.init), att = try ref.int64s("attention_mask")
        var selected: [Int] = [], targets: [Int32] = []
        for (i, l) in try ref.int64s("labels").enumerated() where l != -100 { selected.append(i); targets.append(Int32(l)) }
        let lengths = (0..<b).map { s in (0..<t).filter { att[s * t + $0] != 0 }.count }
        let batch = TrainingBatch(batch: b, length: t, ids: ids, positions: model.positionIds(ids, batch: b, length: t),
                                  mask: TrainingMask(lengths: lengths, prefixes: lengths), selected: selected, targets: targets)
        let initial = Array(UnsafeBufferPointer(start: model.parameters.values, count: model.parameters.count))
        let trained = { (e: ParameterSet.Entry) in options.trains(e.name, layerCount: model.layerCount) }
        let optimizer = AdamW(count: model.parameters.count, weightDecay: 0.01)
        var worstGrad = 0.0, worstValue = 0.0, trainedCount = 0
        for step in 0..<2 {
            model.parameters.zeroGradients()
            let loss = model.trainStep(batch)
            if step == 0 {
                XCTAssertEqual(loss, Double(try ref.floats("loss")[0]), accuracy: 1e-4, mode)
                for e in model.parameters.entries where trained(e) {
                    trainedCount += 1
                    let want = try ref.floats("grad." + e.name)
                    for i in 0..<e.count { worstGrad = max(worstGrad, Double(abs(model.parameters.gradients[e.offset + i] - want[i]))) }
                }
                // Exactly the parameters torch trains (a frozen one would have no grad.* tensor).
                XCTAssertEqual(trainedCount, ref.names.filter { $0.hasPrefix("grad.") }.count, mode)
            }
            optimizer.update(model.parameters, lr: 1e-3, trained: trained)
        }
        for e in model.parameters.entries {
            // A key bias has no gradient in exact arithmetic (softmax ignores a per-row constant): both sides
            // hold rounding noise, which Adam's m/√v turns into ±lr steps of either sign. Frozen or not, it is
            // checked for being untouched below but not compared with torch.
            let noise = e.name.hasSuffix("attention.self.key.bias")
            let want = try ref.floats("after." + e.name)
            for i in 0..<e.count {
                let got = model.parameters.values[e.offset + i]
                if !noise { worstValue = max(worstValue, Double(abs(got - want[i]))) }
                // Frozen parameters are not touched at all (no decay, no update).
                if !trained(e) { XCTAssertEqual(got, initial[e.offset + i], "\(mode) \(e.name)"); break }
            }
        }
        print(String(format: "mlm.adapt %@: %d trained tensors; max |grad − torch| %.3g, after 2 AdamW steps max |param − torch| %.3g",
                     mode, trainedCount, worstGrad, worstValue))
        XCTAssertLessThan(worstGrad, 2e-4, mode)
        XCTAssertLessThan(worstValue, 1e-5, mode)
    }

    func testHeadOnlyMatchesTorch() throws {
        var o = MLMAdaptOptions(); o.mode = .head
        try checkMode("head", options: o)
    }

    func testTopLayerMatchesTorch() throws {
        var o = MLMAdaptOptions(); o.mode = .top; o.topLayers = 1
        try checkMode("top1", options: o)
    }

    func testAllMatchesTorch() throws {
        var o = MLMAdaptOptions(); o.mode = .all
        try checkMode("all", options: o)
    }

    func corpus(_ dir: URL) throws -> String {
        let url = dir.appendingPathComponent("corpus.txt")
        let docs = (0..<24).map { i in (0..<3).map { Self.sentences[(i + $0 * 5) % Self.sentences.count] }.joined(separator: " ") }
        try docs.joined(separator: "\n\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func adapt(_ model: URL, _ dir: URL, output: String, checkpoint: URL?, steps: Int, stopAfter: Int? = nil) throws -> MLMAdaptRun.Summary {
        var run = MLMAdaptRun(model: model, text: [try corpus(dir)], output: dir.appendingPathComponent(output),
                              workDirectory: dir.appendingPathComponent("work-\(output)"))
        run.checkpoint = checkpoint
        run.heldOutFraction = 0.2
        run.options.mode = .top
        run.options.topLayers = 1
        run.options.steps = steps
        run.options.batchSize = 4
        run.options.maxLength = 16
        run.options.evalEvery = 2
        run.options.stopAfter = stopAfter
        return try run.run()
    }

    /// A bare encoder (no head, no `bert.` prefix) comes out as a BertForMaskedLM checkpoint whose tensor names
    /// are the ones transformers expects (no missing, no unexpected keys), and a run resumed from its checkpoint
    /// ends with the same weights as an uninterrupted one.
    func testBareEncoderSavesTransformersLayoutAndResumes() throws {
        let dir = try scratchDirectory("mlm-adapt")
        let bare = TestSupport.fixtures.appendingPathComponent("models/bert-bare-tiny")
        let straight = try adapt(bare, dir, output: "straight", checkpoint: nil, steps: 6)
        XCTAssertEqual(straight.steps, 6)
        XCTAssertNotNil(straight.last)
        let keys = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("keys.json"))) as? [String: [String: [String]]]
        let expected = try XCTUnwrap(keys?["bert-bare-tiny"])
        let saved = Set(try SafetensorsFile(url: dir.appendingPathComponent("straight/model.safetensors")).names)
        XCTAssertEqual(saved.subtracting(expected["allowed"]!), [], "unexpected keys")
        XCTAssertEqual(Set(expected["required"]!).subtracting(saved), [], "missing keys")
        XCTAssertNotNil(try? TokenizerLoader.load(path: dir.appendingPathComponent("straight").path))

        let ckpt = dir.appendingPathComponent("ckpt")
        let first = try adapt(bare, dir, output: "first", checkpoint: ckpt, steps: 6, stopAfter: 3)
        XCTAssertEqual(first.steps, 3)
        let resumed = try adapt(bare, dir, output: "resumed", checkpoint: ckpt, steps: 6)
        XCTAssertEqual(resumed.steps, 6)
        let a = try SafetensorsFile(url: dir.appendingPathComponent("straight/model.safetensors"))
        let b = try SafetensorsFile(url: dir.appendingPathComponent("resumed/model.safetensors"))
        var worst: Float = 0
        for name in a.names { for (x, y) in zip(try a.floats(name), try b.floats(name)) { worst = max(worst, abs(x - y)) } }
        print("resumed vs uninterrupted: max |Δw| \(worst)")
        XCTAssertLessThanOrEqual(worst, 1e-6)
        // The log carries on from the checkpoint: step 0, every 2 steps, and the pause at step 3.
        let evals = try String(contentsOf: resumed.log, encoding: .utf8).split(separator: "\n").filter { $0.contains("eval_loss") }
        XCTAssertEqual(evals.count, 5)
        // Another mode, or the same settings on other text, does not resume this checkpoint: it starts afresh
        // (and says so) instead of continuing someone else's run.
        let ckptSteps = try XCTUnwrap(MLMAdapter.fingerprint(of: ckpt))
        for (label, change) in [("mode", { (r: inout MLMAdaptRun) in r.options.mode = .all }),
                                ("text", { (r: inout MLMAdaptRun) in r.exclude = [try! self.firstDocument(dir)] })] {
            var other = MLMAdaptRun(model: bare, text: [try corpus(dir)], output: dir.appendingPathComponent("other-\(label)"),
                                    workDirectory: dir.appendingPathComponent("work-other-\(label)"))
            other.checkpoint = ckpt
            other.heldOutFraction = 0.2
            other.options.mode = .top
            other.options.topLayers = 1
            other.options.steps = 2
            other.options.batchSize = 4
            other.options.maxLength = 16
            other.options.evalEvery = 2
            change(&other)
            var said: [String] = []
            let summary = try other.run(say: { said.append($0) })
            XCTAssertEqual(summary.steps, 2, label)
            XCTAssertTrue(said.contains { $0.contains("another configuration") && $0.contains("starting afresh") }, "\(label): \(said)")
            XCTAssertNotEqual(MLMAdapter.fingerprint(of: ckpt), ckptSteps, "\(label): the checkpoint now belongs to the new run")
        }
    }

    /// The first line of the test corpus as an exclusion file (one article in a CSV `text` column).
    func firstDocument(_ dir: URL) throws -> String {
        let first = try String(contentsOf: URL(fileURLWithPath: try corpus(dir)), encoding: .utf8)
        let url = dir.appendingPathComponent("exclude.txt")
        try first.split(separator: "\n").prefix(1).joined().write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A checkpoint that has its head (bert-tiny) is trained as it is and written back with the same names.
    func testCheckpointWithHeadKeepsItsLayout() throws {
        let dir = try scratchDirectory("mlm-adapt-head")
        let summary = try adapt(Self.bertTiny, dir, output: "out", checkpoint: nil, steps: 2)
        XCTAssertEqual(summary.steps, 2)
        let keys = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("keys.json"))) as? [String: [String: [String]]]
        let expected = try XCTUnwrap(keys?["bert-tiny"])
        let saved = Set(try SafetensorsFile(url: dir.appendingPathComponent("out/model.safetensors")).names)
        XCTAssertEqual(saved.subtracting(expected["allowed"]!), [], "unexpected keys")
        XCTAssertEqual(Set(expected["required"]!).subtracting(saved), [], "missing keys")
    }

    func testMaskingIs80_10_10OfFifteenPercent() throws {
        let n = 20_000
        let block = MLMBlocks.Block(ids: [2] + (0..<n).map { Int32(10 + $0 % 100) } + [3],
                                    maskable: [false] + [Bool](repeating: true, count: n) + [false],
                                    wordStart: [Bool](repeating: true, count: n + 2))
        let masking = MLMMasking(maskId: 4, vocabulary: 172)
        var rng = SeededRandom(seed: 1)
        let (ids, positions, targets) = masking.apply(block, rng: &rng)
        XCTAssertFalse(positions.contains(0) || positions.contains(n + 1), "special tokens are never chosen")
        let masked = positions.filter { ids[$0] == 4 }.count, kept = positions.filter { ids[$0] == block.ids[$0] }.count
        let chosen = Double(positions.count) / Double(n)
        print(String(format: "chosen %.4f, [MASK] %.4f, kept %.4f", chosen, Double(masked) / Double(positions.count), Double(kept) / Double(positions.count)))
        XCTAssertEqual(chosen, 0.15, accuracy: 0.01)
        XCTAssertEqual(Double(masked) / Double(positions.count), 0.8, accuracy: 0.03)
        // Kept: the 10 % left alone plus random draws that hit the original id.
        XCTAssertEqual(Double(kept) / Double(positions.count), 0.1, accuracy: 0.03)
        XCTAssertEqual(targets, positions.map { block.ids[$0] })
        for i in ids.indices where !positions.contains(i) { XCTAssertEqual(ids[i], block.ids[i]); if ids[i] != block.ids[i] { break } }
    }

    func testWholeWordMaskingTakesEveryPieceOfAWord() throws {
        let tokenizer = try TokenizerLoader.load(path: Self.bertTiny.path)
        let docs = [MLMDocument(text: Array(repeating: "questions davis42 nato7 elected bushx", count: 20).joined(separator: " "), file: "t", line: 1)]
        let blocks = try MLMBlocks(documents: docs, tokenizer: tokenizer, maxLength: 64, heldOutFraction: 0)
        XCTAssertGreaterThan(blocks.train.count, 1)
        let block = blocks.train[0]
        XCTAssertTrue(block.wordStart.contains(false), "the text has multi-piece words")
        var words: [[Int]] = []
        for i in block.ids.indices where block.maskable[i] { if block.wordStart[i] || words.isEmpty { words.append([i]) } else { words[words.count - 1].append(i) } }
        let masking = MLMMasking(probability: 0.3, wholeWord: true, maskId: 4, vocabulary: 172)
        for seed in 0..<20 {
            var rng = SeededRandom(seed: UInt64(seed))
            let chosen = Set(masking.apply(block, rng: &rng).positions)
            XCTAssertFalse(chosen.isEmpty)
            for w in words { XCTAssertTrue(w.allSatisfy(chosen.contains) || !w.contains(where: chosen.contains), "word \(w) split") }
        }
    }

    func testExclusionDropsTestArticlesExactlyAndNormalised() throws {
        let test = ["Breaking: the Senate voted 52-48 on Tuesday.", "A second test article."]
        let exclusion = MLMExclusion(texts: test)
        let docs = ["Breaking: the Senate voted 52-48 on Tuesday.", "BREAKING — the senate voted 52 48 on tuesday!!",
                    "  a  second\ntest article ", "An unrelated article about weather.", "An unrelated article about weather",
                    "...", "The Senate voted on Tuesday."].enumerated().map { MLMDocument(text: $1, file: "c", line: $0 + 1) }
        let out = exclusion.filter(docs)
        XCTAssertEqual(out.kept.map(\.line), [4, 7])
        XCTAssertEqual(out.excluded, 3)
        XCTAssertEqual(out.duplicates, 1)
        XCTAssertEqual(out.empty, 1)
    }

    func testCorpusReadsTextOnlyFromEveryLayout() throws {
        let dir = try scratchDirectory("mlm-corpus")
        func write(_ name: String, _ s: String) throws -> String {
            let u = dir.appendingPathComponent(name); try s.write(to: u, atomically: true, encoding: .utf8); return u.path
        }
        let jsonl = try write("a.jsonl", "{\"text\": \"one\", \"label\": 1}\n{\"content\": \"two\"}\n")
        let raw = try write("b.csv", "news_id,label,title,content\nx1,1,T,\"three, with comma\"\nx2,0,T,four\n")
        let split = try write("c.csv", "1,five\n0,\"six\nlines\"\n")
        let plain = try write("d.txt", "seven\nstill seven\n\n\neight\n")
        XCTAssertEqual(try MLMCorpus.read([jsonl, raw, split, plain]).map(\.text),
                       ["one", "two", "three, with comma", "four", "five", "six\nlines", "seven\nstill seven", "eight"])
        XCTAssertEqual(try MLMCorpus.read(plain).map(\.line), [1, 5])
        let bad = try write("e.csv", "1,a\n0,b,c\n")
        XCTAssertThrowsError(try MLMCorpus.read(bad)) { XCTAssertTrue("\($0)".contains("e.csv:2"), "\($0)") }
        let noText = try write("f.jsonl", "{\"title\": \"x\"}\n")
        XCTAssertThrowsError(try MLMCorpus.read(noText)) { XCTAssertTrue("\($0)".contains("f.jsonl:1"), "\($0)") }
    }
}
