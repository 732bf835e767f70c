import XCTest
import Transformers

/// A hub id is resolved from a local Hugging Face cache as transformers does offline (refs/main → snapshot).
final class HubCacheTests: XCTestCase {
    func testResolvesRefsMainThenTheOnlySnapshot() throws {
        let fm = FileManager.default
        let cache = fm.temporaryDirectory.appendingPathComponent("hubcache-\(getpid())")
        defer { try? fm.removeItem(at: cache) }
        let repo = cache.appendingPathComponent("hub/models--org--name")
        for rev in ["aaa", "bbb"] {
            try fm.createDirectory(at: repo.appendingPathComponent("snapshots/\(rev)"), withIntermediateDirectories: true)
        }
        try fm.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try "bbb\n".write(to: repo.appendingPathComponent("refs/main"), atomically: true, encoding: .utf8)
        let env = ["HF_HOME": cache.path]
        XCTAssertEqual(ModelDirectory.resolve("org/name", environment: env).lastPathComponent, "bbb")
        // No refs/main and two snapshots: ambiguous, so the id is left for `check` to explain.
        try fm.removeItem(at: repo.appendingPathComponent("refs/main"))
        XCTAssertFalse(ModelDirectory.resolve("org/name", environment: env).path.contains("snapshots"))
        try fm.removeItem(at: repo.appendingPathComponent("snapshots/aaa"))
        XCTAssertEqual(ModelDirectory.resolve("org/name", environment: env).lastPathComponent, "bbb")
        // HF_HUB_CACHE points at the hub directory itself.
        XCTAssertEqual(ModelDirectory.resolve("org/name", environment: ["HF_HUB_CACHE": cache.path + "/hub"]).lastPathComponent, "bbb")
        XCTAssertEqual(ModelDirectory.resolve("org/other", environment: env).path,
                       URL(fileURLWithPath: "org/other").path)
    }
}
