import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file through a temporary sibling that is renamed into place by `finish()`.
///
/// Until `finish()` returns, `path` holds its old content (or does not exist); a writer dropped or
/// `cancel()`ed without finishing removes its temporary file, so a crash or an error never leaves a
/// half-written output under the final name. Output ending in `.gz` or `.zst` is compressed. Every writer
/// in `DataIO` (FASTA, CSV, JSONL, `.npy`) writes through one of these.
public final class AtomicFileWriter {
    /// The final path.
    public let path: String
    /// The temporary path written until `finish()`.
    public let temporaryPath: String
    /// How the bytes are encoded on disk (from the extension unless given).
    public let compression: Compression
    /// Plain (uncompressed) bytes accepted so far.
    public private(set) var bytesWritten = 0

    private var fd: Int32
    private let encoder: StreamEncoder?
    private var buffer: UnsafeMutablePointer<UInt8>
    private let capacity = 1 << 16
    private var count = 0
    private var done = false
    private let durable: Bool

    /// Creates the temporary file (and missing parent directories).
    /// - Parameters:
    ///   - compression: on-disk encoding; nil picks it from the extension (`.gz`, `.zst`).
    ///   - level: compression level (gzip 1–9, default 6; zstd 1–19, default 3).
    ///   - durable: `fsync` the file before the rename, so the content survives a power loss, not only a crash.
    public init(path: String, compression: Compression? = nil, level: Int? = nil, durable: Bool = false) throws {
        self.path = path
        self.durable = durable
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: dir) {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw DataIOError.io(path: dir, operation: "create directory", reason: "\(error.localizedDescription)")
            }
        }
        let suffix = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        temporaryPath = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-" + suffix
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw DataIOError.fromErrno(temporaryPath, "create") }
        let kind = compression ?? Compression.forPath(path)
        self.compression = kind
        buffer = .allocate(capacity: capacity)
        do {
            switch kind {
            case .none: encoder = nil
            case .gzip: encoder = try GzipEncoder(path: path, level: Int32(level ?? 6))
            case .zstd: encoder = try ZstdEncoder(path: path, level: Int32(level ?? 3))
            }
        } catch {
            close(fd)
            unlink(temporaryPath)
            buffer.deallocate()
            throw error
        }
    }

    deinit {
        if !done { cancel() }
        buffer.deallocate()
    }

    /// Appends raw bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !done else { throw DataIOError.io(path: path, operation: "write", reason: "writer already finished") }
        bytesWritten += bytes.count
        if bytes.count >= capacity {
            try flushBuffer()
            try encodeAndWrite(bytes, finish: false)
            return
        }
        if count + bytes.count > capacity { try flushBuffer() }
        if let base = bytes.baseAddress { (buffer + count).update(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count) }
        count += bytes.count
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends a string's UTF-8 bytes.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Flushes, ends the compressed stream, closes and renames the temporary file onto `path`.
    public func finish() throws {
        guard !done else { return }
        do {
            try flushBuffer()
            if encoder != nil { try encodeAndWrite(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) }
            if durable && fsync(fd) != 0 { throw DataIOError.fromErrno(temporaryPath, "fsync") }
            let rc = close(fd)
            fd = -1
            if rc != 0 { throw DataIOError.fromErrno(temporaryPath, "close") }
            if rename(temporaryPath, path) != 0 { throw DataIOError.fromErrno(path, "rename \(temporaryPath) to") }
            done = true
        } catch {
            cancel()
            throw error
        }
    }

    /// Abandons the output: closes and removes the temporary file; `path` is left untouched.
    public func cancel() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporaryPath)
        done = true
    }

    private func flushBuffer() throws {
        if count == 0 { return }
        let n = count
        count = 0
        try encodeAndWrite(UnsafeRawBufferPointer(start: buffer, count: n), finish: false)
    }

    private func encodeAndWrite(_ bytes: UnsafeRawBufferPointer, finish: Bool) throws {
        if let encoder {
            try encoder.encode(bytes, finish: finish) { try writeFully($0) }
        } else {
            try writeFully(bytes)
        }
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw DataIOError.fromErrno(temporaryPath, "write")
            }
            offset += n
        }
    }

    /// Temporary files in `directory` left by writers whose process no longer runs (killed before
    /// `finish()`): `.<name>.tmp-<pid>-<suffix>`. Their final files were never created or replaced.
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

    /// Writes `bytes` to `path` atomically in one call.
    public static func write(_ bytes: [UInt8], to path: String, compression: Compression? = nil) throws {
        let writer = try AtomicFileWriter(path: path, compression: compression)
        try writer.write(bytes)
        try writer.finish()
    }
}
