import XCTest
import PromptAlign

final class PromptAlignModuleTests: XCTestCase {
    func testVersionIsSemantic() {
        XCTAssertEqual(PromptAlignModule.version.split(separator: ".").count, 3)
    }
}
