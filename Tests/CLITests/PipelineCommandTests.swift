import Foundation
import XCTest
import _TestSupport

/// `trellis run | plan | graph | stages | clean` end to end.
final class PipelineCommandTests: XCTestCase {
    /// A copy of the repository's fasta-stats pipeline and sample in a fresh directory.
    func project() throws -> URL {
        let root = try TestSupport.temporaryDirectory("trellis-cli")
        let fm = FileManager.default
        for path in ["pipelines/fasta-stats.yaml", "samples/proteins/example.faa"] {
            let dest = root.appendingPathComponent(path)
            try fm.createDirectory(at: dest.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.copyItem(at: TestSupport.repoRoot.appendingPathComponent(path), to: dest)
        }
        return root
    }

    func testRepositoryPipelineRunsThenIsCached() throws {
        let root = try project()
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try TestSupport.runTrellis(["plan", "pipelines/fasta-stats.yaml"], cwd: root)
        XCTAssertEqual(plan.status, 0, plan.stderr)
        XCTAssertTrue(plan.stdout.contains("filter       fasta.filter  run     new\n"), plan.stdout)
        XCTAssertTrue(plan.stdout.hasSuffix("5 to run, 0 cached\n"), plan.stdout)

        let run = try TestSupport.runTrellis(["run", "pipelines/fasta-stats.yaml"], cwd: root, environment: ["NO_COLOR": "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("fasta-stats: 5 done"), run.stderr)
        XCTAssertTrue(run.stderr.contains("[filter] done in"), run.stderr)
        // Stage progress names its unit and total (plain lines: stderr is a pipe).
        XCTAssertNotNil(run.stderr.range(of: "\\[filter\\] 40/40 sequences [0-9.]+/s\n", options: .regularExpression), run.stderr)
        let summary = try String(contentsOf: root.appendingPathComponent("out/fasta-stats/summary.tsv"), encoding: .utf8)
        XCTAssertTrue(summary.hasPrefix("stage\toutput\tpath\tbytes\trecords\tsha256\n"), summary)
        let counts = try String(contentsOf: root.appendingPathComponent("out/fasta-stats/residue-counts.tsv"), encoding: .utf8)
        XCTAssertEqual(counts.split(separator: "\n").count, 4, counts)  // header + 3 parts

        let again = try TestSupport.runTrellis(["run", "pipelines/fasta-stats.yaml"], cwd: root)
        XCTAssertEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("fasta-stats: 5 cached"), again.stderr)
        // The results come at the end: each stage's scalar outputs, then the published files; the same when cached.
        XCTAssertTrue(run.stdout.hasPrefix("results:\n"), run.stdout)
        XCTAssertNotNil(run.stdout.range(of: "\n  filter +count [0-9]+", options: .regularExpression), run.stdout)
        XCTAssertTrue(run.stdout.contains("published:\n") && run.stdout.contains("  out/fasta-stats/summary.tsv\n"), run.stdout)
        XCTAssertEqual(again.stdout, run.stdout)

        let changed = try TestSupport.runTrellis(["plan", "pipelines/fasta-stats.yaml", "-p", "min_length=150"], cwd: root)
        XCTAssertTrue(changed.stdout.contains("filter       fasta.filter  run     parameter changed: min_length\n"), changed.stdout)
        XCTAssertTrue(changed.stdout.contains("sample       fasta.sample  run     upstream will run: filter\n"), changed.stdout)

        let clean = try TestSupport.runTrellis(["clean", "--dry-run"], cwd: root)
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertTrue(clean.stdout.contains("would free 0 items"), clean.stdout)
    }

    func testSpecErrorsArePrintedWithPositions() throws {
        let r = try trellis("plan", "bad.yaml", "stages:\n  a:\n    uses: shel\n  b:\n    uses: shell\n    with:\n      comand: x\n")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, """
        bad.yaml:3:11: unknown stage type 'shel'; did you mean 'shell'? (trellis stages lists them)
        bad.yaml:6:5: missing required parameter 'command' for stage 'b' (shell)
        bad.yaml:7:7: unknown parameter 'comand' for stage 'b' (shell); did you mean 'command'?

        """)
    }

    func testGraphFormats() throws {
        let root = try project()
        defer { try? FileManager.default.removeItem(at: root) }
        let dot = try TestSupport.runTrellis(["graph", "pipelines/fasta-stats.yaml", "--format", "dot"], cwd: root)
        XCTAssertEqual(dot.status, 0, dot.stderr)
        XCTAssertTrue(dot.stdout.hasPrefix("digraph \"fasta-stats\" {"), dot.stdout)
        XCTAssertTrue(dot.stdout.contains("\"split\" -> \"composition\";"), dot.stdout)
        let mermaid = try TestSupport.runTrellis(["graph", "pipelines/fasta-stats.yaml", "--format", "mermaid"], cwd: root)
        XCTAssertTrue(mermaid.stdout.contains("s_composition --> s_summary"), mermaid.stdout)
        let bad = try TestSupport.runTrellis(["graph", "pipelines/fasta-stats.yaml", "--format", "svg"], cwd: root)
        XCTAssertNotEqual(bad.status, 0)
    }

    func testStagesListsSchemas() throws {
        let r = try TestSupport.runTrellis(["stages"])
        XCTAssertEqual(r.status, 0)
        for name in ["shell", "fasta.filter", "fasta.split", "fasta.sample", "table.write"] {
            XCTAssertTrue(r.stdout.contains("\n\(name) (version") || r.stdout.hasPrefix("\(name) (version"), name)
        }
        XCTAssertTrue(r.stdout.contains("min_length  shortest sequence kept, in residues [int, default 0]"), r.stdout)
        let one = try TestSupport.runTrellis(["stages", "fasta.splt"])
        XCTAssertEqual(one.status, 1)
        XCTAssertTrue(one.stderr.contains("did you mean 'fasta.split'?"), one.stderr)
    }

    func testFailedStageLogShownInFull() throws {
        let r = try trellis("run", "f.yaml",
                            "stages:\n  boom:\n    uses: shell\n    with:\n      command: |\n        echo first line\n        echo second line >&2\n        exit 4\n")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("==> stage 'boom' failed: command exited with status 4"), r.stderr)
        XCTAssertTrue(r.stderr.contains("first line\nsecond line\nerror: command exited with status 4\n--- end of log ---"), r.stderr)
    }

    /// `trellis COMMAND FILE` in a fresh directory where FILE holds the spec `yaml`.
    private func trellis(_ command: String, _ file: String, _ yaml: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let root = try scratchDirectory("trellis-cli")
        try yaml.write(to: root.appendingPathComponent(file), atomically: true, encoding: .utf8)
        return try TestSupport.runTrellis([command, file], cwd: root)
    }
}
