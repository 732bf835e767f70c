import XCTest

/// Requires `expression` to throw an error whose description contains `text` (printed on failure).
public func assertThrows<T>(_ expression: @autoclosure () throws -> T, containing text: String,
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        XCTAssertTrue("\(error)".contains(text), "\(error)", file: file, line: line)
    }
}
