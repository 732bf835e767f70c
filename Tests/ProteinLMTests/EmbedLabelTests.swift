import Foundation
import ProteinLM
import Tensors
import XCTest
import _TestSupport

/// Labels with `/` and `%` get unambiguous tensor names, means are stacked per layer, and the stage's
/// resume keeps its parts where a failed attempt cannot delete them.
final class EmbedLabelTests: XCTestCase {
    static let fasta = ">sp|P12345|X/Y\nMKTAYIAKQR\n>a/b\nGSHMLVK\n>a%2Fb\nACDEFGHIK\n>plain\nMLFVVL\n"

    func testSlashLabelsArePercentEncodedAndMeansStacked() throws {
        let dir = try scratchDirectory("labels")
        let perSequence = dir.appendingPathComponent("each")
        let (out, s) = try P.embed(try P.model("esm2-tiny"), fasta: try P.temp("l.faa", Self.fasta)) {
            $0.layers = [0, -1]
            $0.include = [.mean, .perToken]
            $0.perSequenceDirectory = perSequence
        }
        XCTAssertEqual(s.sequences, 4)
        let index = try EmbeddingIndex(file: out)
        XCTAssertEqual(index.labels, ["sp|P12345|X/Y", "a/b", "a%2Fb", "plain"])
        let keys = ["sp|P12345|X%2FY", "a%2Fb", "a%252Fb", "plain"]
        for (label, key) in zip(index.labels, keys) {
            XCTAssertEqual(EmbeddingIndex.key(label), key)
            XCTAssertTrue(out.contains(key + "/mean_representations/2"), key)
            XCTAssertTrue(out.contains(key + "/representations/0"), key)
            XCTAssertTrue(FileManager.default.fileExists(atPath: perSequence.appendingPathComponent(key + ".safetensors").path), key)
        }
        // Every tensor name splits at its first '/' into a known key and a suffix.
        let stacked = ["mean_representations/0", "mean_representations/2"]
        for name in out.names where !stacked.contains(name) {
            let cut = try XCTUnwrap(name.firstIndex(of: "/"))
            XCTAssertTrue(keys.contains(String(name[..<cut])), name)
            XCTAssertTrue(index.suffixes.contains(String(name[name.index(after: cut)...])), name)
        }
        XCTAssertEqual(out.metadata["stacked"], #"["mean_representations/0","mean_representations/2"]"#)
        for layer in [0, 2] {
            let name = "mean_representations/\(layer)"
            let h = try out.shape(keys[0] + "/" + name)[0]
            XCTAssertEqual(try out.shape(name), [4, h])
            let rows = try out.floats(name)
            for (r, key) in keys.enumerated() {
                XCTAssertEqual(Array(rows[(r * h)..<((r + 1) * h)]), try out.floats(key + "/" + name), "row \(r) = \(key)")
            }
        }
    }

    /// What `protein.embed` with `resume` does: parts in a directory of their own that survives the failed
    /// attempt; the next attempt (a fresh output path) embeds only what is missing and matches a clean run.
    func testResumeFromAPartsDirectoryAfterAFailure() throws {
        let dir = try scratchDirectory("stage-resume")
        let parts = dir.appendingPathComponent("out.safetensors.parts/embed")
        let (model, windows) = try P.twoRecordWindows()
        var o = windows
        o.resume = true
        func run(_ fasta: String, _ output: String) throws -> EmbedSummary {
            let r = EmbeddingRun(embedder: try Embedder(model: model, options: o), fasta: try P.temp("in.faa", fasta),
                                 output: dir.appendingPathComponent(output))
            r.partsDirectory = parts
            r.resumeFromOutput = false
            return try r.run()
        }
        // The third record is bad: the first window (2 proteins) is done when the second window fails.
        XCTAssertThrowsError(try run(Self.fasta.replacingOccurrences(of: "ACDEFGHIK", with: "AC1DE"), "attempt1.safetensors"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("attempt1.safetensors").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parts.path).count, 1)
        let resumed = try run(Self.fasta, "attempt2.safetensors")
        XCTAssertEqual(resumed.resumed, 2)
        XCTAssertEqual(resumed.sequences, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: parts.deletingLastPathComponent().path), "parts removed once assembled")
        o.resume = false
        try P.run(model, o, fasta: try P.temp("in.faa", Self.fasta), to: dir.appendingPathComponent("clean.safetensors"))
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("attempt2.safetensors")),
                       try Data(contentsOf: dir.appendingPathComponent("clean.safetensors")))
    }
}
