import Foundation
import XCTest

extension XCTestCase {
    /// A fresh temporary directory that is removed when the current test ends, whether it passes or fails.
    public func scratchDirectory(_ name: String = "trellis-test") throws -> URL {
        try removedAtTearDown(TestSupport.temporaryDirectory(name))
    }

    /// `TestSupport.projectDirectory` (a project to run the shipped pipelines in), removed when the test ends.
    public func scratchProject(_ name: String, linking names: [String] = ["samples", "pipelines", "Tests"]) throws -> URL {
        try removedAtTearDown(TestSupport.projectDirectory(name, linking: names))
    }

    private func removedAtTearDown(_ url: URL) -> URL {
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
