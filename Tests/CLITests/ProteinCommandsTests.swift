import Foundation
import XCTest
import _TestSupport

/// trellis embed / score / generate and the protein pipelines, run as a user would from the repository root.
final class ProteinCommandsTests: XCTestCase {
    let root = TestSupport.repoRoot

    /// An embed that fails on its input leaves nothing beside OUTPUT: no file, no empty `.parts/` directory.
    func testFailedEmbedLeavesNoPartsDirectory() throws {
        let dir = try scratchDirectory("protein-cli-fail")
        let fasta = dir.appendingPathComponent("dup.faa")
        try ">a\nMKV\n>a\nMKL\n".write(to: fasta, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("e.safetensors")
        let r = try TestSupport.runTrellis(["embed", "Tests/Fixtures/models/esm2-tiny", fasta.path, out.path], cwd: root)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("duplicate label 'a'"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["dup.faa"])
    }

    func testEmbedScoreGenerateCommands() throws {
        let dir = try scratchDirectory("protein-cli")
        let out = dir.appendingPathComponent("e.safetensors").path
        var r = try TestSupport.runTrellis(["embed", "Tests/Fixtures/models/esm2-tiny", "Tests/Fixtures/protein/sequences.faa", out,
                                            "--repr-layers", "0,-1", "--include", "mean", "--include", "per_tok"], cwd: root)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("embedded 5 sequences (113 residues)"), r.stderr)
        // Progress (stderr is a pipe here: plain lines, no terminal escapes) with the total counted up front.
        XCTAssertNotNil(r.stderr.range(of: "\\[embed\\] 5/5 sequences [0-9.]+/(s|min)\n", options: .regularExpression), r.stderr)
        XCTAssertFalse(r.stderr.contains("\u{1B}["), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))

        let scores = dir.appendingPathComponent("s.csv").path
        r = try TestSupport.runTrellis(["score", "Tests/Fixtures/models/esm2-tiny", "Tests/Fixtures/protein/wildtype.faa",
                                        "--mutations", "Tests/Fixtures/protein/mutations.csv", "--method", "wt-marginals",
                                        "--output", scores], cwd: root)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("Spearman rho = "), r.stdout)
        XCTAssertNotNil(r.stderr.range(of: "\\[score\\] [0-9]+ variants", options: .regularExpression), r.stderr)

        let bad = dir.appendingPathComponent("bad.csv")
        try "mutant\nA4G\nK5R\n".write(to: bad, atomically: true, encoding: .utf8)
        r = try TestSupport.runTrellis(["score", "Tests/Fixtures/models/esm2-tiny", "Tests/Fixtures/protein/wildtype.faa",
                                        "--mutations", bad.path, "--output", dir.appendingPathComponent("x.csv").path], cwd: root)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("bad.csv:3: mutation 'K5R': wild type at position 5 is 'Y'"), r.stderr)

        func generate(_ name: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            let g = try TestSupport.runTrellis(["generate", "models/pglm-random-tiny", "--prompt", "MLF", "-n", "3",
                                                "--seed", "11", "--top-k", "8", "--max-length", "50", "--output", path], cwd: root)
            XCTAssertEqual(g.status, 0, g.stderr)
            XCTAssertNotNil(g.stderr.range(of: "\\[generate\\] 3/3 proteins", options: .regularExpression), g.stderr)
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        let a = try generate("a.faa"), b = try generate("b.faa")
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.split(separator: "\n").filter { $0.hasPrefix(">") }.count, 3)
    }

    func testProteinPipelinesRun() throws {
        let work = try scratchDirectory("protein-pipe")
        for spec in ["pipelines/protein-embed.yaml", "pipelines/protein-generate.yaml"] {
            let r = try TestSupport.runTrellis(["run", spec, "--work-dir", work.path], cwd: root)
            XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("out/protein-embed/embeddings.safetensors").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("out/protein-generate/proteins.faa").path))
    }
}
