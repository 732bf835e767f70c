import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor with one input buffer: the bottom of every reader. Tracks how many bytes of the
/// file have been consumed, so decoders can report errors at a byte offset of the file itself.
final class RawFile {
    let path: String
    private var fd: Int32
    /// Buffer of `capacity` bytes; `buffer[start..<end]` is read but not yet consumed.
    let buffer: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var start = 0
    var end = 0
    /// Bytes read from the file so far (including the unconsumed part of the buffer).
    private(set) var bytesRead = 0
    private(set) var atEOF = false

    init(path: String, capacity: Int) throws {
        self.path = path
        self.capacity = max(capacity, 64)
        if path == "-" {
            fd = dup(STDIN_FILENO)
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        }
        if fd < 0 { throw DataIOError.fromErrno(path, "open for reading") }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw DataIOError.io(path: path, operation: "read", reason: "is a directory")
        }
        buffer = .allocate(capacity: self.capacity)
    }

    deinit {
        if fd >= 0 { close(fd) }
        buffer.deallocate()
    }

    /// Unconsumed bytes in the buffer.
    var available: Int { end - start }

    /// Byte offset in the file of `buffer[start]`.
    var consumedOffset: Int { bytesRead - available }

    /// Moves unconsumed bytes to the front and reads more; returns false at end of file.
    @discardableResult
    func fill() throws -> Bool {
        if atEOF { return false }
        if start > 0 {
            if start < end { memmove(buffer, buffer + start, end - start) }
            end -= start
            start = 0
        }
        if end == capacity { return true }
        while true {
            let n = Foundation.read(fd, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw DataIOError.fromErrno(path, "read")
            }
            if n == 0 { atEOF = true; return false }
            end += n
            bytesRead += n
            return true
        }
    }

    /// Reads directly into `out` (used for uncompressed input once the buffer is drained).
    func readDirect(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        if atEOF || out.count == 0 { return 0 }
        while true {
            let n = Foundation.read(fd, out.baseAddress!, out.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw DataIOError.fromErrno(path, "read")
            }
            if n == 0 { atEOF = true }
            bytesRead += n
            return n
        }
    }
}
