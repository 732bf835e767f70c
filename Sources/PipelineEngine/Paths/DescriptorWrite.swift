import Foundation
import Formats

/// Whole-buffer writes of strings and data through the one loop, `FileBytes.writeAll`, and readable
/// reasons for write errors.
public enum DescriptorWrite {
    /// Writes every byte of `bytes` to `fd` (`FileBytes.writeAll`); returns errno on failure.
    @discardableResult
    public static func all(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? { FileBytes.writeAll(fd, bytes) }

    /// Writes `text` as UTF-8; returns errno on failure.
    @discardableResult
    public static func all(_ fd: Int32, _ text: String) -> Int32? {
        var text = text
        return text.withUTF8 { all(fd, UnsafeRawBufferPointer($0)) }
    }

    /// Writes `data`; returns errno on failure.
    @discardableResult
    public static func all(_ fd: Int32, _ data: Data) -> Int32? {
        data.isEmpty ? nil : data.withUnsafeBytes { all(fd, $0) }
    }

    /// Writes `data` to `fd` or throws an error naming `path` and the reason.
    public static func writeOrThrow(_ fd: Int32, _ data: Data, path: String) throws {
        if let e = all(fd, data) { throw PipelineError.io(path: path, message: "cannot write: " + reason(e)) }
    }

    /// `strerror`, with the usual causes spelled out.
    public static func reason(_ code: Int32) -> String {
        switch code {
        case ENOSPC: return "disk full (no space left on device)"
        case EDQUOT: return "disk quota exceeded"
        case EROFS: return "read-only file system"
        case EPIPE: return "the reader closed the pipe"
        default: return String(cString: strerror(code))
        }
    }
}

/// Test hook for the engine's writes into the work directory and published paths: with
/// `TRELLIS_FAULT_WRITE_AFTER=N`, the (N+1)-th such write fails as if the disk were full. Used by the
/// fault-injection tests; unset, it costs one comparison.
public enum FaultInjection {
    nonisolated(unsafe) private static var remaining: Int? = ProcessInfo.processInfo.environment["TRELLIS_FAULT_WRITE_AFTER"].flatMap { Int($0) }
    private static let lock = NSLock()

    /// Throws the injected failure for `path` when the budget of writes is spent.
    static func checkWrite(_ path: String) throws {
        guard remaining != nil else { return }
        lock.lock(); defer { lock.unlock() }
        guard let r = remaining else { return }
        if r <= 0 { throw PipelineError.io(path: path, message: "cannot write: " + DescriptorWrite.reason(ENOSPC) + " (injected by TRELLIS_FAULT_WRITE_AFTER)") }
        remaining = r - 1
    }
}
