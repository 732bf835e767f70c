import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and the one write-all loop over a file descriptor.
public enum FileBytes {
    /// The bytes of the regular file at `path`; errors name the file ("is a directory", "no such file").
    public static func read(path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FormatsError.fromErrno(path, "open") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw FormatsError.fromErrno(path, "stat") }
        if st.st_mode & S_IFMT == S_IFDIR {
            throw FormatsError.io(path: path, operation: "read", reason: "is a directory, expected a file")
        }
        var out: [UInt8] = []
        out.reserveCapacity(st.st_mode & S_IFMT == S_IFREG ? Int(st.st_size) : 1 << 16)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FormatsError.fromErrno(path, "read")
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// The one write-all loop: every byte of `bytes` to `fd`, retrying on EINTR and short writes. Returns
    /// errno on failure (ENOSPC when the device accepts no bytes), nil on success; never traps (FileHandle's
    /// `write(_:)` traps on a full disk or a closed stdout).
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard let base = bytes.baseAddress else { return nil }
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, base + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return n < 0 ? errno : ENOSPC }
            offset += n
        }
        return nil
    }

    /// `writeAll` that throws an error naming `path` (ENOSPC/EDQUOT: "disk full").
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        if let code = writeAll(fd, bytes) { throw FormatsError.fromErrno(path, "write", code) }
    }
}
