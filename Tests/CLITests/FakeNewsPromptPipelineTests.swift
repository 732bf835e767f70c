import _TestSupport
import XCTest

/// pipelines/fakenews-prompt-align.yaml (the default demo: mlm.adapt, then Prompt-and-Align) through `trellis run`,
/// with the tiny BERT fixture as the model (its vocabulary has no single-piece "rumor", so the fake label word is
/// "fake") and the sample's article file as adaptation text.
final class FakeNewsPromptPipelineTests: XCTestCase {
    func testPromptAlignPipelineOnSamplesWithTinyBERT() throws {
        let run = try runShippedPipeline("fakenews-prompt-align", ["model=Tests/Fixtures/models/bert-tiny", "fake_word=fake", "runs=2",
                                                                   "adapt_text=samples/news/fang_articles_sample.csv", "adapt_steps=3"])
        let (dir, out) = (run.project, run.out)
        for (file, runs) in [("prompt-align", 2), ("prompt-only", 2), ("label-only", 1)] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("\(file).metrics.json"))) as! [String: Any]
            XCTAssertEqual(json["runs"] as? Int, runs, file)
            let acc = (json["accuracy"] as? [String: Any])?["mean"] as? Double ?? -1
            XCTAssertTrue((0...1).contains(acc), "\(file) accuracy \(acc)")
        }
        // The label-only baseline is the label-only pipeline's figure on the same sample.
        let labelOnly = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("label-only.metrics.json"))) as! [String: Any]
        XCTAssertEqual((labelOnly["accuracy"] as? [String: Any])?["mean"] as? Double, 58.0 / 80)
        var r = try TestSupport.runTrellis(run.arguments, cwd: dir)
        XCTAssertTrue((r.stdout + r.stderr).contains("11 cached"), r.stdout + r.stderr)

        // A missing model says what to pass.
        r = try TestSupport.runTrellis(["run", "pipelines/fakenews-prompt-align.yaml", "--quiet", "-p", "model=no/such/model"], cwd: dir)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue((r.stdout + r.stderr).contains("model"), r.stdout + r.stderr)
    }

    /// The same pipeline with the tiny RoBERTa of the prompt fixtures (verbalizer news / rumor, single tokens
    /// there), in corrected mode: prompt.finetune trains RoBERTa and writes a RoBERTa checkpoint that
    /// prompt.score loads.
    func testPromptAlignPipelineWithTinyRoBERTa() throws {
        let run = try runShippedPipeline("fakenews-prompt-align", ["model=Tests/Fixtures/prompt/roberta-tiny", "runs=1", "mode=corrected",
                                                                   "adapt_text=samples/news/fang_articles_sample.csv", "adapt_steps=2"])
        let (dir, out) = (run.project, run.out)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("prompt-align.metrics.json"))) as! [String: Any]
        XCTAssertEqual(json["runs"] as? Int, 1)
        let files = FileManager.default.enumerator(at: dir.appendingPathComponent(".trellis"), includingPropertiesForKeys: nil)!
        let configs = files.compactMap { $0 as? URL }.filter { $0.path.hasSuffix("run-0/config.json") }
        XCTAssertEqual(configs.count, 1, "one fine-tuned checkpoint")
        for url in configs {
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            XCTAssertEqual(config["model_type"] as? String, "roberta")
        }
    }
}
