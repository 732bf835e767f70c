import XCTest
import DataIO

final class DataIOModuleTests: XCTestCase {
    func testVersionIsSemantic() {
        XCTAssertEqual(DataIOModule.version.split(separator: ".").count, 3)
    }
}
