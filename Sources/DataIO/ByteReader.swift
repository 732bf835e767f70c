/// How a file's bytes are encoded on disk.
public enum Compression: String, Sendable, CaseIterable {
    case none, gzip, zstd

    /// The compression named by a path's extension (`.gz`, `.zst`), used for output files.
    public static func forPath(_ path: String) -> Compression {
        if path.hasSuffix(".gz") { return .gzip }
        if path.hasSuffix(".zst") || path.hasSuffix(".zstd") { return .zstd }
        return .none
    }

    /// The compression announced by a file's first bytes (gzip `1f 8b`, zstd `28 b5 2f fd`).
    public static func detect<C: Collection>(magic: C) -> Compression where C.Element == UInt8 {
        let m = Array(magic.prefix(4))
        if m.count >= 2 && m[0] == 0x1f && m[1] == 0x8b { return .gzip }
        if m == [0x28, 0xb5, 0x2f, 0xfd] { return .zstd }
        return .none
    }
}

/// Reads a file's content in chunks, decompressing `.gz` and `.zst` transparently.
///
/// The compression is recognised by the first bytes, not the extension, so a gzip file named `x.faa`
/// reads correctly. Memory use is constant (one input buffer plus the decoder's window). `path` "-" is
/// standard input. Decompression errors carry the byte offset in the compressed file.
public final class ByteReader {
    /// The path given at creation.
    public let path: String
    /// The detected on-disk encoding.
    public let compression: Compression
    /// Decompressed bytes returned so far.
    public private(set) var offset = 0
    /// Bytes of the file itself (compressed, if it is) read so far: against the file size, a progress
    /// fraction that is right for compressed input too (it runs ahead of parsing by one buffer at most).
    public var fileBytesRead: Int { file.bytesRead }

    private let file: RawFile
    private var gzip: GzipDecoder?
    private var zstd: ZstdDecoder?

    /// Opens `path`; `chunkSize` is the size of the compressed-input buffer.
    public init(path: String, chunkSize: Int = 1 << 17) throws {
        self.path = path
        file = try RawFile(path: path, capacity: chunkSize)
        while file.available < 4, try file.fill() {}
        compression = Compression.detect(magic: UnsafeBufferPointer(start: file.buffer + file.start,
                                                                    count: file.available))
        switch compression {
        case .gzip: gzip = try GzipDecoder(file: file)
        case .zstd: zstd = try ZstdDecoder(file: file)
        case .none: break
        }
    }

    /// Reads up to `buffer.count` decompressed bytes into `buffer`; returns 0 only at the end of input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n: Int
        if let gzip {
            n = try gzip.read(into: buffer)
        } else if let zstd {
            n = try zstd.read(into: buffer)
        } else if file.available > 0 {
            n = min(buffer.count, file.available)
            buffer.baseAddress!.copyMemory(from: file.buffer + file.start, byteCount: n)
            file.start += n
        } else {
            n = try file.readDirect(into: buffer)
        }
        offset += n
        return n
    }

    /// Reads everything that remains (for small files: JSON documents, `.npy` headers, tests).
    public func readAll() throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// The whole decompressed content of `path`.
    public static func readAll(path: String) throws -> [UInt8] {
        try ByteReader(path: path).readAll()
    }
}
