import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way files are written in the project: a temporary sibling `.NAME.tmp-PID-RANDOM` in the
/// destination directory, filled with chunks, then renamed onto the final path by `commit()`.
///
/// Until `commit()` returns, the final path keeps its old content (or does not exist). Every error path, a
/// `cancel()` and a writer dropped without committing remove the temporary. The destination is checked
/// before anything is created and again just before the rename: an existing device, FIFO, socket or
/// directory is never replaced (`trellis --output /dev/null` must not turn the device into a file).
///
/// fsync policy: when `durable` (the default), the file is fsynced before the rename and the directory
/// after it, so a committed file survives a power loss with its content; non-durable writers (scratch
/// files that are re-created on the next run) skip both and are still atomic against crashes.
public final class AtomicFile {
    /// The final path.
    public let path: String
    /// The temporary path written until `commit()`.
    public let temporaryPath: String
    /// Bytes written so far.
    public private(set) var bytesWritten = 0
    private var fd: Int32
    private var done = false
    private let durable: Bool

    /// Test hook: called before each chunk is written; throwing simulates a failed write.
    public static var faultInjection: ((String) throws -> Void)?

    /// Creates the temporary file. The parent directory is created when `createParent` (a parent that
    /// is a regular file is an error naming it).
    public init(path: String, durable: Bool = true, createParent: Bool = true) throws {
        self.path = path
        self.durable = durable
        try AtomicFile.checkDestination(path)
        let dir = AtomicFile.parent(of: path)
        try AtomicFile.prepareDirectory(dir, for: path, create: createParent)
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        let suffix = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        temporaryPath = (dir == "." && !path.hasPrefix("./") ? "" : dir + "/") + "." + name + ".tmp-\(getpid())-" + suffix
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw FormatsError.fromErrno(temporaryPath, "create") }
    }

    deinit { if !done { cancel() } }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !done else { throw FormatsError.io(path: path, operation: "write", reason: "the file was already committed or cancelled") }
        do {
            try AtomicFile.faultInjection?(path)
            try FileBytes.writeAll(fd, bytes, path: path)
        } catch {
            cancel()
            throw error
        }
        bytesWritten += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }


    /// Syncs (when durable), closes and renames the temporary onto `path`.
    public func commit() throws {
        guard !done else { return }
        do {
            if durable && fsync(fd) != 0 { throw FormatsError.fromErrno(path, "fsync") }
            let rc = close(fd)
            fd = -1
            if rc != 0 { throw FormatsError.fromErrno(path, "close") }
            try AtomicFile.checkDestination(path)
            if rename(temporaryPath, path) != 0 { throw FormatsError.fromErrno(path, "rename the temporary file onto") }
            done = true
        } catch {
            cancel()
            throw error
        }
        if durable { AtomicFile.syncDirectory(AtomicFile.parent(of: path)) }
    }

    /// Abandons the output: closes and removes the temporary; `path` is left untouched.
    public func cancel() {
        if fd >= 0 { close(fd); fd = -1 }
        if !done { unlink(temporaryPath) }
        done = true
    }

    /// Writes `bytes` to `path` atomically in one call.
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true) throws {
        let f = try AtomicFile(path: path, durable: durable)
        try f.write(bytes)
        try f.commit()
    }

    /// Renames the finished file `source` onto `destination` (same filesystem), refusing special files.
    public static func publish(_ source: String, to destination: String) throws {
        try checkDestination(destination)
        if rename(source, destination) != 0 { throw FormatsError.fromErrno(destination, "rename \(source) onto") }
    }

    /// Throws when `path` exists and is not a regular file (or a symlink to one).
    public static func checkDestination(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        let kind: String
        switch st.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: kind = "a directory"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFIFO: kind = "a FIFO"
        case S_IFSOCK: kind = "a socket"
        default: kind = "a special file"
        }
        throw FormatsError.specialFile(path: path, kind: kind)
    }

    /// The directory part of `path` ("." for a bare name).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Makes sure `dir` is a directory (creating it and its parents when `create`), with clear errors.
    static func prepareDirectory(_ dir: String, for path: String, create: Bool) throws {
        var st = stat()
        if stat(dir, &st) == 0 {
            if st.st_mode & S_IFMT == S_IFDIR { return }
            throw FormatsError.badParent(path: path, parent: dir, problem: "is not a directory")
        }
        guard create else { throw FormatsError.badParent(path: path, parent: dir, problem: "does not exist") }
        // Walk up: the first existing ancestor must be a directory.
        var missing: [String] = []
        var d = dir
        while stat(d, &st) != 0 {
            if errno != ENOENT && errno != ENOTDIR { throw FormatsError.badParent(path: path, parent: d, problem: "is not accessible: \(String(cString: strerror(errno)))") }
            missing.append(d)
            let up = parent(of: d)
            if up == d { break }
            d = up
        }
        if stat(d, &st) == 0, st.st_mode & S_IFMT != S_IFDIR {
            throw FormatsError.badParent(path: path, parent: d, problem: "is not a directory")
        }
        for m in missing.reversed() where mkdir(m, 0o755) != 0 && errno != EEXIST {
            throw FormatsError.badParent(path: path, parent: m, problem: "cannot be created: \(String(cString: strerror(errno)))")
        }
    }

    static func syncDirectory(_ dir: String) {
        // Best effort: some filesystems refuse fsync on a directory; the rename itself already happened.
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// Temporary files in `directory` left by writers whose process no longer runs:
    /// `.<name>.tmp-<pid>-<suffix>`. Their final files were never created or replaced.
    public static func staleTemporaries(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.compactMap { name -> String? in
            guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return nil }
            let parts = name[range.upperBound...].split(separator: "-", maxSplits: 1)
            guard parts.count == 2, let pid = Int32(parts[0]) else { return nil }
            let alive = kill(pid, 0) == 0 || errno == EPERM
            return alive ? nil : directory + "/" + name
        }.sorted()
    }
}
