import XCTest
import _TestSupport

/// `--json` is honoured by every benchmark (train, engine and attention refused or ignored it before):
/// stdout is JSON objects only, one per line, the header goes to stderr.
final class BenchJSONTests: XCTestCase {
    func objects(_ args: [String]) throws -> [[String: Any]] {
        let r = try TestSupport.runTrellis(["bench"] + args + ["--json"], cwd: TestSupport.repoRoot)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertFalse(lines.isEmpty, r.stderr)
        return try lines.map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return try XCTUnwrap(o, "not a JSON object: \(line)")
        }
    }

    func testTrainEngineAndAttentionPrintJSON() throws {
        let train = try objects(["train", "--steps", "1", "--threads", "1", "--no-reference"])
        XCTAssertNotNil(train.first?["trellis_tokens_per_second"] as? Double)
        let engine = try objects(["engine", "--plan-stages", "200", "--stages", "4", "--jobs", "1", "--no-snakemake"])
        XCTAssertNotNil(engine.first?["shell_ms_per_stage"] as? Double)
        let attention = try objects(["attention", "--shapes", "1,8,2,4", "--reps", "1", "--threads", "1", "--no-reference"])
        XCTAssertEqual(attention.first?["length"] as? Int, 8)
    }

    /// The protein pretraining step: real batches of a FASTA file, wall and CPU-time figures.
    func testTrainPGLMTinyPrintsJSON() throws {
        let r = try objects(["train", "--model", "pglm-tiny", "--fasta", "samples/proteins/example.faa", "--steps", "2",
                             "--threads", "1", "--no-reference"])
        let o = try XCTUnwrap(r.first)
        XCTAssertEqual(o["model"] as? String, "pglm-tiny")
        XCTAssertGreaterThan(o["tokens"] as? Int ?? 0, 0)
        XCTAssertGreaterThan(o["tokens_per_cpu_second"] as? Double ?? 0, 0)
        let bad = try TestSupport.runTrellis(["bench", "train", "--model", "pglm-huge"], cwd: TestSupport.repoRoot)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("pglm-tiny"), bad.stderr)
    }

    func testBenchmarkHelpIsItsOwn() throws {
        let r = try TestSupport.runTrellis(["bench", "train", "--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix("USAGE: trellis bench train"), r.stdout)
    }
}
