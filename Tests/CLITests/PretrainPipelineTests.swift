import _TestSupport
import XCTest

/// pipelines/protein-pretrain.yaml and protein-pretrain-continue.yaml through `trellis run`, a few steps on the
/// shipped sample FASTA: the model directory loads, the learning curve reaches the run report, and
/// `init_from` starts from the given weights (its step-0 figures are that model's).
final class PretrainPipelineTests: XCTestCase {
    func testPretrainThenContinueOnSample() throws {
        let dir = try scratchProject("pretrain-pipeline", linking: ["samples", "pipelines", "Tests", "models"])
        let fasta = "fasta=samples/proteins/example.faa", heldout = "heldout_fraction=0.1"   // 4 of its 40 records
        var r = try TestSupport.runTrellis(["run", "pipelines/protein-pretrain.yaml", "--quiet", "-p", fasta, "-p", heldout, "-p", "steps=2",
                                            "-p", "output=out/trial"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let model = dir.appendingPathComponent("out/trial")
        for f in ["config.json", "model.safetensors", "train-log.jsonl", "train-log.svg", "training-summary.json", "tokenizer.model"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: model.appendingPathComponent(f).path), f)
        }
        var report = try String(contentsOf: dir.appendingPathComponent(".trellis/runs/latest/report.html"), encoding: .utf8)
        XCTAssertTrue(report.contains("<b>pretrain</b> · curve"), "the learning curve is in the run report")
        XCTAssertTrue(report.contains(">GLM (half-window context)</text>") && report.contains(">perplexity</text>"), report)

        r = try TestSupport.runTrellis(["run", "pipelines/protein-pretrain-continue.yaml", "--quiet", "-p", fasta,
                                        "-p", heldout, "-p", "steps=1", "-p", "init_from=out/trial", "-p", "output=out/continued"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        func log(_ m: String) throws -> [[String: Any]] {
            try String(contentsOf: dir.appendingPathComponent("out/\(m)/train-log.jsonl"), encoding: .utf8)
                .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        }
        let trialFinal = try log("trial").last { $0["eval_clm_ppl"] != nil }!
        let continuedStart = try log("continued").first { $0["eval_clm_ppl"] != nil }!
        XCTAssertEqual(continuedStart["step"] as? Int, 0)
        for key in ["eval_mlm_ppl", "eval_clm_ppl", "eval_glm_ppl"] {
            XCTAssertEqual(continuedStart[key] as? Double, trialFinal[key] as? Double, key)
        }
        report = try String(contentsOf: dir.appendingPathComponent(".trellis/runs/latest/report.html"), encoding: .utf8)
        XCTAssertTrue(report.contains("<b>pretrain</b> · curve"))
    }
}
