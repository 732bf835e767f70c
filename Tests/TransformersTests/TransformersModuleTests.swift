import XCTest
import Transformers

final class TransformersModuleTests: XCTestCase {
    func testVersionIsSemantic() {
        XCTAssertEqual(TransformersModule.version.split(separator: ".").count, 3)
    }
}
