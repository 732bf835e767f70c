import XCTest
import PipelineEngine

final class PipelineEngineModuleTests: XCTestCase {
    func testVersionIsSemantic() {
        XCTAssertEqual(PipelineEngineModule.version.split(separator: ".").count, 3)
    }
}
