import XCTest
import Tokenizers

final class TokenizersModuleTests: XCTestCase {
    func testVersionIsSemantic() {
        XCTAssertEqual(TokenizersModule.version.split(separator: ".").count, 3)
    }
}
