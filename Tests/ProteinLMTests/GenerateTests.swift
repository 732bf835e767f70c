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

    /// Without max_length, generation fits the model: 256 residues, or what its positions hold (prompt and
    /// special tokens included, and the context in GLM mode) — never an error telling the user to pick a number.
    func testDefaultMaxLengthFitsTheModel() throws {
        for name in ["pglm-tiny", "pglm-tiny-2d"] {
            let model = try P.model(name)
            let limit = try XCTUnwrap(model.model as? PGLMForLM).positionLimit
            for (mode, context) in [(AttentionMode.clm, ""), (.glm, "MKTAYIAKQRQISFVKSHFSRQ")] {
                var o = GenerateOptions()
                o.mode = mode
                o.context = context
                o.prompts = ["MK"]
                o.greedy = true
                let specials = (mode == .glm ? model.glmTokens(context: Array(context.utf8), span: [])
                                             : model.clmTokens([])).count
                let expected = min(256, limit - specials - 1)
                let out = try ProteinGenerator.generate(model: model, options: o)
                XCTAssertEqual(out.count, 1)
                XCTAssertTrue(out[0].header.contains("max_length=\(expected) "), "\(name) \(mode): \(out[0].header)")
                XCTAssertLessThanOrEqual(out[0].sequence.count, expected)
                o.maxLength = limit   // an explicit length past the positions is still refused, with the limit
                XCTAssertThrowsError(try ProteinGenerator.generate(model: model, options: o)) { e in
                    XCTAssertTrue("\(e)".contains("use at most \(limit - specials - 1)"), "\(e)")
                }
            }
        }
    }
}
