import Foundation
import ProteinLM
import Transformers
import XCTest
import _TestSupport

/// Hostile lengths and files for the protein commands (issue 14). Before: a 300,000-residue record and
/// `--max-length 2000000000` asked for terabytes (failed allocation, SIGABRT), `-n` kept every sample, and a
/// garbage tokenizer file in the model directory was silently replaced by the built-in table.
final class HostileProteinInputTests: XCTestCase {
    func testScoreRejectsARecordLongerThanThePositions() throws {
        let model = try P.model("esm2-tiny")
        XCTAssertEqual(model.maxResiduesMLM, 1024)
        let fasta = try P.temp("long.fa", ">ok\nMKV\n>huge\n" + String(repeating: "A", count: 5000) + "\n")
        let out = URL(fileURLWithPath: try P.temp("scores.csv", "")).deletingLastPathComponent().appendingPathComponent("o.csv")
        XCTAssertThrowsError(try ScoreRun.scoreSequences(model: model, fasta: fasta, policy: ResiduePolicy(), method: .pll,
                                                          output: out)) { e in
            XCTAssertTrue("\(e)".contains("long.fa: record 'huge' has 5000 residues; the model takes at most 1024"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no half-written output")
    }

    func testGenerateLengthIsBoundedByThePositions() throws {
        let model = try P.model("pglm-tiny")
        for length in [2_000_000_000, Int.max] {
            var o = GenerateOptions()
            o.maxLength = length
            XCTAssertThrowsError(try ProteinGenerator.generate(model: model, options: o)) { e in
                XCTAssertTrue("\(e)".contains("max_length: \(length) residues") && "\(e)".contains("use at most 1020"), "\(e)")
            }
        }
    }

    /// Samples are handed out batch by batch; the first batch is what a run of that size alone gives.
    func testGenerateStreamsSamples() throws {
        let model = try P.model("pglm-tiny")
        var o = GenerateOptions()
        o.maxLength = 6
        o.samples = ProteinGenerator.samplesPerBatch + 3
        var seen: [GeneratedProtein] = []
        try ProteinGenerator.generate(model: model, options: o) { seen.append($0) }
        XCTAssertEqual(seen.count, o.samples)
        XCTAssertEqual(Set(seen.map(\.header)).count, o.samples, "every sample has its own header")
        o.samples = ProteinGenerator.samplesPerBatch
        let first = try ProteinGenerator.generate(model: model, options: o)
        XCTAssertEqual(first.map(\.sequence), Array(seen.prefix(first.count)).map(\.sequence))
    }

    func testEmbedTruncationIsCutToTheModel() throws {
        var o = EmbedOptions()
        o.truncation = 100_000_000
        let e = try Embedder(model: try P.model("esm2-tiny"), options: o)
        XCTAssertEqual(e.options.truncation, 1024)
    }

    func testGarbageTokenizerFileInTheModelIsAnError() throws {
        let dir = try scratchDirectory("protein-garbage")
        let copy = dir.appendingPathComponent("pglm")
        try FileManager.default.copyItem(at: P.models.appendingPathComponent("pglm-tiny"), to: copy)
        try Data([0x41, 0x0A, 0x00, 0x01, 0x02]).write(to: copy.appendingPathComponent("tokenizer.model"))
        XCTAssertThrowsError(try ProteinModel.load(copy)) { e in
            XCTAssertTrue("\(e)".contains("tokenizer.model: byte 2"), "\(e)")
        }
    }
}
