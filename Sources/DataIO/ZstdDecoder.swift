import CZstd

/// Streaming Zstandard decompression (libzstd `ZSTD_decompressStream`). Concatenated frames (as written
/// by `zstd` on appended files or by multi-threaded compressors) are decoded one after another.
final class ZstdDecoder {
    private let file: RawFile
    private let stream: OpaquePointer
    /// True between the first byte of a frame and its end (the last call that made progress returned non-zero).
    private var frameOpen = false
    private var finished = false

    init(file: RawFile) throws {
        self.file = file
        guard let ds = ZSTD_createDStream() else {
            throw DataIOError.decompression(SourcePosition(path: file.path, byteOffset: 0), format: "zstd",
                                            reason: "cannot create a decompression stream")
        }
        stream = ds
        ZSTD_initDStream(stream)
    }

    deinit { ZSTD_freeDStream(stream) }

    /// Fills `out` with decompressed bytes; returns 0 only at the end of the last frame.
    func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished || out.count == 0 { return 0 }
        var output = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
        while true {
            if file.available == 0 { try file.fill() }
            var input = ZSTD_inBuffer(src: file.buffer + file.start, size: file.available, pos: 0)
            let outBefore = output.pos
            let rc = ZSTD_decompressStream(stream, &output, &input)
            if ZSTD_isError(rc) != 0 {
                let offset = file.consumedOffset + input.pos
                throw DataIOError.decompression(SourcePosition(path: file.path, byteOffset: offset),
                                                format: "zstd", reason: String(cString: ZSTD_getErrorName(rc)))
            }
            file.start += input.pos
            if input.pos > 0 || output.pos > outBefore { frameOpen = rc != 0 }
            if output.pos > 0 { return output.pos }
            if file.available == 0 && file.atEOF {
                if frameOpen {
                    throw DataIOError.decompression(SourcePosition(path: file.path, byteOffset: file.bytesRead),
                                                    format: "zstd", reason: "unexpected end of file inside a frame")
                }
                finished = true
                return 0
            }
        }
    }
}
