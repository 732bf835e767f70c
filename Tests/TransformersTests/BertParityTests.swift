import Foundation
import XCTest
import Transformers
import _TestSupport

final class BertParityTests: XCTestCase {
    func testBertTinyMaskedLM() throws { try check("bert-tiny") }
    func testBertBareTiny() throws { try check("bert-bare-tiny") }
    func testRobertaTinyMaskedLM() throws { try check("roberta-tiny") }

    private func check(_ name: String) throws {
        let model = try Fixtures.load(name)
        let ref = try Reference(model: name)
        let out = try model.forward(try ref.tokenBatch())
        try Fixtures.assertParity(out, ref, label: name)
        if ref.has("last_hidden_state") {
            let d = TestSupport.maxAbsDiff(out.lastHiddenState, try ref.floats("last_hidden_state"),
                                           label: "\(name) last_hidden_state")
            XCTAssertLessThan(d, 1e-4)
        }
    }

    /// The real all-MiniLM-L6-v2 (bare BertModel) on FANG sentences against transformers' last hidden state.
    func testMiniLMOnFangSentences() throws {
        let dir = try sharedPath("models/all-MiniLM-L6-v2")
        let model = try ModelLoader.load(directory: dir)
        let ref = try Reference(model: "minilm-fang")
        let out = try model.forward(try ref.tokenBatch())
        let d = TestSupport.maxAbsDiff(out.lastHiddenState, try ref.floats("last_hidden_state"),
                                       label: "MiniLM FANG last_hidden_state")
        XCTAssertLessThan(d, 1e-4)
    }
}
