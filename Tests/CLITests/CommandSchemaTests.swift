import XCTest
import _TestSupport

/// Every command reads its options from one schema (issue 15): a misspelt option is named with the closest
/// real one (exit 2), `--help` lists the schema's docs and defaults, values are checked by the schema's
/// validation, and `--output -` writes stdout only once the command succeeded.
final class CommandSchemaTests: XCTestCase {
    let samples = TestSupport.repoRoot.appendingPathComponent("samples/news")
    func sample(_ name: String) -> String { samples.appendingPathComponent(name).path }

    func run(_ args: [String], cwd: URL = TestSupport.repoRoot) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.runTrellis(args, cwd: cwd)
    }

    func testAMisspeltOptionOfEveryCommandIsNamed() throws {
        let spec = "pipelines/fasta-stats.yaml"
        let cases: [([String], String, String)] = [
            (["align", "--grpah", "g.tsv"], "--grpah", "--graph"),
            (["prompt-align", "--ouptut-dir", "d"], "--ouptut-dir", "--output-dir"),
            (["forward", "m", "--batch-szie", "4"], "--batch-szie", "--batch-size"),
            (["mlm-adapt", "--stpes", "5"], "--stpes", "--steps"),
            (["tokenize", "--tokenzier", "t"], "--tokenzier", "--tokenizer"),
            (["validate", "x.csv", "--delimter", ";"], "--delimter", "--delimiter"),
            (["news-graph", "--edge-lst", "e.tsv"], "--edge-lst", "--edge-list"),
            (["run", spec, "--keep-goin"], "--keep-goin", "--keep-going"),
            (["plan", spec, "--work-dri", "w"], "--work-dri", "--work-dir"),
            (["graph", spec, "--fromat", "dot"], "--fromat", "--format"),
            (["clean", "--dry-rn"], "--dry-rn", "--dry-run"),
            (["prompt-align-report", "d", "--plot-prefx", "p"], "--plot-prefx", "--plot-prefix"),
            (["embed", "m", "x.faa", "o.safetensors", "--profile-jsn", "p.json"], "--profile-jsn", "--profile-json"),
        ]
        for (args, wrong, right) in cases {
            let r = try run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("unknown option \(wrong); did you mean \(right)?"), "\(args): \(r.stderr)")
        }
    }

    func testHelpAndChecksComeFromTheStageSchemas() throws {
        // align is align.propagate: the same docs and defaults as `trellis stages`, and its validation.
        let help = try run(["align", "--help"]).stdout, stage = try run(["stages", "align.propagate"]).stdout
        XCTAssertTrue(help.contains("hardening percentile of the margins (0–100)") && stage.contains("hardening percentile of the margins (0–100)"), help)
        XCTAssertTrue(help.contains("--steps INT\n        propagation steps (default 2)"), help)
        XCTAssertTrue(help.contains("EXAMPLES:"), help)
        var r = try run(["align", "--graph", "g.tsv", "--train", "a.csv", "--test", "b.csv", "--percentile", "120", "--output", "-"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("for --percentile") && r.stderr.contains("must be in 0...100"), r.stderr)
        r = try run(["align", "--graph", "g.tsv", "--test", "b.csv", "--output", "-"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("missing required option --train"), r.stderr)

        // prompt-align chains prompt.finetune, prompt.score and align.propagate: their docs and checks.
        let pa = try run(["prompt-align", "--help"]).stdout
        for doc in ["peak learning rate (linear decay, no warm-up)", "prompts per forward pass", "propagation steps"] {
            XCTAssertTrue(pa.contains(doc), doc)
        }
        XCTAssertTrue(pa.contains("--runs INT\n        fine-tuning runs; run r uses seed + r (default 5)"), pa)
        r = try run(["prompt-align", "--model", "m", "--train", "a.csv", "--test", "b.csv", "--steps", "-1", "--output-dir", "d"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("invalid value '-1: must be ≥ 0' for --steps"), r.stderr)
        r = try run(["prompt-align", "--model", "m", "--train", "a.csv", "--test", "b.csv", "--dropout", "1.5", "--output-dir", "d"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("for --dropout"), r.stderr)

        // forward and mlm-adapt: choices listed with the closest one, numbers checked.
        r = try run(["forward", "m", "--input", "x.faa", "--mode", "glmm", "--output", "-"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("unknown value 'glmm' for --mode (expected one of: mlm, clm, glm); did you mean 'glm'?"), r.stderr)
        r = try run(["forward", "m", "--input", "x.faa", "--batch-size", "0", "--output", "-"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("invalid value '0: must be at least 1' for --batch-size"), r.stderr)
        let mlm = try run(["mlm-adapt", "--help"]).stdout, mlmStage = try run(["stages", "mlm.adapt"]).stdout
        XCTAssertTrue(mlm.contains("fraction of tokens chosen (80 % mask, 10 % random, 10 % kept)") && mlmStage.contains("fraction of tokens chosen"), mlm)
        r = try run(["mlm-adapt", "--model", "m", "--text", "t.txt", "--mask-probability", "1.5", "--output", "o"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("for --mask-probability") && r.stderr.contains("must be in (0, 1)"), r.stderr)

        // Commands without a stage have their own schema: help lines, defaults, checks.
        XCTAssertTrue(try run(["run", "--help"]).stdout.contains("--jobs INT\n        stages running at once"))
        XCTAssertTrue(try run(["tokenize", "--help"]).stdout.contains("--field STRING\n        JSONL field holding the text (default text)"))
        r = try run(["run", "pipelines/fasta-stats.yaml", "--shards", "0"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("for --shards"), r.stderr)
        // A missing positional is named, for every command that takes them.
        for (args, missing) in [(["run"], "missing SPEC"), (["validate"], "missing FILE..."),
                                (["prompt-align-report"], "missing DIR..."), (["exec-shard", "m.jsonl"], "missing INDEX")] {
            r = try run(args)
            XCTAssertEqual(r.status, 2, "\(args)")
            XCTAssertTrue(r.stderr.contains(missing), "\(args): \(r.stderr)")
        }
    }

    /// news-graph and align write stdout with `--output -`, and nothing at all when they fail.
    func testDashIsStdoutForNewsGraphAndAlign() throws {
        let dir = try TestSupport.temporaryDirectory("dash-news")
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = try run(["news-graph", "--articles", sample("fang_articles_sample.csv"), "--engagements",
                         sample("fang_engagements_sample.csv"), "--output", "-"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("row\tcol\tweight\n"), r.stdout)
        XCTAssertTrue(r.stderr.contains("96 nodes, 260 edges") && r.stderr.contains("→ stdout"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "no file named '-' and no statistics file")
        let graph = dir.appendingPathComponent("g.tsv")
        try r.stdout.write(to: graph, atomically: true, encoding: .utf8)

        r = try run(["align", "--graph", graph.path, "--train", sample("fang_train_16.csv"), "--test", sample("fang_test_sample.csv"),
                     "--output", "-"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["accuracy"] as? Double, 58.0 / 80, "stdout is the result JSON alone")
        XCTAssertTrue(r.stderr.contains("label-only") && r.stderr.contains("→ stdout"), r.stderr)

        // A failure after the work started (predictions of the wrong length) leaves stdout empty.
        let pred = dir.appendingPathComponent("pred.csv")
        try "p_real,p_fake\n0.5,0.5\n".write(to: pred, atomically: true, encoding: .utf8)
        r = try run(["align", "--graph", graph.path, "--train", sample("fang_train_16.csv"), "--test", sample("fang_test_sample.csv"),
                     "--predictions", pred.path, "--output", "-"], cwd: dir)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "")
        let broken = dir.appendingPathComponent("broken.tsv")
        try "row\tcol\tweight\n0\t1\t0.5\n1\tx\t0.5\n".write(to: broken, atomically: true, encoding: .utf8)
        r = try run(["news-graph", "--edge-list", broken.path, "--output", "-"], cwd: dir)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("broken.tsv:3"), r.stderr)
    }
}
