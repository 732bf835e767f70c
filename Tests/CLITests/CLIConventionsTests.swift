import XCTest
import _TestSupport

/// End-to-end checks of the conventions every command shares (issue 15): named mistakes, help, stdout
/// outputs, model paths, content-detected validation, plan-time missing inputs.
final class CLIConventionsTests: XCTestCase {
    let tinyESM = "Tests/Fixtures/models/esm2-tiny"
    let proteins = "samples/proteins/example.faa"

    /// Two short records (score refuses records longer than the model's positions).
    func smallFASTA() throws -> String {
        let url = try TestSupport.temporaryDirectory("small-fasta").appendingPathComponent("s.faa")
        try ">a\nMKTAYIAKQR\n>b\nMLFVVLAG\n".write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func run(_ args: [String], cwd: URL = TestSupport.repoRoot, environment: [String: String]? = nil) throws
        -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.runTrellis(args, cwd: cwd, environment: environment)
    }

    func testMistakesAreNamed() throws {
        var r = try run(["score", tinyESM, proteins, "--outptu", "y.csv"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("unknown option --outptu; did you mean --output?"), r.stderr)
        r = try run(["run", "spec.yaml", "--job", "2"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("unknown option --job; did you mean --jobs?"), r.stderr)
        r = try run(["generate", "m", "--promt", "MK", "--output", "x.faa"])
        XCTAssertTrue(r.stderr.contains("did you mean --prompt?"), r.stderr)
        r = try run(["graph", "pipelines/fasta-stats.yaml", "--format", "png"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("expected one of: dot, mermaid"), r.stderr)
        r = try run(["embed", tinyESM, proteins])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("missing OUTPUT"), r.stderr)
    }

    func testHelpConventions() throws {
        let a = try run(["help", "run"]), b = try run(["run", "--help"])
        XCTAssertEqual(a.status, 0)
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertTrue(a.stdout.hasPrefix("USAGE: trellis run"), a.stdout)
        let bench = try run(["bench", "gemm", "--help"])
        XCTAssertEqual(bench.status, 0)
        XCTAssertTrue(bench.stdout.contains("trellis bench gemm"), bench.stdout)
        XCTAssertFalse(bench.stdout.contains("BENCHMARKS:"), bench.stdout)
        let v = try run(["-V"])
        XCTAssertEqual(v.status, 0)
        XCTAssertTrue(v.stdout.hasPrefix("trellis "), v.stdout)
        XCTAssertTrue(try run(["embed", "--help"]).stdout.contains("EXAMPLES:"))
    }

    func testFairESMHabitsAndModelOption() throws {
        let dir = try scratchDirectory("conventions")
        let out = dir.appendingPathComponent("each")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        // extract.py's argument order: MODEL FASTA OUTPUT_DIR --repr_layers 0 -1 --include mean per_tok
        var r = try run(["embed", tinyESM, proteins, out.path, "--repr_layers", "0", "-1", "--include", "mean", "per_tok",
                         "--toks_per_batch", "512"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".safetensors") }
        XCTAssertFalse(files.isEmpty, "an existing OUTPUT directory receives one file per sequence")
        r = try run(["embed", "--model", tinyESM, "--output", dir.appendingPathComponent("o.safetensors").path, proteins])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try run(["embed", "--model", tinyESM, proteins, dir.appendingPathComponent("e.pt").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("unsupported output extension '.pt'"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("e.pt").path))
    }

    func testEmbedOptionsComeFromTheStageSchema() throws {
        // The help, the defaults and the validation are protein.embed's own (trellis stages shows the same docs).
        let help = try run(["embed", "--help"]).stdout
        let stage = try run(["stages", "protein.embed"]).stdout
        for doc in ["token budget of a batch (extract.py toks_per_batch)", "residues kept per sequence"] {
            XCTAssertTrue(help.contains(doc) && stage.contains(doc), doc)
        }
        XCTAssertTrue(help.contains("--toks-per-batch INT") && help.contains("(default 4096)"), help)
        let r = try run(["embed", tinyESM, try smallFASTA(), "/tmp/never.safetensors", "--truncation", "0"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("invalid value '0: must be at least 1' for --truncation"), r.stderr)
    }

    func testDashIsStdout() throws {
        let r = try run(["score", "--model", tinyESM, try smallFASTA(), "--output", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("label,length,pll"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: TestSupport.repoRoot.appendingPathComponent("-").path))
    }

    func testModelPathsSayWhatIsWrong() throws {
        let dir = try scratchDirectory("hub")
        let proteins = try smallFASTA()
        // A fake Hugging Face cache holding the tiny ESM-2 as org/tiny at refs/main.
        let repo = dir.appendingPathComponent("hub/models--org--tiny")
        let snapshot = repo.appendingPathComponent("snapshots/abc123")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: snapshot.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestSupport.repoRoot.appendingPathComponent(tinyESM), to: snapshot)
        try "abc123".write(to: repo.appendingPathComponent("refs/main"), atomically: true, encoding: .utf8)
        var r = try run(["score", "org/tiny", proteins, "--output", "-"], environment: ["HF_HOME": dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try run(["score", "org/absent", proteins, "--output", "-"], environment: ["HF_HOME": dir.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("huggingface-cli download org/absent --local-dir DIR"), r.stderr)
        r = try run(["score", tinyESM + "/model.safetensors", proteins, "--output", "-"])
        XCTAssertTrue(r.stderr.contains("is a file, not a directory; a model directory holds config.json"), r.stderr)
    }

    func testValidateDetectsByContent() throws {
        let dir = try scratchDirectory("validate")
        let weights = dir.appendingPathComponent("weights.bin")
        try FileManager.default.copyItem(at: TestSupport.repoRoot.appendingPathComponent(tinyESM + "/model.safetensors"), to: weights)
        var r = try run(["validate", weights.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("safetensors tensors"), r.stdout)
        let odd = dir.appendingPathComponent("notes.dat")
        try "just words\nno delimiters\n".write(to: odd, atomically: true, encoding: .utf8)
        r = try run(["validate", odd.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("give --format=F"), r.stderr)
        let broken = dir.appendingPathComponent("broken.safetensors")
        try Data(try Data(contentsOf: weights).prefix(400)).write(to: broken)
        r = try run(["validate", broken.path])
        XCTAssertEqual(r.status, 1, r.stdout)
    }

    func testPlanRefusesAMissingInput() throws {
        let dir = try scratchDirectory("plan-missing")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("pipelines"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestSupport.repoRoot.appendingPathComponent("pipelines/fasta-stats.yaml"),
                                         to: dir.appendingPathComponent("pipelines/fasta-stats.yaml"))
        let r = try run(["plan", "pipelines/fasta-stats.yaml", "-p", "input=nope.faa"], cwd: dir)
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stderr.contains("input nope.faa does not exist"), r.stderr)
    }
}
