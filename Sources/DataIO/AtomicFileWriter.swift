import Foundation
import Formats

/// A buffered, optionally compressing front of `Formats.AtomicFile`: bytes go to a temporary sibling
/// that `finish()` renames onto the final path.
///
/// Until `finish()` returns, `path` holds its old content (or does not exist); a writer dropped or
/// `cancel()`ed without finishing removes its temporary file. Output ending in `.gz` or `.zst` is
/// compressed. Every writer in `DataIO` (FASTA, CSV, JSONL, `.npy`) writes through one of these.
public final class AtomicFileWriter {
    /// The final path.
    public var path: String { file.path }
    /// The temporary path written until `finish()`.
    public var temporaryPath: String { file.temporaryPath }
    /// How the bytes are encoded on disk (from the extension unless given).
    public let compression: Compression
    /// Plain (uncompressed) bytes accepted so far.
    public private(set) var bytesWritten = 0

    private let file: AtomicFile
    private let encoder: StreamEncoder?
    private var buffer: [UInt8] = []
    private let capacity = 1 << 16
    private var done = false

    /// Creates the temporary file (and missing parent directories).
    /// - Parameters:
    ///   - compression: on-disk encoding; nil picks it from the extension (`.gz`, `.zst`).
    ///   - level: compression level (gzip 1–9, default 6; zstd 1–19, default 3).
    /// Atomicity and the fsync policy are `AtomicFile`'s (durable); this type adds only buffering and compression.
    public init(path: String, compression: Compression? = nil, level: Int? = nil) throws {
        let kind = compression ?? Compression.forPath(path)
        self.compression = kind
        switch kind {
        case .none: encoder = nil
        case .gzip: encoder = try GzipEncoder(path: path, level: Int32(level ?? 6))
        case .zstd: encoder = try ZstdEncoder(path: path, level: Int32(level ?? 3))
        }
        file = try AtomicFile(path: path)
        buffer.reserveCapacity(capacity)
    }

    deinit { if !done { cancel() } }

    /// Appends raw bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !done else { throw DataIOError.io(path: path, operation: "write", reason: "writer already finished") }
        bytesWritten += bytes.count
        if buffer.count + bytes.count > capacity { try flushBuffer() }
        if bytes.count >= capacity {
            try encodeAndWrite(bytes, finish: false)
        } else {
            buffer.append(contentsOf: bytes)
        }
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

    /// Flushes, ends the compressed stream and commits the file onto `path`.
    public func finish() throws {
        guard !done else { return }
        do {
            try flushBuffer()
            if encoder != nil { try encodeAndWrite(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) }
            try file.commit()
            done = true
        } catch {
            cancel()
            throw error
        }
    }

    /// Abandons the output: removes the temporary file; `path` is left untouched.
    public func cancel() {
        file.cancel()
        done = true
    }

    private func flushBuffer() throws {
        if buffer.isEmpty { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        try buffer.withUnsafeBytes { try encodeAndWrite($0, finish: false) }
    }

    private func encodeAndWrite(_ bytes: UnsafeRawBufferPointer, finish: Bool) throws {
        if let encoder {
            try encoder.encode(bytes, finish: finish) { try file.write($0) }
        } else {
            try file.write(bytes)
        }
    }

    /// Writes `bytes` to `path` atomically in one call.
    public static func write(_ bytes: [UInt8], to path: String, compression: Compression? = nil) throws {
        let writer = try AtomicFileWriter(path: path, compression: compression)
        try writer.write(bytes)
        try writer.finish()
    }
}
