import Foundation
import Formats
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends JSON lines to a log-like file that grows while a program runs (e.g. a run trace), where an
/// atomic rename at the end would lose everything on a crash.
///
/// Each value is written with a single `write(2)` on a file opened with `O_APPEND`, so a killed process
/// leaves only whole lines behind (short of a full disk). A reader of such a file may still see a last line
/// cut by a power loss unless `durable` is set.
public final class JSONLAppender {
    /// The file appended to.
    public let path: String
    private var fd: Int32
    private let durable: Bool

    /// Opens (creating) `path` for appending; `durable` calls `fsync` after every line.
    public init(path: String, durable: Bool = false) throws {
        self.path = path
        self.durable = durable
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw DataIOError.fromErrno(path, "open for appending") }
    }

    deinit { if fd >= 0 { Foundation.close(fd) } }

    /// Appends one Foundation value (keys sorted) as a line.
    public func append(_ object: Any) throws { try append(value: JSONValue(foundation: object)) }

    /// Appends one value as a line (one `write(2)`; a short write is reported, never retried, so a line
    /// is never split between two writes that another appender could interleave).
    public func append(value: JSONValue) throws {
        let data = try JSONWriter.bytes(value, path: path) + [0x0A]
        try data.withUnsafeBytes { raw in
            let n = Foundation.write(fd, raw.baseAddress!, raw.count)
            if n != raw.count { throw n < 0 ? FormatsError.fromErrno(path, "append to") : FormatsError.diskFull(path: path) }
        }
        if durable && fsync(fd) != 0 { throw DataIOError.fromErrno(path, "fsync") }
    }

    /// Closes the file.
    public func close() {
        if fd >= 0 { Foundation.close(fd); fd = -1 }
    }
}
