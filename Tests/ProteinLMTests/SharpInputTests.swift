import Foundation
import ProteinLM
import Tensors
import XCTest
import _TestSupport

/// Inputs real FASTA and mutation files bring: empty files, empty records, very long sequences, duplicate
/// labels, stop symbols, lowercase, invalid characters, mutations that do not match the wild type.
final class SharpInputTests: XCTestCase {
    func testEmptyFASTAGivesAnEmptyIndexedFile() throws {
        let fasta = try P.temp("empty.faa", "")
        let (out, s) = try P.embed(try P.model("esm2-tiny"), fasta: fasta) { _ in }
        XCTAssertEqual(s.sequences, 0)
        XCTAssertEqual(out.names, [])
        XCTAssertEqual(try EmbeddingIndex(file: out).labels, [])
    }

    func testRecordWithNoSequenceIsSkippedAndReported() throws {
        let fasta = try P.temp("e.faa", ">a\nMKV\n>nothing here\n>c\nGG*\n")
        let (out, s) = try P.embed(try P.model("esm2-tiny"), fasta: fasta) { _ in }
        XCTAssertEqual(try EmbeddingIndex(file: out).labels, ["a", "c"])
        XCTAssertEqual(s.empty.map(\.label), ["nothing here"])
        XCTAssertEqual(s.empty.map(\.line), [3])
        XCTAssertEqual(try out.shape("c/mean_representations/2"), [32])
    }

    func testLongSequenceIsTruncatedLikeExtractPy() throws {
        var rng = SystemRandomNumberGenerator()
        let letters = Array("ACDEFGHIKLMNPQRSTVWY")
        let long = String((0..<5000).map { _ in letters.randomElement(using: &rng)! })
        let fasta = try P.temp("long.faa", ">long\n\(long)\n>first1022\n\(long.prefix(1022))\n")
        let (out, s) = try P.embed(try P.model("pglm-tiny"), fasta: fasta) { $0.include = [.mean, .perToken] }
        XCTAssertEqual(s.truncated, 1)
        let index = try EmbeddingIndex(file: out)
        XCTAssertEqual(index.lengths, [1022, 1022])
        XCTAssertEqual(index.sequenceLengths, [5000, 1022])
        XCTAssertEqual(try out.shape("long/representations/2"), [1022, 32])
        XCTAssertLessThanOrEqual(TestSupport.maxAbsDiff(try out.floats("long/mean_representations/2"),
                                                        try out.floats("first1022/mean_representations/2")), 1e-5)
    }

    func testDuplicateLabelsAreRejected() throws {
        let fasta = try P.temp("dup.faa", ">x\nMKV\n>y\nMK\n>x\nAA\n")
        XCTAssertThrowsError(try P.embed(try P.model("esm2-tiny"), fasta: fasta) { _ in }) { e in
            XCTAssertEqual("\(e)", "\(fasta):5: duplicate label 'x' (first seen on line 1); labels must be unique")
        }
    }

    func testInputPolicy() throws {
        let record = { (s: String) in FASTARecordShim.make(s) }
        XCTAssertEqual(String(decoding: try ResiduePolicy().residues(of: record("mkv*"), file: "f"), as: UTF8.self), "MKV")
        XCTAssertThrowsError(try ResiduePolicy().residues(of: record("MK-V"), file: "f.faa")) { e in
            XCTAssertEqual("\(e)", "f.faa:7: record 'r1 test': invalid residue '-' at position 3; expected one of the 25 amino-acid letters (use --invalid x to map to X, or --invalid remove)")
        }
        XCTAssertThrowsError(try ResiduePolicy().residues(of: record("MK*V"), file: "f.faa"))
        XCTAssertEqual(String(decoding: try ResiduePolicy(invalid: .x).residues(of: record("MK-V*"), file: "f"), as: UTF8.self), "MKXV")
        XCTAssertEqual(String(decoding: try ResiduePolicy(invalid: .remove).residues(of: record("M1K.V"), file: "f"), as: UTF8.self), "MKV")
    }

    func testWildTypeMismatchNamesRowAndPosition() throws {
        let csv = try P.temp("m.csv", "mutant,DMS_score\nA4G,1\nK5R,2\n")
        let out = try scratchDirectory("mm").appendingPathComponent("s.csv")
        XCTAssertThrowsError(try ScoreRun.scoreVariants(model: try P.model("esm2-tiny"), fasta: P.file("wildtype.faa"),
                                                        mutations: csv, policy: ResiduePolicy(), method: .wtMarginals, output: out)) { e in
            XCTAssertEqual("\(e)", "\(csv):3: mutation 'K5R': wild type at position 5 is 'Y', but the mutation expects 'K'")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no half-written output")
    }

    func testResumeSkipsLabelsAlreadyWritten() throws {
        let dir = try scratchDirectory("resume")
        let out = dir.appendingPathComponent("e.safetensors")
        let (model, windows) = try P.twoRecordWindows()
        var o = windows
        let full = try P.run(model, o, fasta: P.file("sequences.faa"), to: out)
        XCTAssertEqual(full.sequences, 5)
        let before = try SafetensorsFile(url: out)
        let reference = try before.floats("seqE/mean_representations/2")
        // Resuming over a complete output skips every label and keeps the tensors.
        o.resume = true
        let again = try P.run(model, o, fasta: P.file("sequences.faa"), to: out)
        XCTAssertEqual(again.sequences, 0)
        XCTAssertEqual(again.resumed, 5)
        let after = try SafetensorsFile(url: out)
        XCTAssertEqual(try EmbeddingIndex(file: after).labels, ["seqA first protein", "seqB", "seqC", "seqD short", "seqE"])
        XCTAssertEqual(try after.floats("seqE/mean_representations/2"), reference)
        // Other settings cannot resume into the same file.
        o.layers = [0]
        XCTAssertThrowsError(try P.run(model, o, fasta: P.file("sequences.faa"), to: out))
    }

    func testUnsupportedFeatureCombinations() throws {
        var o = EmbedOptions()
        o.include = [.contacts]
        XCTAssertThrowsError(try Embedder(model: try P.model("pglm-tiny"), options: o))
        o.include = [.bos]
        XCTAssertThrowsError(try Embedder(model: try P.model("pglm-tiny"), options: o))
        XCTAssertThrowsError(try Scorer(model: try P.model("esm2-tiny")).sequenceScores(Array("MKV".utf8), method: .clm))
    }
}

import DataIO

enum FASTARecordShim {
    static func make(_ s: String) -> FASTARecord { FASTARecord(id: "r1", description: "test", sequence: s, line: 7) }
}
