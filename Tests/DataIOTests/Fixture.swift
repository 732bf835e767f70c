import DataIO
import Foundation
import XCTest
import _TestSupport

/// Paths of the committed DataIO fixtures (made by scripts/fixtures/dataio.py).
enum Fixture {
    static func path(_ name: String) -> String {
        TestSupport.fixtures.appendingPathComponent("dataio/\(name)").path
    }

    /// `../shared/<relative>` (or under `$TRELLIS_SHARED`); skips when absent.
    static func shared(_ relative: String) throws -> String { try TestSupport.sharedPath(relative).path }

    static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(name))))
    }
}

/// Runs `body` and returns the `DataIOError` it throws (printing it); fails the test when it throws
/// nothing or another error, or (with `description`) an error that reads otherwise.
@discardableResult
func expectDataIOError(_ description: String? = nil, _ body: () throws -> Void, file: StaticString = #filePath,
                       line: UInt = #line) -> DataIOError? {
    do {
        try body()
        XCTFail("expected a DataIOError, got none", file: file, line: line)
    } catch let e as DataIOError {
        print("reported: \(e)")
        if let description { XCTAssertEqual(e.description, description, file: file, line: line) }
        return e
    } catch {
        XCTFail("expected a DataIOError, got \(error)", file: file, line: line)
    }
    return nil
}
