import CZlib
import CZstd

/// A compressor turning plain bytes into a file format's bytes, handed to a sink as they are produced.
protocol StreamEncoder: AnyObject {
    /// Compresses `input`; `finish` ends the stream (trailer / end-of-frame) after the input.
    func encode(_ input: UnsafeRawBufferPointer, finish: Bool,
                sink: (UnsafeRawBufferPointer) throws -> Void) throws
}

/// gzip output (zlib `deflate` with the gzip wrapper), one member.
final class GzipEncoder: StreamEncoder {
    private let path: String
    private let stream: UnsafeMutablePointer<z_stream>
    private var out = [UInt8](repeating: 0, count: 1 << 16)

    init(path: String, level: Int32) throws {
        self.path = path
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if rc != Z_OK {
            stream.deallocate()
            throw DataIOError.io(path: path, operation: "start gzip compression", reason: "deflateInit2 returned \(rc)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    func encode(_ input: UnsafeRawBufferPointer, finish: Bool,
                sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        let capacity = out.count
        try out.withUnsafeMutableBytes { outBytes in
            while true {
                stream.pointee.next_out = outBytes.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(capacity)
                let rc = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                if rc == Z_STREAM_ERROR {
                    throw DataIOError.io(path: path, operation: "gzip-compress", reason: "deflate returned \(rc)")
                }
                let produced = capacity - Int(stream.pointee.avail_out)
                if produced > 0 { try sink(UnsafeRawBufferPointer(rebasing: outBytes[0..<produced])) }
                if finish ? rc == Z_STREAM_END : (stream.pointee.avail_in == 0 && produced < capacity) { break }
            }
        }
    }
}

/// Zstandard output (`ZSTD_compressStream2`), one frame.
final class ZstdEncoder: StreamEncoder {
    private let path: String
    private let stream: OpaquePointer
    private var out = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())

    init(path: String, level: Int32) throws {
        self.path = path
        guard let cs = ZSTD_createCStream() else {
            throw DataIOError.io(path: path, operation: "start zstd compression", reason: "ZSTD_createCStream failed")
        }
        stream = cs
        ZSTD_CCtx_setParameter(stream, ZSTD_c_compressionLevel, level)
    }

    deinit { ZSTD_freeCStream(stream) }

    func encode(_ input: UnsafeRawBufferPointer, finish: Bool,
                sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let capacity = out.count
        try out.withUnsafeMutableBytes { outBytes in
            while true {
                var outBuf = ZSTD_outBuffer(dst: outBytes.baseAddress, size: capacity, pos: 0)
                let remaining = ZSTD_compressStream2(stream, &outBuf, &inBuf, finish ? ZSTD_e_end : ZSTD_e_continue)
                if ZSTD_isError(remaining) != 0 {
                    throw DataIOError.io(path: path, operation: "zstd-compress",
                                         reason: String(cString: ZSTD_getErrorName(remaining)))
                }
                if outBuf.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: outBytes[0..<outBuf.pos])) }
                if finish ? remaining == 0 : inBuf.pos == inBuf.size { break }
            }
        }
    }
}
