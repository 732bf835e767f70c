import Foundation
import PromptAlign
import Tensors
import Transformers
import XCTest
import _TestSupport

/// The fine-tuning loop against the torch re-implementation of the authors' loop (same data order,
/// dropout off): every step's loss and learning rate, and the test articles' final probabilities.
final class PromptFineTuneParityTests: XCTestCase {
    func testLossCurveAndFinalProbabilitiesMatchTorch() throws { try check(PromptReferenceFixture.bert) }

    /// RoBERTa in both modes: positions counted from the padding token (attended padding at padding_idx in
    /// `reference` mode), `lm_head.*` names, exact-GELU head.
    func testRobertaLossCurveAndFinalProbabilitiesMatchTorch() throws { try check(PromptReferenceFixture.roberta) }

    func check(_ file: String) throws {
        let fixture = try PromptReferenceFixture.load(file)
        let work = try TestSupport.temporaryDirectory("prompt-finetune")
        for c in fixture.cases {
            let prepared = try MaskedLMHeadCompletion.prepare(modelDirectory: c.modelURL, workDirectory: work)
            let scorer = try PromptScorer(modelDirectory: prepared.directory, format: fixture.format(c), mode: c.promptMode)
            let encoder = scorer.encoder
            let model = try PromptCheckpoint.loadTrainable(prepared.directory, seed: 0)
            let settings = FineTuneSettings(mode: c.promptMode, learningRate: c.lr, batchSize: c.batch_size, epochs: c.epochs, dropout: 0)
            XCTAssertEqual(settings.scheduleSteps(trainCount: c.train_texts.count), c.total_steps, c.name)
            let log = try PromptFineTuner.train(model, inputs: try encoder.encode(c.train_texts), labels: c.train_labels,
                                                labelIds: encoder.labelIds, maxLength: c.max_length, settings: settings,
                                                order: c.order)
            XCTAssertEqual(log.count, c.losses.count, c.name)
            let lossDiff = TestSupport.maxAbsDiff(log.map { Float($0.loss) }, c.losses.map { Float($0) }, label: "\(c.name) losses")
            XCTAssertLessThan(lossDiff, 1e-4, c.name)
            let lrDiff = TestSupport.maxAbsDiff(log.map(\.learningRate), c.lrs.map { Float($0) }, label: "\(c.name) learning rates")
            XCTAssertLessThan(lrDiff, 1e-9, c.name)

            let test = try encoder.encode(c.test_texts)
            let expected = c.final_probabilities.flatMap { $0 }
            let direct = try PromptFineTuner.probabilities(model, inputs: test, labelIds: encoder.labelIds, maxLength: c.max_length,
                                                           mode: c.promptMode)
            let got = direct.flatMap { [$0.x, $0.y] }
            XCTAssertLessThan(TestSupport.maxAbsDiff(got, expected, label: "\(c.name) final probabilities (training model)"), 1e-4, c.name)
            // In reference mode the label words hold a small share of a whole-vocabulary softmax (1e-4 to 1e-2 in the fixtures),
            // so an absolute bound alone says little: the log-probabilities must agree too.
            XCTAssertLessThan(TestSupport.maxAbsDiff(got.map { logf($0) }, expected.map { logf($0) },
                                                     label: "\(c.name) final log-probabilities (training model)"), 1e-3, c.name)
            // The saved checkpoint, in the loaded layout, scored by the inference runtime gives the same probabilities.
            let saved = work.appendingPathComponent("\(c.name)-tuned")
            try PromptCheckpoint.save(model, to: saved, tokenizerFrom: prepared.directory)
            let source = try SafetensorsFile(url: prepared.directory.appendingPathComponent("model.safetensors"))
            let written = try SafetensorsFile(url: saved.appendingPathComponent("model.safetensors"))
            XCTAssertEqual(Set(written.names), Set(source.names), "\(c.name): saved tensor names")
            let tuned = try PromptScorer(modelDirectory: saved, format: fixture.format(c), mode: c.promptMode)
            let scored = try tuned.probabilities(test, batchSize: 4)
            XCTAssertLessThan(TestSupport.maxAbsDiff(scored.flatMap { [$0.x, $0.y] }, expected,
                                                     label: "\(c.name) final probabilities (saved, runtime)"), 1e-4, c.name)
        }
    }
}
