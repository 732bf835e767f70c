import Foundation
import PipelineEngine
import XCTest
import _TestSupport

/// Issue 14: corrupted objects reused, stale temporaries never removed, `clean --dry-run` racing a run.
final class WorkDirectoryIntegrityTests: XCTestCase {
    let spec = """
    stages:
      copy:
        uses: test.copy
        with:
          input: in.txt
          suffix: "!"
    """

    func objectFile(_ p: Project) throws -> URL {
        let objects = p.work.appendingPathComponent("objects")
        let key = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: objects.path).first)
        return objects.appendingPathComponent(key).appendingPathComponent("copy.txt")
    }

    func testModifiedObjectIsNotReused() throws {
        let p = try Project()
        try p.write("in.txt", "abc")
        try p.run(spec)
        XCTAssertEqual(try p.plan(spec)["copy"], "cached: cached")
        let object = try objectFile(p)
        try Data("garbage".utf8).write(to: object)
        let plan = try p.plan(spec)["copy"] ?? ""
        XCTAssertTrue(plan.hasPrefix("run: ") && plan.contains("output modified"), plan)
        try p.run(spec)
        XCTAssertEqual(try String(contentsOf: object, encoding: .utf8), "abc!")
    }

    func testDeepNoticesCorruptionThatKeepsSizeAndTime() throws {
        let p = try Project()
        try p.write("in.txt", "abc")
        try p.run(spec)
        let object = try objectFile(p)
        var st = stat()
        XCTAssertEqual(stat(object.path, &st), 0)
        try Data("xyz!".utf8).write(to: object) // same size
        var times = [st.st_atim, st.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, object.path, &times, 0), 0) // same mtime
        XCTAssertEqual(try p.plan(spec)["copy"], "cached: cached", "the fast path trusts size and mtime")
        let deep = try Planner.plan(p.load(spec), workDirectory: p.work, projectDirectory: p.root, deep: true)
        XCTAssertEqual(deep.first?.action, .run)
        XCTAssertTrue(deep.first?.reasons.joined().contains("output modified") ?? false, "\(deep.first?.reasons ?? [])")
    }

    func testStaleTemporariesBesideOutputsAndRecordsAreRemoved() throws {
        let p = try Project()
        try p.write("in.txt", "abc")
        let published = "stages:\n" + TestSupport.stageYAML("copy", uses: "test.copy", with: ["input": "in.txt", "publish": "out/c.txt"])
        try p.run(published)
        // A pid that cannot be running: beyond pid_max.
        let dead = 4_194_304 + 17
        try p.write("out/.c.txt.tmp-\(dead)-publish", "partial")
        try p.write(".trellis/records/.abc.json.tmp-\(dead)-1234", "partial")
        try p.write("out/.c.txt.tmp-\(getpid())-live", "a live writer's file")
        let dry = try Cleaner.clean(workDirectory: p.work, keeping: [p.load(published)], dryRun: true, projectDirectory: p.root)
        XCTAssertTrue(dry.removed.contains { $0.hasSuffix("out/.c.txt.tmp-\(dead)-publish") }, "\(dry.removed)")
        XCTAssertTrue(p.exists("out/.c.txt.tmp-\(dead)-publish"))
        try p.run(published)
        XCTAssertFalse(p.exists("out/.c.txt.tmp-\(dead)-publish"))
        XCTAssertFalse(p.exists(".trellis/records/.abc.json.tmp-\(dead)-1234"))
        XCTAssertTrue(p.exists("out/.c.txt.tmp-\(getpid())-live"), "a running process's file was removed")
        XCTAssertEqual(p.read("out/c.txt"), "abc")
    }

    func testCleanDryRunRefusesWhileARunHoldsTheLock() throws {
        let p = try Project()
        try p.write("in.txt", "abc")
        try p.run(spec)
        let running = WorkDirectory(root: p.work)
        try running.lock()
        defer { running.unlock() }
        XCTAssertThrowsError(try Cleaner.clean(workDirectory: p.work, keeping: [], dryRun: true)) { e in
            XCTAssertTrue("\(e)".contains("is in use by another trellis run"), "\(e)")
        }
    }

    func testPublishedPathResolvedAtRunTimeMustStayInsideTheProject() throws {
        let p = try Project()
        try p.write("in.txt", "abc")
        XCTAssertThrowsError(try OutputPlacement.checkInsideProject(p.root.appendingPathComponent("../escaped.txt"), declared: "../escaped.txt",
                                                             output: "file", project: p.root)) { e in
            XCTAssertTrue("\(e)".contains("outside the project directory"), "\(e)")
        }
        XCTAssertNoThrow(try OutputPlacement.checkInsideProject(p.root.appendingPathComponent("out/x"), declared: "out/x", output: "file", project: p.root))
    }
}
