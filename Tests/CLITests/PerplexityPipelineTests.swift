import _TestSupport
import XCTest

/// pipelines/protein-perplexity.yaml through `trellis run`: the TSV has the five measures, the baselines and
/// the relative column agree, and a model the stage cannot evaluate is refused with exit status 1.
final class PerplexityPipelineTests: XCTestCase {
    func testPerplexityPipelineOnFixtureModel() throws {
        let dir = try scratchProject("perplexity-pipeline", linking: ["samples", "pipelines", "Tests", "data"])
        let args = ["run", "pipelines/protein-perplexity.yaml", "--quiet", "-p", "fasta=Tests/Fixtures/protein/sequences.faa",
                    "-p", "unigram_fasta=samples/proteins/example.faa"]
        var r = try TestSupport.runTrellis(args + ["-p", "model=Tests/Fixtures/models/pglm-tiny"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let tsv = try String(contentsOf: dir.appendingPathComponent("out/protein-perplexity/perplexity.tsv"), encoding: .utf8)
        let rows = tsv.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.map { $0[0] }, ["measure", "uniform20", "unigram", "mlm", "clm", "glm"], tsv)
        XCTAssertEqual(rows[1][1], "20.000")
        let unigram = try XCTUnwrap(Double(rows[2][1])), clm = try XCTUnwrap(Double(rows[4][1]))
        XCTAssertGreaterThan(unigram, 10)
        XCTAssertLessThan(unigram, 27)
        XCTAssertEqual(try XCTUnwrap(Double(rows[4][2])), 100 * (1 - clm / unigram), accuracy: 0.06)

        r = try TestSupport.runTrellis(args + ["-p", "model=Tests/Fixtures/models/esm2-tiny"], cwd: dir)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("config.json"), r.stderr)
    }
}
