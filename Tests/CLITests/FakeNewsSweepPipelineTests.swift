import _TestSupport
import XCTest

/// pipelines/fakenews-prompt-align-sweep.yaml through `trellis run`: the P&A method as `matrix: {K: …}`
/// stages on the shipped sample (K = 16 and 32), with the tiny BERT fixture as the model (its vocabulary
/// has no single-piece "rumor", so the fake label word is "fake"), then `eval.sweep` over the instances.
final class FakeNewsSweepPipelineTests: XCTestCase {
    func testSweepPipelineOnSamplesWithTinyBERT() throws {
        let run = try runShippedPipeline("fakenews-prompt-align-sweep", ["model=Tests/Fixtures/models/bert-tiny", "fake_word=fake", "runs=1"])
        let (dir, out) = (run.project, run.out)

        // One row per K, each method's summary read back from that K's eval.metrics file.
        let sweep = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("sweep.json"))) as! [String: Any]
        let rows = sweep["rows"] as! [[String: Any]]
        XCTAssertEqual(rows.map { $0["k"] as? Int }, [16, 32])
        for row in rows {
            for method in ["label_only", "prompt_only", "aligned"] {
                let m = row[method] as? [String: Any]
                XCTAssertEqual(m?["train_count"] as? Int, row["k"] as? Int, method)
                XCTAssertEqual(m?["runs"] as? Int, 1, method)
            }
        }
        // The K = 16 baseline is the label-only pipeline's figure on the same sample.
        let k16 = (rows[0]["label_only"] as? [String: Any])?["accuracy"] as? [String: Any]
        XCTAssertEqual(k16?["mean"] as? Double, 58.0 / 80)
        let labelOnly32 = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("K32/label-only.metrics.json"))) as! [String: Any]
        XCTAssertEqual(((rows[1]["label_only"] as? [String: Any])?["accuracy"] as? [String: Any])?["mean"] as? Double,
                       (labelOnly32["accuracy"] as? [String: Any])?["mean"] as? Double)
        let table = try String(contentsOf: out.appendingPathComponent("sweep.txt"), encoding: .utf8)
        XCTAssertTrue(table.hasPrefix("| K | runs | label-only acc |"), table)
        XCTAssertTrue(table.contains("\n| 16 | 1 | 72.50 | "), table)

        // The run report shows the per-K figure, the table and every K's confusion matrices.
        let report = try String(contentsOf: dir.appendingPathComponent(".trellis/runs/latest/report.html"), encoding: .utf8)
        XCTAssertTrue(report.contains("<b>sweep</b> · plot"), report)
        XCTAssertTrue(report.contains("accuracy against K (mean ± std over runs)"))
        XCTAssertTrue(report.contains("macro-F1 against K (mean ± std over runs)"))
        XCTAssertTrue(report.contains("<table class=\"data\"><tr><th>K</th><th>runs</th><th>label-only acc</th>"), "the Markdown table as a table")
        // The main figure (metrics against K) comes before the confusion matrices.
        let main = try XCTUnwrap(report.range(of: "accuracy against K")).lowerBound
        let firstConfusion = try XCTUnwrap(report.range(of: ">confusion, 1 run(s)")).lowerBound
        XCTAssertLessThan(main, firstConfusion)
        for k in [16, 32] {
            for (stage, file) in [("metrics_label_only", "label-only"), ("metrics_prompt_only", "prompt-only"), ("metrics", "prompt-align")] {
                XCTAssertTrue(report.contains("<b>\(stage)[K=\(k)]</b> · plot <a href=\"file://")
                              && report.contains("<code>out/fakenews-prompt-align-sweep/K\(k)/\(file).confusion.svg</code></a>"),
                              "\(stage)[K=\(k)]")
            }
        }
        XCTAssertEqual(report.components(separatedBy: ">confusion, 1 run(s): accuracy").count - 1, 6)

        // Everything is cached on a second run.
        var r = try TestSupport.runTrellis(run.arguments, cwd: dir)
        XCTAssertTrue((r.stdout + r.stderr).contains("20 cached"), r.stdout + r.stderr)

        // One K only: its instances are cached, the sweep runs again over the one K.
        r = try TestSupport.runTrellis(["plan", "pipelines/fakenews-prompt-align-sweep.yaml", "-p", "model=Tests/Fixtures/models/bert-tiny",
                                        "-p", "fake_word=fake", "-p", "runs=1", "-p", "K=16"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("finetune[K=16]             prompt.finetune  cached"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\nfinetune[K=32]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("gathered instances changed: metrics;"), r.stdout)
        XCTAssertTrue(r.stdout.contains("upstream removed: metrics[K=32]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("1 to run, 10 cached"), r.stdout)
    }

    /// eval.sweep needs K in each summary (eval.metrics writes it) and one summary per K and method.
    func testSweepStageErrors() throws {
        let dir = try scratchDirectory("fakenews-sweep-errors")
        let summary = """
        {"runs": 1, "accuracy": {"mean": 0.5, "std": 0, "std_sample": 0, "min": 0.5, "max": 0.5},
         "macro_precision": {"mean": 0.5, "std": 0, "std_sample": 0, "min": 0.5, "max": 0.5},
         "macro_recall": {"mean": 0.5, "std": 0, "std_sample": 0, "min": 0.5, "max": 0.5},
         "macro_f1": {"mean": 0.5, "std": 0, "std_sample": 0, "min": 0.5, "max": 0.5}, "per_run": []
        """
        try (summary + "}").write(to: dir.appendingPathComponent("nok.json"), atomically: true, encoding: .utf8)
        try (summary + ", \"train_count\": 16}").write(to: dir.appendingPathComponent("a.json"), atomically: true, encoding: .utf8)
        try (summary + ", \"train_count\": 16}").write(to: dir.appendingPathComponent("b.json"), atomically: true, encoding: .utf8)
        func run(_ with: String) throws -> (status: Int32, stdout: String, stderr: String) {
            try "stages:\n  sweep:\n    uses: eval.sweep\n    with:\n\(with)".write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
            return try TestSupport.runTrellis(["run", "s.yaml", "--quiet"], cwd: dir)
        }
        var r = try run("      prompt_align: [nok.json]\n")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("nok.json (prompt_align): expected train_count (K), written by eval.metrics, found none"), r.stderr)
        r = try run("      label_only: [a.json, b.json]\n")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("label_only: expected one summary per K, found K = 16 in a.json and b.json"), r.stderr)
        r = try run("      table: out/t.txt\n")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("s.yaml:2:3: parameter 'prompt_align' of stage 'sweep' (eval.sweep): give at least one of label_only, prompt_only, prompt_align"),
                      r.stderr)
        r = try run("      prompt_align: [a.json]\n      label_only: [b.json]\n")
        XCTAssertEqual(r.status, 0, r.stderr)
    }
}
