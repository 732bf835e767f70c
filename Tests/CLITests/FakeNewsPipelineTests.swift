import _TestSupport
import XCTest

/// The P&A stages (news.read, news.graph, align.propagate, eval.metrics) through `trellis run`.
final class FakeNewsPipelineTests: XCTestCase {
    func testLabelOnlyPipelineOnSamples() throws {
        let run = try runShippedPipeline("fakenews-label-only", linking: ["samples", "pipelines"])
        let (dir, out) = (run.project, run.out)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("metrics.json"))) as! [String: Any]
        XCTAssertEqual((metrics["accuracy"] as? [String: Any])?["mean"] as? Double, 58.0 / 80)
        XCTAssertEqual(metrics["runs"] as? Int, 1)
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("graph.stats.json"))) as! [String: Any]
        XCTAssertEqual(stats["edges"] as? Int, 260)
        XCTAssertTrue(try String(contentsOf: out.appendingPathComponent("metrics.txt"), encoding: .utf8).contains("macro-F1"))
        // Everything is cached on a second run.
        var r = try TestSupport.runTrellis(["run", "pipelines/fakenews-label-only.yaml"], cwd: dir)
        XCTAssertTrue((r.stdout + r.stderr).contains("4 cached"), r.stdout + r.stderr)
        // prompt: predictions without a predictions file is a spec error naming the parameter.
        let spec = dir.appendingPathComponent("bad.yaml")
        try """
        name: bad
        stages:
          align:
            uses: align.propagate
            with:
              graph: out/fakenews-label-only/graph.tsv
              train: samples/news/fang_train_16.csv
              test: samples/news/fang_test_sample.csv
        """.write(to: spec, atomically: true, encoding: .utf8)
        r = try TestSupport.runTrellis(["run", "bad.yaml"], cwd: dir)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("predictions"), r.stderr)
    }
}
