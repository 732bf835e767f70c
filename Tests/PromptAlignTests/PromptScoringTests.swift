import Foundation
import PromptAlign
import Tokenizers
import XCTest
import _TestSupport

/// Prompt encoding and scoring against the torch re-implementation of the authors' code
/// (Tests/Fixtures/prompt, scripts/fixtures/prompt_align.py).
final class PromptScoringTests: XCTestCase {
    func testEncodingMatchesEncodePlus() throws {
        for (fixture, c) in try PromptReferenceFixture.allCases() {
            let encoder = try PromptEncoder(format: fixture.format(c), tokenizer: TokenizerLoader.load(path: c.modelURL.path))
            XCTAssertEqual(encoder.labelIds, c.label_ids, c.name)
            for (texts, expected) in [(c.train_texts, c.train_encoded), (c.test_texts, c.test_encoded)] {
                let got = try encoder.encode(texts)
                XCTAssertEqual(got.map { $0.ids.map(Int.init) }, expected.map(\.ids), c.name)
                XCTAssertEqual(got.map(\.maskPosition), expected.map(\.mask_position), c.name)
            }
        }
    }

    func testZeroShotProbabilitiesMatchTorch() throws {
        let work = try scratchDirectory("prompt-scoring")
        for (fixture, c) in try PromptReferenceFixture.allCases() {
            let prepared = try MaskedLMHeadCompletion.prepare(modelDirectory: c.modelURL, workDirectory: work)
            XCTAssertEqual(prepared.warning != nil, c.bare_head_completed, c.name)
            let scorer = try PromptScorer(modelDirectory: prepared.directory, format: fixture.format(c), mode: c.promptMode)
            let inputs = try scorer.encoder.encode(c.test_texts)
            // Batches of 4 and of everything: in reference mode the padding to max_length makes them agree.
            for batch in [4, inputs.count] {
                let p = try scorer.probabilities(inputs, batchSize: batch)
                let diff = TestSupport.maxAbsDiff(p.flatMap { [$0.x, $0.y] }, c.initial_probabilities.flatMap { $0 },
                                                  label: "\(c.name) zero-shot probabilities, batch \(batch)")
                XCTAssertLessThan(diff, 1e-5, c.name)
            }
        }
    }

    func testLabelWordThatSplitsIsRejected() throws {
        let tokenizer = try TokenizerLoader.load(path: TestSupport.fixtures.appendingPathComponent("models/bert-tiny").path)
        assertThrows(try PromptEncoder(format: PromptFormat(labelWords: ["news", "rumor"]), tokenizer: tokenizer), containing: "rumor")
        XCTAssertThrowsError(try PromptFormat(template: "<text> [MASK] [MASK]").validate())
    }

    /// The analytic BCE gradient against central differences, in both modes.
    func testBCEGradientMatchesFiniteDifferences() {
        let v = 7, labelIds = [2, 5], labels = [0, 1]
        var logits: [Float] = (0..<(2 * v)).map { Float(sin(Double($0) * 1.3)) * 2 }
        for mode in PromptMode.allCases {
            var grad = [Float](repeating: 0, count: logits.count)
            _ = LabelWordScore.bceLoss(logits: logits, rows: 2, vocabulary: v, labels: labels, labelIds: labelIds, mode: mode, dlogits: &grad)
            var scratch = [Float](repeating: 0, count: logits.count)
            for j in logits.indices {
                let saved = logits[j], h: Float = 1e-2
                logits[j] = saved + h
                let up = LabelWordScore.bceLoss(logits: logits, rows: 2, vocabulary: v, labels: labels, labelIds: labelIds, mode: mode, dlogits: &scratch)
                logits[j] = saved - h
                let down = LabelWordScore.bceLoss(logits: logits, rows: 2, vocabulary: v, labels: labels, labelIds: labelIds, mode: mode, dlogits: &scratch)
                logits[j] = saved
                XCTAssertEqual(Double(grad[j]), (up - down) / Double(2 * h), accuracy: 2e-3, "\(mode) logit \(j)")
            }
        }
    }
}
