import XCTest
import ProteinLM

final class ProteinLMModuleTests: XCTestCase {
    func testVersionIsSemantic() {
        XCTAssertEqual(ProteinLMModule.version.split(separator: ".").count, 3)
    }
}
