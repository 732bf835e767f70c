import _TestSupport
import XCTest

/// pipelines/fakenews-adapt-prompt-align.yaml through `trellis run` with the tiny bare BERT fixture (no masked-LM
/// head, so one is initialised before adaptation): mlm.adapt on the sample's article file, whose 80 test articles
/// must be kept out of the corpus, then the P&A sweep with the adapted model.
final class FakeNewsAdaptPipelineTests: XCTestCase {
    func testAdaptPipelineKeepsTestArticlesOutAndFeedsTheAdaptedModel() throws {
        let run = try runShippedPipeline("fakenews-adapt-prompt-align", [
            "model=Tests/Fixtures/models/bert-bare-tiny", "fake_word=fake", "runs=1", "K=16", "adapt_steps=4",
            // 32 train articles + the 80 test articles of the sample, as one raw article file.
            "adapt_text=samples/news/fang-sample/fang_full_train32.csv"])
        let (dir, out) = (run.project, run.out)
        // The adapted model stays in the work directory, beside the stage's summary, in the layout it was loaded from.
        func adaptedModels() throws -> [URL] {
            try FileManager.default.subpathsOfDirectory(atPath: dir.appendingPathComponent(".trellis").path)
                .filter { $0.hasSuffix("mlm-adapt-summary.json") }
                .map { dir.appendingPathComponent(".trellis/" + $0).deletingLastPathComponent().appendingPathComponent("model") }
        }
        let models = try adaptedModels()
        XCTAssertEqual(models.count, 1, "\(models)")
        for model in models {
            XCTAssertTrue(FileManager.default.fileExists(atPath: model.appendingPathComponent("model.safetensors").path))
            XCTAssertTrue(FileManager.default.fileExists(atPath: model.appendingPathComponent("vocab.txt").path))
        }

        let runs = dir.appendingPathComponent(".trellis/runs/latest")
        let report = try String(contentsOf: runs.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(report.contains("<b>adapt</b> · curve"), "the learning curve is in the run report")
        XCTAssertTrue(report.contains("held-out top-1"))
        // The summary says what the corpus kept: every test article dropped, the 32 train texts kept (no labels read).
        let summaries = try FileManager.default.subpathsOfDirectory(atPath: dir.appendingPathComponent(".trellis").path)
            .filter { $0.hasSuffix("mlm-adapt-summary.json") }
        XCTAssertEqual(summaries.count, 1, "\(summaries)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(".trellis/" + summaries[0]))) as? [String: Any]
        XCTAssertEqual(summary?["excluded_test_articles"] as? Int, 80)
        XCTAssertEqual(summary?["documents"] as? Int, 32)
        XCTAssertEqual(summary?["steps"] as? Int, 4)
        let sweep = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("fang/sweep.json"))) as? [String: Any]
        XCTAssertEqual((sweep?["rows"] as? [[String: Any]])?.count, 1)

        // The off-by-default calibration re-runs only what reads the predictions (prompt-only, P&A, their
        // metrics, the sweep): adaptation, fine-tuning and scoring are cached; the prior file (content-free and train-article rows) is there.
        let calibrated = try TestSupport.runTrellis(run.arguments + ["-p", "calibrate=articles"], cwd: dir)
        XCTAssertEqual(calibrated.status, 0, calibrated.stdout + calibrated.stderr)
        let done = (calibrated.stdout + calibrated.stderr).firstMatch(of: #/(\d+) done/#).flatMap { Int($0.1) }
        XCTAssertNotNil(done, calibrated.stdout + calibrated.stderr)
        XCTAssertLessThanOrEqual(done ?? 99, 5, calibrated.stdout + calibrated.stderr)
        let priors = try FileManager.default.subpathsOfDirectory(atPath: dir.appendingPathComponent(".trellis").path)
            .filter { $0.hasSuffix("prior-0.csv") }
        XCTAssertEqual(priors.count, 1, "\(priors)")

        // Other adaptation text makes another adapted model, and fine-tuning runs again on it (the published path
        // earlier sessions used was shared by every configuration, so one run could fine-tune another's model).
        let other = try TestSupport.runTrellis(run.arguments.map {
            $0.hasPrefix("adapt_text=") ? "adapt_text=samples/news/fang-sample/fang_full_train16.csv" : $0 }, cwd: dir)
        XCTAssertEqual(other.status, 0, other.stdout + other.stderr)
        XCTAssertEqual(try adaptedModels().count, 2)
        let rerun = (other.stdout + other.stderr).firstMatch(of: #/(\d+) done/#).flatMap { Int($0.1) } ?? 0
        XCTAssertGreaterThanOrEqual(rerun, 3, "adapt, finetune and score re-run: " + other.stdout + other.stderr)
    }
}
