import Foundation
import XCTest
import Transformers
import _TestSupport

final class EsmParityTests: XCTestCase {
    func testEsm2TinyMatchesTransformers() throws {
        try check("esm2-tiny")
    }

    func testEsm2TinyF16MatchesTransformers() throws {
        try check("esm2-tiny-f16")
    }

    private func check(_ name: String) throws {
        let model = try Fixtures.load(name)
        let ref = try Reference(model: name)
        let out = try model.forward(try ref.tokenBatch(), options: ForwardOptions(contacts: true))
        try Fixtures.assertParity(out, ref, label: name)
        let d = TestSupport.maxAbsDiff(out.contacts ?? [], try ref.floats("contacts"), label: "\(name) contacts")
        XCTAssertLessThan(d, 1e-4)
    }
}
