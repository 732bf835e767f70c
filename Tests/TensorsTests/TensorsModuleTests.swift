import XCTest
import Tensors

final class TensorsModuleTests: XCTestCase {
    func testVersionIsSemantic() {
        XCTAssertEqual(TensorsModule.version.split(separator: ".").count, 3)
    }
}
