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

    /// Lets the kernel drop the resident pages wholly inside `range` (byte offsets): a model's weights are copied
    /// (packed) once at load, and keeping the file's pages resident as well would double the peak RSS. The mapping
    /// stays valid: a later read faults the pages back in from the file.
    func releasePages(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let start = (range.lowerBound + page - 1) / page * page
        let end = min(range.upperBound, size) / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
