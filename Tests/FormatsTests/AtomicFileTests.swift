import XCTest
import Formats

final class AtomicFileTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "formats-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        AtomicFile.faultInjection = nil
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func names() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted() ?? [] }

    func testWritesAndReplaces() throws {
        let p = dir + "/out.txt"
        try AtomicFile.write(Array("one".utf8), to: p)
        try AtomicFile.write(Array("two".utf8), to: p)
        XCTAssertEqual(try FileBytes.read(path: p), Array("two".utf8))
        XCTAssertEqual(names(), ["out.txt"])
        try AtomicFile.write([1], to: dir + "/a/b/c.bin")
        XCTAssertEqual(try FileBytes.read(path: dir + "/a/b/c.bin"), [1])
    }

    func testRefusesSpecialFilesWithoutTouchingThem() throws {
        let fifo = dir + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertThrowsError(try AtomicFile.write([1], to: fifo)) {
            XCTAssertEqual($0 as? FormatsError, .specialFile(path: fifo, kind: "a FIFO"))
        }
        XCTAssertEqual(names(), ["fifo"])
        // A character device is refused before anything is created in /dev.
        XCTAssertThrowsError(try AtomicFile(path: "/dev/null")) {
            XCTAssertEqual($0 as? FormatsError, .specialFile(path: "/dev/null", kind: "a character device"))
        }
        XCTAssertThrowsError(try AtomicFile.write([1], to: dir)) {
            XCTAssertEqual($0 as? FormatsError, .specialFile(path: dir, kind: "a directory"))
        }
        // The destination turning special while the temporary is written is caught at commit.
        let late = dir + "/late"
        let f = try AtomicFile(path: late)
        try f.write([1, 2])
        XCTAssertEqual(mkfifo(late, 0o600), 0)
        XCTAssertThrowsError(try f.commit())
        XCTAssertEqual(names(), ["fifo", "late"])
    }

    func testNoTemporaryLeftOnFailure() throws {
        let p = dir + "/out.bin"
        try AtomicFile.write([9], to: p)
        struct Injected: Error {}
        AtomicFile.faultInjection = { _ in throw Injected() }
        let f = try AtomicFile(path: p)
        XCTAssertThrowsError(try f.write([1, 2, 3])) { XCTAssertTrue($0 is Injected) }
        XCTAssertEqual(names(), ["out.bin"])
        XCTAssertEqual(try FileBytes.read(path: p), [9])
        AtomicFile.faultInjection = nil
        // Dropped without commit: removed too.
        do { let g = try AtomicFile(path: p); try g.write([5]) }
        XCTAssertEqual(names(), ["out.bin"])
    }

    func testParentIsAFileOrMissing() throws {
        let file = dir + "/plain"
        try AtomicFile.write([1], to: file)
        XCTAssertThrowsError(try AtomicFile.write([1], to: file + "/x/out.json")) {
            XCTAssertEqual("\($0)", "\(file)/x/out.json: cannot create the output: \(file) is not a directory")
        }
        XCTAssertThrowsError(try AtomicFile(path: dir + "/missing/out", createParent: false)) {
            XCTAssertTrue("\($0)".hasSuffix("missing does not exist"), "\($0)")
        }
    }

    func testDiskFullIsNamed() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        let fd = open("/dev/full", O_WRONLY)
        defer { close(fd) }
        XCTAssertThrowsError(try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try FileBytes.writeAll(fd, $0, path: "out.bin") }) {
            XCTAssertEqual("\($0)", "out.bin: cannot write: disk full (no space left on device)")
        }
    }
}
