import Foundation

/// A per-process scratch directory for the files a target writes before handing their path to a reader.
enum FuzzScratch {
    /// `$TMPDIR/trellis-fuzz-PID`, created on first use.
    static let directory: URL = {
        let base = URL(fileURLWithPath: NSTemporaryDirectory())
        let url = base.appendingPathComponent("trellis-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Writes `bytes` to `name` in the scratch directory (a subdirectory when `name` has one) and
    /// returns the path.
    @discardableResult
    static func write<C: Collection>(_ bytes: C, to name: String) throws -> String where C.Element == UInt8 {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// An empty directory `name` in the scratch directory (emptied when it exists).
    static func freshDirectory(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
