import Foundation
import XCTest
import _TestSupport

/// `protein.embed` has `trellis embed`'s per-sequence files and resume, and writes the same file.
final class EmbedStageParityTests: XCTestCase {
    func testStagePerSequenceAndResumeMatchTheCommand() throws {
        let dir = try scratchDirectory("embed-stage")
        let model = TestSupport.fixtures.appendingPathComponent("models/esm2-tiny").path
        try ">sp|P12345|X/Y\nMKTAYIAKQR\n>plain\nMLFVVL\n".write(to: dir.appendingPathComponent("p.faa"), atomically: true, encoding: .utf8)
        let spec = "name: embed-parity\nstages:\n" + TestSupport.stageYAML("embed", uses: "protein.embed", with: [
            "fasta": "p.faa", "model": model, "layers": "[0, -1]", "per_sequence": "out/each", "resume": "true",
            "output": "out/stage.safetensors"])
        try spec.write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        var r = try TestSupport.runTrellis(["run", "spec.yaml", "--quiet", "--work-dir", ".trellis"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let fm = FileManager.default
        XCTAssertTrue(fm.fileExists(atPath: dir.appendingPathComponent("out/each/sp|P12345|X%2FY.safetensors").path))
        XCTAssertTrue(fm.fileExists(atPath: dir.appendingPathComponent("out/each/plain.safetensors").path))
        XCTAssertFalse(fm.fileExists(atPath: dir.appendingPathComponent("out/stage.safetensors.parts").path))

        r = try TestSupport.runTrellis(["embed", model, "p.faa", "out/cli.safetensors", "--repr-layers", "0,-1",
                                        "--per-sequence", "out/each-cli"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("out/stage.safetensors")),
                       try Data(contentsOf: dir.appendingPathComponent("out/cli.safetensors")))
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("out/each/plain.safetensors")),
                       try Data(contentsOf: dir.appendingPathComponent("out/each-cli/plain.safetensors")))

        // resume needs a declared output (a failed attempt's own directory is discarded).
        try spec.replacingOccurrences(of: "      output: out/stage.safetensors\n", with: "")
            .write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        r = try TestSupport.runTrellis(["run", "bad.yaml", "--quiet", "--work-dir", ".trellis"], cwd: dir)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue((r.stdout + r.stderr).contains("resume"), r.stdout + r.stderr)
    }
}
