import Foundation
import ProteinLM
import XCTest
import _TestSupport

/// protein.score against scripts/fixtures/protein.py (fair-esm predict.py's scoring with transformers and the
/// xTrimoPGLM torch reference).
final class ScoreReferenceTests: XCTestCase {
    func testSequenceScores() throws {
        let ref = try P.scores()["sequences"]!
        let esm = Scorer(model: try P.model("esm2-tiny"), tokensPerBatch: 200)
        let pglm = Scorer(model: try P.model("pglm-tiny"), tokensPerBatch: 200)
        for p in try ProteinReader.readAll(path: P.file("sequences.faa")) {
            let r = ref[p.label]!
            let e = try esm.sequenceScores(p.residues, method: .pll)
            P.close(e.total, r["esm2_pll"]!, 1e-4, relative: true, "\(p.label) esm2 PLL")
            P.close(e.perplexity, r["esm2_pseudo_perplexity"]!, 1e-4, relative: true, "\(p.label) esm2 pseudo-perplexity")
            let g = try pglm.sequenceScores(p.residues, method: .pll)
            P.close(g.total, r["pglm_pll"]!, 1e-4, relative: true, "\(p.label) pglm PLL")
            let c = try pglm.sequenceScores(p.residues, method: .clm)
            P.close(c.total, r["pglm_clm_log_likelihood"]!, 1e-4, relative: true, "\(p.label) pglm CLM log-likelihood")
            P.close(c.perplexity, r["pglm_clm_perplexity"]!, 1e-4, relative: true, "\(p.label) pglm CLM perplexity")
        }
    }

    func testVariantScoresAndCSV() throws {
        let ref = try P.scores()["mutations"]!
        let cases: [(String, ScoreMethod, String)] = [
            ("esm2-tiny", .maskedMarginals, "esm2_masked-marginals"), ("esm2-tiny", .wtMarginals, "esm2_wt-marginals"),
            ("esm2-tiny", .pll, "esm2_pll"), ("pglm-tiny", .maskedMarginals, "pglm_masked-marginals"),
            ("pglm-tiny", .wtMarginals, "pglm_wt-marginals"), ("pglm-tiny", .pll, "pglm_pll"), ("pglm-tiny", .clm, "pglm_clm"),
        ]
        for (model, method, key) in cases {
            let out = try TestSupport.temporaryDirectory("score").appendingPathComponent("scores.csv")
            let report = try ScoreRun.scoreVariants(model: try P.model(model), fasta: P.file("wildtype.faa"),
                                                    mutations: P.file("mutations.csv"), policy: ResiduePolicy(),
                                                    method: method, output: out, tokensPerBatch: 100)
            XCTAssertEqual(report.rows, 8)
            XCTAssertNotNil(report.spearman)
            let lines = try String(contentsOf: out, encoding: .utf8).split(whereSeparator: \.isNewline)
            XCTAssertEqual(lines.first, "mutant,mutated_sequence,DMS_score,score")
            for line in lines.dropFirst() {
                let f = line.split(separator: ",")
                P.close(Double(f[3])!, ref[String(f[0])]![key]!, 1e-4, "\(key) \(f[0])")
            }
        }
    }

    func testSpearmanAverageRanksForTies() {
        XCTAssertEqual(Spearman.ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1])
        // scipy.stats.spearmanr([1, 2, 2, 3, 4], [2, 1, 3, 3, 5]) = 0.763158 (ties in both).
        XCTAssertEqual(Spearman.correlation([1, 2, 2, 3, 4], [2, 1, 3, 3, 5])!, 0.7631578947368421, accuracy: 1e-9)
        XCTAssertEqual(Spearman.correlation([1, 2, 3], [3, 2, 1])!, -1, accuracy: 1e-12)
        XCTAssertNil(Spearman.correlation([1, 1, 1], [1, 2, 3]))
        XCTAssertEqual(Spearman.correlation([1, .nan, 2, 3], [1, 5, 2, 3])!, 1, accuracy: 1e-12)
    }

    func testMutationParsing() throws {
        let wt = Array("MKTAYIAK".utf8)
        let v = try Variant.parse("A4G:k2r", wildType: wt, file: "m.csv", line: 3)
        XCTAssertEqual(String(decoding: v.sequence, as: UTF8.self), "MRTGYIAK")
        XCTAssertEqual(v.substitutions.map(\.position), [4, 2])
        XCTAssertThrowsError(try Variant.parse("A4", wildType: wt, file: "m.csv", line: 3))
        XCTAssertThrowsError(try Variant.parse("A9G", wildType: wt, file: "m.csv", line: 3))
        let derived = Variant.fromSequence(Array("MKTGYIAK".utf8), wildType: wt, name: nil, line: 2)
        XCTAssertEqual(derived.name, "A4G")
    }
}
