import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file; unmapped when released.
///
/// POSIX `mmap` rather than `Data(contentsOf:options:.alwaysMapped)`: corelibs Foundation may fall
/// back to reading the file, and opening a 90 MB model must not copy it.
final class MappedFile: @unchecked Sendable {
    let path: String
    /// Start of the mapping (nil for an empty file).
    let base: UnsafeRawPointer?
    let size: Int

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafetensorsError.io(path: path, message: "cannot open: \(Self.errnoText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw SafetensorsError.io(path: path, message: "cannot stat: \(Self.errnoText())")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError.io(path: path, message: "not a regular file")
        }
        size = Int(st.st_size)
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw SafetensorsError.io(path: path, message: "cannot mmap \(size) bytes: \(Self.errnoText())")
        }
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
