import Foundation
import ProteinLM
import Transformers
import XCTest
import _TestSupport

final class GenerateTests: XCTestCase {
    func testSameSeedSameProteinsOnlyStandardResidues() throws {
        let model = try P.model("pglm-tiny")
        var o = GenerateOptions()
        o.prompts = ["MLF", ""]
        o.samples = 3
        o.maxLength = 30
        o.seed = 7
        o.topK = 10
        o.repetitionPenalty = 1.2
        let a = try ProteinGenerator.generate(model: model, options: o)
        let b = try ProteinGenerator.generate(model: model, options: o)
        XCTAssertEqual(a.map(\.sequence), b.map(\.sequence))
        XCTAssertEqual(a.map(\.header), b.map(\.header))
        XCTAssertEqual(a.count, 6)
        let standard = Set("ACDEFGHIKLMNPQRSTVWY")
        for p in a {
            XCTAssertTrue(p.sequence.allSatisfy { standard.contains($0) }, p.sequence)
            XCTAssertLessThanOrEqual(p.sequence.count, 30)
        }
        XCTAssertTrue(a[0].sequence.hasPrefix("MLF"))
        XCTAssertTrue(a[0].header.contains("prompt=MLF") && a[0].header.contains("seed=7") && a[0].header.contains("top_k=10"))
        o.seed = 8
        let c = try ProteinGenerator.generate(model: model, options: o)
        XCTAssertNotEqual(a.map(\.sequence), c.map(\.sequence))
    }

    func testGLMContextAndESMRefusal() throws {
        var o = GenerateOptions()
        o.mode = .glm
        o.context = "MKTAYIAKQR"
        o.maxLength = 12
        let g = try ProteinGenerator.generate(model: try P.model("pglm-tiny"), options: o)
        XCTAssertEqual(g.count, 1)
        XCTAssertTrue(g[0].header.contains("context=MKTAYIAKQR"))
        XCTAssertThrowsError(try ProteinGenerator.generate(model: try P.model("esm2-tiny"), options: GenerateOptions()))
    }
}
